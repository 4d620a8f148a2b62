"""The product-linking popover's domain: find a QuickBooks item, or create a service item.

Items are searched by name and by SKU (two queries in parallel), active ones only and never
categories (they group items and cannot be on an invoice). A new item is a service item with
the company's default income account (settings), created after checking its name is free
among all items, active or not (QuickBooks refuses a duplicate with 6240), with a ``requestid``
derived from the draft and the body so a double click makes one item.

A line of a Pipedrive product links that product to the item, remembered for every later deal
(``store.links``); the product must be one of the deal's own. A line without a product (or a
company with Pipedrive's products feature off) just uses the item chosen.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.invoicing.company_settings import load_settings
from extension.invoicing.preflight import suggest_display_name
from extension.invoicing.problems import Problem
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksRejected
from extension.quickbooks.models import Account, Item, ItemDraft
from extension.quickbooks.query import Query, contains_pattern
from extension.quickbooks.wire import encode_json
from extension.services import Services
from extension.store.installations import record_audit
from extension.store.links import link_product

__all__ = [
    "ItemChoices",
    "item_choices",
    "find_items",
    "ItemCandidate",
    "LinkedItem",
    "NewItem",
    "MAX_ITEM_NAME",
    "search_items",
    "income_accounts",
    "link_existing_item",
    "create_and_link_item",
]

SEARCH_LIMIT = 20
MAX_ITEM_NAME = 100  # Item.Name (Intuit reference)


@dataclass(frozen=True, slots=True)
class ItemCandidate:
    id: str
    name: str
    sku: str
    type: str
    unit_price: Decimal
    description: str = ""


@dataclass(frozen=True, slots=True)
class LinkedItem:
    id: str
    name: str
    remembered: bool  # linked to the Pipedrive product for later deals
    created: bool = False


@dataclass(frozen=True, slots=True)
class NewItem:
    name: str
    income_account_id: str
    sku: str = ""
    description: str = ""
    unit_price: Decimal | None = None


def _contains(item: Item, needle: str) -> bool:
    return any(needle in text.casefold() for text in (item.name, item.sku))


async def search_items(client: QuickBooksClient, term: str) -> list[ItemCandidate]:
    """Sellable items whose name or SKU contains ``term`` (the first by name when empty)."""
    needle = term.strip().casefold()
    pattern = contains_pattern(term.strip())
    base = Query("Item").ordered_by("Name").page(1, 50)
    queries = (
        [base]
        if pattern is None
        else [base.where("Name", "LIKE", pattern), base.where("Sku", "LIKE", pattern)]
    )
    pages = await asyncio.gather(*(client.query(Item, q) for q in queries))
    found: dict[str, Item] = {}
    for page in pages:
        for item in page.items:
            if item.sellable and (not needle or _contains(item, needle)):
                found.setdefault(item.id, item)
    ranked = sorted(
        found.values(),
        key=lambda i: (not i.name.casefold().startswith(needle), i.name.casefold()),
    )
    return [
        ItemCandidate(i.id, i.name, i.sku, i.type, i.unit_price, i.description)
        for i in ranked[:SEARCH_LIMIT]
    ]


async def income_accounts(client: QuickBooksClient) -> list[Account]:
    accounts = [a for a in await client.list_income_accounts() if a.active]
    return sorted(accounts, key=lambda a: a.name.casefold())


@dataclass(frozen=True, slots=True)
class ItemChoices:
    candidates: list[ItemCandidate]
    accounts: list[Account]
    default_account_id: str


async def item_choices(services: Services, company_id: int, term: str) -> ItemChoices:
    """What the popover opens with: items matching the line's name, the income accounts and
    the default one from settings (when QuickBooks still has it)."""
    quickbooks = await client_for_company(services, company_id)
    async with services.sessionmaker() as session:
        settings = await load_settings(session, company_id)
    candidates, accounts = await asyncio.gather(
        search_items(quickbooks, term), income_accounts(quickbooks)
    )
    default = settings.default_income_account_id
    if default not in {a.id for a in accounts}:
        default = accounts[0].id if len(accounts) == 1 else ""
    return ItemChoices(candidates, accounts, default)


async def find_items(services: Services, company_id: int, term: str) -> list[ItemCandidate]:
    return await search_items(await client_for_company(services, company_id), term)


async def _deal_products(services: Services, user: SessionUser, deal_id: int) -> set[int]:
    pipedrive = await client_for_user(services, user.company_id, user.user_id)
    return {p.product_id for p in await pipedrive.deal_products(deal_id) if p.product_id}


async def _remember(
    services: Services,
    user: SessionUser,
    client: QuickBooksClient,
    item: Item,
    product_id: int | None,
    deal_products: set[int],
    *,
    created: bool = False,
) -> bool:
    remember = product_id is not None and product_id in deal_products
    async with services.sessionmaker() as session, session.begin():
        if created:
            detail = {"item_id": item.id, "name": item.name}
            await record_audit(session, user.company_id, user.user_id, "item.created", detail)
        if not remember or product_id is None:
            return False
        await link_product(
            session,
            user.company_id,
            product_id=product_id,
            realm_id=client.realm_id,
            item_id=item.id,
            item_name=item.name,
            user_id=user.user_id,
        )
    return True


async def link_existing_item(
    services: Services, user: SessionUser, deal_id: int, item_id: str, product_id: int | None
) -> LinkedItem | tuple[Problem, ...]:
    """Use an existing item on the line (read again first); remember it for the product."""
    quickbooks = await client_for_company(services, user.company_id)
    item, products = await asyncio.gather(
        quickbooks.read(Item, item_id), _deal_products(services, user, deal_id)
    )
    if not item.sellable:
        code = "item_is_category" if item.type == "Category" else "item_inactive"
        return (Problem("choice", code, {"item": item.name}),)
    remembered = await _remember(services, user, quickbooks, item, product_id, products)
    return LinkedItem(item.id, item.name, remembered)


def _request_id(draft_key: str, body: bytes) -> str:
    return hashlib.sha256(draft_key.encode() + b"\x00item\x00" + body).hexdigest()[:32]


async def _taken_item_names(client: QuickBooksClient, name: str) -> list[str]:
    op, value = ("=", name) if "%" in name else ("LIKE", f"{name}%")
    query = Query("Item").where("Name", op, value).where_in("Active", (True, False))
    return [item.name for item in await client.query_all(Item, query)]


async def create_and_link_item(
    services: Services,
    user: SessionUser,
    deal_id: int,
    draft_key: str,
    new: NewItem,
    product_id: int | None,
) -> LinkedItem | tuple[Problem, ...]:
    """Create a service item (name free, income account active) and use it on the line.

    Problems are keyed ``new_item-name`` and ``new_item-income_account_id``.
    """
    name = new.name.strip()
    problems: list[Problem] = []
    if not name:
        problems.append(Problem("new_item-name", "name_required"))
    elif ":" in name:
        problems.append(Problem("new_item-name", "name_invalid_characters"))
    elif len(name) > MAX_ITEM_NAME:
        problems.append(
            Problem("new_item-name", "too_long", {"limit": MAX_ITEM_NAME, "length": len(name)})
        )
    if not new.income_account_id:
        problems.append(Problem("new_item-income_account_id", "income_account_required"))
    if problems:
        return tuple(problems)
    quickbooks = await client_for_company(services, user.company_id)
    taken, accounts, products = await asyncio.gather(
        _taken_item_names(quickbooks, name),
        income_accounts(quickbooks),
        _deal_products(services, user, deal_id),
    )
    if name.casefold() in {t.casefold() for t in taken}:
        suggestion = suggest_display_name(name, taken)[:MAX_ITEM_NAME]
        problems.append(
            Problem("new_item-name", "item_name_taken", {"name": name, "suggestion": suggestion})
        )
    if new.income_account_id not in {a.id for a in accounts}:
        problems.append(Problem("new_item-income_account_id", "income_account_not_found"))
    if problems:
        return tuple(problems)
    draft = ItemDraft(
        name=name,
        income_account_id=new.income_account_id,
        description=new.description.strip()[:4000],
        sku=new.sku.strip()[:100],
        unit_price=new.unit_price,
    )
    try:
        item = await quickbooks.create_item(
            draft, requestid=_request_id(draft_key, encode_json(draft.to_api()))
        )
    except QuickBooksRejected as exc:
        if exc.code != "6240":
            raise
        suggestion = suggest_display_name(name, [*taken, name])[:MAX_ITEM_NAME]
        return (
            Problem("new_item-name", "item_name_taken", {"name": name, "suggestion": suggestion}),
        )
    remembered = await _remember(
        services, user, quickbooks, item, product_id, products, created=True
    )
    return LinkedItem(item.id, item.name, remembered, created=True)
