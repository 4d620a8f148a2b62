"""Opening the create-invoice modal: the draft (stored with its requestid before anything is
posted), and the form prefilled from the deal, read in two round trips.

Independent reads run side by side, each with its own database session. First the deal and its
lines as this user (hidden deals stop here), QuickBooks' company, preferences, tax codes, rates
and terms, and the settings; then the deal's person and organization, its Pipedrive products
and the remembered contact and product links. A draft
already posted opens on its invoice; an earlier draft of the deal whose outcome is unknown is
offered to be finished first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.concurrency import together
from extension.i18n import UserLocale
from extension.invoicing.books import Books, read_books
from extension.invoicing.company_settings import SettingsValues, load_settings
from extension.invoicing.create_drafts import (
    Busy,
    CreatedInvoice,
    NotConnected,
    created_invoice,
    deal_url,
    draft_key_for,
    in_session,
)
from extension.invoicing.create_screen import CreateScreen, ScreenNotice, build_screen
from extension.invoicing.customers import deal_contact
from extension.invoicing.draft_form import draft_form_fields
from extension.invoicing.drafts import DraftInvoice
from extension.invoicing.line_editing import new_line_key
from extension.invoicing.prefill import prefill_draft
from extension.invoicing.status import company_status
from extension.invoicing.tax_modes import TaxModel, match_tax_code
from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import PipedriveForbidden, PipedriveNotFound
from extension.pipedrive.models import Deal, DealContext, DealProduct, Product
from extension.services import Services
from extension.store.create_attempts import (
    AttemptState,
    DraftKeyConflict,
    create_draft,
    new_draft_key,
    unresolved_for_deal,
)
from extension.store.invoice_models import CreateAttempt
from extension.store.link_models import ContactKind
from extension.store.links import contact_links, product_links
from extension.store.models import utcnow

__all__ = [
    "open_form",
]


_PRODUCT_READS = 8  # Pipedrive products read at once when the form opens


# ---- opening ---------------------------------------------------------------------------------


async def _open_attempt(
    services: Services, user: SessionUser, key: str, realm_id: str, deal_id: int
) -> CreateAttempt:
    for candidate in (key, new_draft_key()):
        try:
            async with services.sessionmaker() as session, session.begin():
                return await create_draft(
                    session,
                    user.company_id,
                    draft_key=candidate,
                    realm_id=realm_id,
                    deal_id=deal_id,
                    user_id=user.user_id,
                )
        except DraftKeyConflict:
            # The same opening under another QuickBooks company: a new draft for this one.
            continue
    raise AssertionError("a fresh draft key cannot conflict")


async def _catalog(pipedrive: PipedriveClient, product_ids: list[int]) -> dict[int, Product]:
    gate = asyncio.Semaphore(_PRODUCT_READS)

    async def one(product_id: int) -> Product | None:
        async with gate:
            try:
                return await pipedrive.product(product_id)
            except (PipedriveNotFound, PipedriveForbidden):
                return None  # deleted or hidden: the deal's own line still has its name

    found = await asyncio.gather(*(one(pid) for pid in product_ids))
    return {product.id: product for product in found if product is not None}


@dataclass(frozen=True, slots=True)
class _Links:
    customer_id: str | None
    customer_name: str
    customer_currency: str
    items: dict[int, tuple[str, str]]  # product id → (item id, item name)


async def _links(
    services: Services,
    company_id: int,
    realm_id: str,
    deal: Deal,
    lines: Sequence[DealProduct],
) -> _Links:
    contacts: list[tuple[ContactKind, int]] = []
    contact = deal_contact(deal)
    if contact is not None:
        contacts.append(contact)
    product_ids = [p.product_id for p in lines if p.product_id is not None]
    async with services.sessionmaker() as session:
        contact_rows = await contact_links(session, company_id, realm_id, contacts)
        product_rows = await product_links(session, company_id, realm_id, product_ids)
    link = contact_rows.get(contact) if contact is not None else None
    return _Links(
        customer_id=link.customer_id if link else None,
        customer_name=link.customer_name if link else "",
        customer_currency=link.customer_currency if link else "",
        items={pid: (row.item_id, row.item_name) for pid, row in product_rows.items()},
    )


def _sales_tax_default(draft: DraftInvoice, books: Books) -> DraftInvoice:
    """US companies without automated sales tax need one rate for the invoice; without a
    default in settings, the code whose rate the deal's products carry."""
    if books.snapshot.model is not TaxModel.US_MANUAL or draft.details.sales_tax_code_id:
        return draft
    rate = next((line.tax_rate for line in draft.lines if line.tax_rate), None)
    code = match_tax_code(rate, books.snapshot.rates, "") if rate is not None else ""
    return replace(draft, details=replace(draft.details, sales_tax_code_id=code))


def _contact_name(context: DealContext) -> tuple[str, str]:
    if context.organization is not None:
        return "organization", context.organization.name
    if context.person is not None:
        return "person", context.person.name
    return "", ""


