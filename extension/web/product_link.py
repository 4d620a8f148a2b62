"""The product-linking popover: the QuickBooks item an invoice line is sold as.

Opened from a line's warning sign (or "Change"). Search items by name and SKU, or create a
service item from the line (its Pipedrive product's name, code and price) with the company's
default income account. "Confirm" puts the item on the line and, for a Pipedrive product,
remembers it: every line of the same product in this form is updated too, and the next deal
with that product opens linked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.accounts.permissions import Action, require
from extension.htmx import trigger_client_event
from extension.i18n import current_locale, gettext
from extension.ids import parse_id
from extension.invoicing.draft_form import read_decimal
from extension.invoicing.items import (
    ItemChoices,
    LinkedItem,
    NewItem,
    create_and_link_item,
    find_items,
    item_choices,
    link_existing_item,
)
from extension.invoicing.line_editing import line_groups, with_lines
from extension.invoicing.problems import Problem
from extension.services import get_services
from extension.web.create_contexts import ItemCandidatesContext, ProductPopoverContext
from extension.web.create_invoice import (
    TEMPLATE,
    form_context,
    request_values,
    screen_from_form,
)
from extension.web.create_words import worded_problems
from extension.web.iframe import require_user
from extension.web.rendering import render

__all__ = ["routes", "POPOVER_TEMPLATE"]

POPOVER_TEMPLATE = "_product_link.html"


def _popover_context(
    values: dict[str, str], deal_id: int, choices: ItemChoices, **fields: Any
) -> ProductPopoverContext:
    return ProductPopoverContext(
        deal_id=deal_id,
        draft_key=values.get("draft_key", ""),
        books_token=values.get("books", ""),
        candidates=choices.candidates,
        accounts=choices.accounts,
        **fields,
    )


def _line(values: dict[str, str], key: str) -> dict[str, str]:
    return next((g for g in line_groups(values) if g.get("key") == key), {})


async def popover(request: Request) -> Response:
    """Fragment: the popover for one line, with items matching its name."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    deal_id: int = request.path_params["deal_id"]
    values = await request_values(request)
    key = values.get("line_key", "")
    line = _line(values, key)
    name = line.get("name", "").strip()
    choices = await item_choices(services, user.company_id, name)
    if not choices.candidates and name:
        choices = await item_choices(services, user.company_id, "")
    exact = next((c for c in choices.candidates if c.name.casefold() == name.casefold()), None)
    context = _popover_context(
        values,
        deal_id,
        choices,
        line_key=key,
        line_name=name,
        product_id=line.get("product_id", ""),
        product_code=line.get("product_code", ""),
        query=name,
        new_name=name[:100],
        new_sku=line.get("product_code", ""),
        new_description=line.get("description", ""),
        new_account_id=choices.default_account_id,
        new_price=line.get("unit_price", ""),
        choice=f"item:{exact.id}" if exact else ("new" if not choices.candidates else ""),
    )
    return render(request, POPOVER_TEMPLATE, context, block="popover")


async def search(request: Request) -> Response:
    """Fragment: the items for what is typed in the popover's search box."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    query = request.query_params.get("q", "")[:100]
    candidates = await find_items(services, user.company_id, query)
    context = ItemCandidatesContext(candidates, query, request.query_params.get("choice", ""))
    return render(request, POPOVER_TEMPLATE, context, block="candidates")


def _price(raw: str) -> Decimal | None:
    value = read_decimal(raw, current_locale().formatting) if raw.strip() else None
    return value if isinstance(value, Decimal) and Decimal(0) <= value < Decimal("1E10") else None


async def confirm(request: Request) -> Response:
    """Put the chosen (or newly created) item on the line; the popover closes."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    deal_id: int = request.path_params["deal_id"]
    values = await request_values(request)
    key = values.get("line_key", "")
    product_id = parse_id(values.get("product_id", ""))
    choice = values.get("choice", "")
    result: LinkedItem | tuple[Problem, ...]
    if choice == "new":
        new = NewItem(
            name=values.get("new_item-name", ""),
            income_account_id=values.get("new_item-income_account_id", ""),
            sku=values.get("new_item-sku", ""),
            description=values.get("new_item-description", ""),
            unit_price=_price(values.get("new_item-price", "")),
        )
        result = await create_and_link_item(
            services, user, deal_id, values.get("draft_key", ""), new, product_id
        )
    elif choice.startswith("item:") and choice[5:].isascii() and choice[5:].isdigit():
        result = await link_existing_item(services, user, deal_id, choice[5:], product_id)
    else:
        result = (Problem("choice", "choice_required"),)
    if isinstance(result, tuple):
        return await _again(request, user.company_id, values, deal_id, result)
    return _linked(request, values, deal_id, key, product_id, result)


async def _again(
    request: Request,
    company_id: int,
    values: dict[str, str],
    deal_id: int,
    problems: tuple[Problem, ...],
) -> Response:
    services = get_services(request)
    choices = await item_choices(services, company_id, values.get("q", ""))
    errors, _ = worded_problems(problems)
    if any(p.code == "choice_required" for p in problems):
        errors["choice"] = [gettext("Choose a product or service, or create a new one.")]
    suggestion = next(
        (str(p.params["suggestion"]) for p in problems if "suggestion" in p.params), ""
    )
    context = _popover_context(
        values,
        deal_id,
        choices,
        line_key=values.get("line_key", ""),
        line_name=values.get("line_name", ""),
        product_id=values.get("product_id", ""),
        product_code=values.get("product_code", ""),
        query=values.get("q", ""),
        new_name=values.get("new_item-name", ""),
        new_sku=values.get("new_item-sku", ""),
        new_description=values.get("new_item-description", ""),
        new_account_id=values.get("new_item-income_account_id", ""),
        new_price=values.get("new_item-price", ""),
        choice=values.get("choice", ""),
        errors=errors,
        suggestion=suggestion,
    )
    return render(request, POPOVER_TEMPLATE, context, block="popover", status_code=422)


def _linked(
    request: Request,
    values: dict[str, str],
    deal_id: int,
    key: str,
    product_id: int | None,
    linked: LinkedItem,
) -> Response:
    """The item cells of the line, and of every other line of the same product."""
    services = get_services(request)
    groups = line_groups(values)
    changed: list[str] = []
    for group in groups:
        same_product = linked.remembered and parse_id(group.get("product_id", "")) == product_id
        if group.get("key") == key or same_product:
            group.update(item_id=linked.id, item_name=linked.name)
            changed.append(group.get("key", ""))
    if linked.remembered:
        message = gettext(
            "Linked to %(item)s in QuickBooks, for this and every later deal with this product.",
            item=linked.name,
        )
    else:
        message = gettext("This line is sold as %(item)s.", item=linked.name)
    screen = screen_from_form(services, deal_id, with_lines(values, groups))
    if screen is None:
        response = Response("", media_type="text/html")
    else:
        context = form_context(deal_id, screen, oob=True, changed_lines=tuple(changed))
        response = render(request, TEMPLATE, context, block="line_items")
    trigger_client_event(response, "app:item-linked", {"id": linked.id, "name": linked.name})
    return trigger_client_event(response, "app:snackbar", {"message": message})


routes = [
    Mount(
        "/product-link",
        routes=[
            Route("/{deal_id:int}/popover", popover, methods=["GET", "POST"], name="popover"),
            Route("/search", search, name="search"),
            Route("/{deal_id:int}/confirm", confirm, methods=["POST"], name="confirm"),
        ],
        name="product_link",
    )
]