def _initial_fields(
    draft: DraftInvoice,
    context: DealContext,
    links: _Links,
    catalog: Mapping[int, Product],
    *,
    key: str,
    locale: str,
) -> dict[str, str]:
    fields = draft_form_fields(draft, locale)
    kind, name = _contact_name(context)
    fields.update(
        {
            "draft_key": key,
            "deal_title": draft.deal.title if draft.deal else "",
            "deal_url": draft.deal.url if draft.deal else "",
            "customer-customer_name": links.customer_name,
            "customer-customer_currency": links.customer_currency,
            "customer-contact_kind": kind,
            "customer-contact_name": name,
        }
    )
    for index, line in enumerate(draft.lines):
        item = links.items.get(line.product_id) if line.product_id is not None else None
        fields[f"lines-{index}-key"] = new_line_key()
        fields[f"lines-{index}-item_name"] = item[1] if item else ""
        product = catalog.get(line.product_id) if line.product_id is not None else None
        fields[f"lines-{index}-product_code"] = product.code if product else ""
    return fields


async def open_form(
    services: Services,
    user: SessionUser,
    deal_id: int,
    runtime_id: str,
    *,
    locale: UserLocale,
    now: datetime | None = None,
) -> NotConnected | CreatedInvoice | Busy | CreateScreen:
    """The modal's content for this opening: the prefilled form, or the invoice it created
    (a reload), or that it is being created right now (a reload during the post)."""
    pipedrive, status = await asyncio.gather(
        client_for_user(services, user.company_id, user.user_id),
        company_status(services, user.company_id),
    )
    if not status.connected:
        await pipedrive.deal(deal_id)  # as this user: hidden deals stop here
        return NotConnected(status)
    quickbooks = await client_for_company(services, user.company_id)
    # First round trip: the deal and its lines as this user (hidden deals stop here) beside
    # QuickBooks' company lists and the settings, none of which needs another.
    (deal, lines), books, settings = await together(
        pipedrive.deal_and_products(deal_id),
        read_books(quickbooks, locale.zone),
        in_session(services, load_settings, user.company_id),
    )
    secret = str(services.settings.secret_key)
    key = draft_key_for(secret, user.company_id, user.user_id, deal_id, runtime_id)
    attempt = await _open_attempt(services, user, key, status.realm_id, deal_id)
    if attempt.state == AttemptState.POSTED:
        return await created_invoice(services, user, attempt)
    lease = attempt.lease_expires_at
    if attempt.state == AttemptState.POSTING and lease is not None and lease > utcnow():
        return Busy(deal_id, attempt.draft_key)
    # Second: what the deal names (person, organization, products) and the remembered links.
    product_ids = list(dict.fromkeys(p.product_id for p in lines if p.product_id))
    context, links, catalog = await together(
        pipedrive.deal_context(deal_id, deal=deal, products=lines),
        _links(services, user.company_id, quickbooks.realm_id, deal, lines),
        _catalog(pipedrive, product_ids),
    )
    draft = prefill_draft(
        context,
        _with_terms_known(settings, books),
        books.snapshot.model,
        today=books.today(now or utcnow()),
        deal_url=deal_url(pipedrive, deal_id),
        default_terms_id=books.default_terms_id,
        customer_id=links.customer_id,
        item_links={pid: item_id for pid, (item_id, _) in links.items.items()},
        catalog=catalog,
        tax_code_rates=books.snapshot.rates,
    )
    draft = _sales_tax_default(draft, books)
    fields = _initial_fields(
        draft, context, links, catalog, key=attempt.draft_key, locale=locale.formatting
    )
    screen = build_screen(
        fields,
        books.snapshot,
        books.snapshot.dump(secret),
        deal_id=deal_id,
        locale=locale.formatting,
    )
    if attempt.may_have_committed:
        # Reloaded after QuickBooks did not answer: the next try resends what was sent.
        screen = replace(screen, notice=ScreenNotice.MAY_HAVE_COMMITTED)
    earlier = await _earlier_unresolved(services, user, deal_id, attempt.draft_key)
    return replace(screen, earlier_draft=earlier) if earlier else screen


async def _earlier_unresolved(
    services: Services, user: SessionUser, deal_id: int, current: str
) -> str:
    """An earlier draft of this deal QuickBooks may have created without telling us (a
    timeout, then the modal closed): the new form offers to finish it first, so closing and
    opening again never makes a second invoice by accident."""
    async with services.sessionmaker() as session:
        found = await unresolved_for_deal(
            session, user.company_id, deal_id=deal_id, user_id=user.user_id
        )
    return next((a.draft_key for a in found if a.draft_key != current), "")


def _with_terms_known(settings: SettingsValues, books: Books) -> SettingsValues:
    """Settings whose default terms QuickBooks no longer has fall back to QuickBooks' own."""
    if settings.default_terms_id and books.snapshot.term(settings.default_terms_id) is None:
        return replace(settings, default_terms_id="")
    return settings
