"""Creating an invoice from a deal: open the form, check everything, post exactly once.

Opening. The draft's key is derived from the modal's runtime id (``draft_key_for``): a reload
or a duplicated tab of the same modal is the same draft, a new "+ Invoice" is a new one. Its
attempt, with the ``requestid`` it will post under, is stored before anything else happens
(``store.create_attempts``); a draft already posted opens on its invoice. Independent reads
run in parallel, each with its own database session: the deal (as this user), QuickBooks'
company, preferences, tax codes, rates and terms, the settings; then the remembered links and
the Pipedrive products.

Posting. Every entity the invoice names is read again (customer, items, tax codes, terms, the
number) and pre-flight lists every problem at once; nothing goes to QuickBooks while one stands
in the way. The body is built, stored with the claim (one body per requestid) and sent; the
customer update, when asked for and needed, goes just before it. Then, in one transaction, the
attempt is marked posted, the invoice linked to the deal and mirrored (all audited).

Outcomes of a post: created; refused by QuickBooks (a fresh requestid next time, the refusal
shown on its field); no answer (the requestid and body are kept, and the next try replays
them, so a timeout after QuickBooks committed still makes one invoice); someone else is
posting this draft right now (wait for them).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.i18n import UserLocale
from extension.invoicing.books import Books, BooksSnapshot, read_books
from extension.invoicing.company_settings import SettingsValues, load_settings
from extension.invoicing.create_screen import CreateScreen, ScreenNotice, build_screen
from extension.invoicing.customers import deal_contact
from extension.invoicing.draft_form import draft_form_fields, parse_draft_form
from extension.invoicing.drafts import DealReference, DraftInvoice, DraftLine
from extension.invoicing.fault_fields import fault_problems
from extension.invoicing.line_editing import new_line_key
from extension.invoicing.mirroring import invoice_version
from extension.invoicing.prefill import prefill_draft
from extension.invoicing.preflight import Lookups, preflight
from extension.invoicing.problems import Problem, Severity, blocking, merge
from extension.invoicing.status import CompanyStatus, company_status
from extension.invoicing.tax_modes import TaxModel, match_tax_code
from extension.invoicing.to_quickbooks import build_invoice, customer_update
from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import PipedriveForbidden, PipedriveNotFound
from extension.pipedrive.models import Deal, DealContext, Product
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError, QuickBooksNotFound, QuickBooksRejected
from extension.quickbooks.invoice_models import Invoice
from extension.quickbooks.models import Customer, CustomerUpdate, Item
from extension.quickbooks.query import MAX_RESULTS_LIMIT, Query
from extension.quickbooks.wire import encode_json
from extension.services import Services
from extension.store.create_attempts import (
    AttemptState,
    ClaimOutcome,
    DraftKeyConflict,
    PostedAsAnotherInvoice,
    claim_attempt,
    create_draft,
    get_attempt,
    new_draft_key,
    record_failure,
    record_success,
    unresolved_for_deal,
)
from extension.store.deal_links import InvoiceLinkedElsewhere, link_invoice
from extension.store.installations import record_audit
from extension.store.invoice_mirror import mirrored_invoices, upsert_invoices
from extension.store.invoice_models import CreateAttempt, MirroredInvoice
from extension.store.link_models import ContactKind, LinkOrigin
from extension.store.links import contact_links, product_links
from extension.store.models import utcnow

__all__ = [
    "LEASE",
    "DraftNotFound",
    "CreatedInvoice",
    "NotConnected",
    "Busy",
    "Stalled",
    "LineNoter",
    "draft_key_for",
    "open_form",
    "submit",
    "draft_state",
    "check_number",
    "send_created",
    "created_pdf",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Longer than the most a post can take (three tries of 30 s, back-off and a short throttle
# wait): a second claimer must not replay the requestid while the first may still be sending.
LEASE = timedelta(minutes=3)
_PRODUCT_READS = 8  # Pipedrive products read at once when the form opens

# Words a line's note in the user's language (discount given, first period of a subscription).
LineNoter = Callable[[DraftLine, str], str]


class DraftNotFound(Exception):
    """No such draft for this user and deal (a forged key, or another company's)."""


@dataclass(frozen=True, slots=True)
class NotConnected:
    status: CompanyStatus


@dataclass(frozen=True, slots=True)
class CreatedInvoice:
    draft_key: str
    deal_id: int
    invoice_id: str
    doc_number: str
    customer_name: str
    currency: str
    total: Decimal
    balance: Decimal
    due_date: date | None
    bill_email: str
    emailed: bool


@dataclass(frozen=True, slots=True)
class Busy:
    """Another request is posting this draft right now."""

    deal_id: int
    draft_key: str


@dataclass(frozen=True, slots=True)
class Stalled:
    """Nobody is posting the draft and it is not posted: a try failed or its holder died.
    ``kept``: the next try resends the stored invoice unchanged (QuickBooks may have it)."""

    deal_id: int
    draft_key: str
    kept: bool


def draft_key_for(secret: str, company_id: int, user_id: int, deal_id: int, runtime_id: str) -> str:
    """The draft of one opening of the modal: derived from the SDK runtime id Pipedrive gives
    the iframe (the same on a reload), so a reload or a duplicated tab finds the same draft.
    Without a usable runtime id, a fresh random key."""
    if not (0 < len(runtime_id) <= 128 and runtime_id.isascii() and runtime_id.isprintable()):
        return new_draft_key()
    message = f"draft\x00{company_id}\x00{user_id}\x00{deal_id}\x00{runtime_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


# ---- small helpers ---------------------------------------------------------------------------


async def _in_session(services: Services, read: Callable[..., Awaitable[T]], *args: object) -> T:
    """One read in a session of its own, so reads can run side by side."""
    async with services.sessionmaker() as session:
        return await read(session, *args)


async def _attempt(services: Services, user: SessionUser, deal_id: int, key: str) -> CreateAttempt:
    attempt = await _in_session(services, get_attempt, user.company_id, key) if key else None
    if attempt is None or (attempt.user_id, attempt.deal_id) != (user.user_id, deal_id):
        raise DraftNotFound(key)
    return attempt


def _deal_url(pipedrive: PipedriveClient, deal_id: int) -> str:
    return f"{pipedrive.api_domain}/deal/{deal_id}"


def _created_view(attempt: CreateAttempt, row: MirroredInvoice) -> CreatedInvoice:
    return CreatedInvoice(
        draft_key=attempt.draft_key,
        deal_id=attempt.deal_id,
        invoice_id=row.invoice_id,
        doc_number=row.doc_number,
        customer_name=row.customer_name,
        currency=row.currency,
        total=row.total,
        balance=row.balance,
        due_date=row.due_date,
        bill_email=row.bill_email,
        emailed=row.email_status == "EmailSent" or row.delivered_at is not None,
    )


async def _mirrored(
    services: Services, company_id: int, realm_id: str, invoice_id: str
) -> MirroredInvoice | None:
    async with services.sessionmaker() as session:
        rows = await mirrored_invoices(session, company_id, realm_id, [invoice_id])
    return rows.get(invoice_id)


async def _created(services: Services, user: SessionUser, attempt: CreateAttempt) -> CreatedInvoice:
    """A posted draft's invoice as mirrored (read from QuickBooks if the mirror lacks it)."""
    invoice_id = attempt.invoice_id or ""
    row = await _mirrored(services, user.company_id, attempt.realm_id, invoice_id)
    if row is None:
        quickbooks = await client_for_company(services, user.company_id)
        invoice = await quickbooks.get_invoice(invoice_id)
        await _store_version(services, user.company_id, attempt.realm_id, invoice)
        row = await _mirrored(services, user.company_id, attempt.realm_id, invoice_id)
        assert row is not None
    return _created_view(attempt, row)


async def _store_version(
    services: Services, company_id: int, realm_id: str, invoice: Invoice
) -> None:
    now = utcnow()
    version = invoice_version(invoice, realm_id=realm_id, read_at=now, voided=False)
    async with services.sessionmaker() as session, session.begin():
        await upsert_invoices(session, company_id, realm_id, [version], read_at=now)


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
    services: Services, company_id: int, realm_id: str, context: DealContext
) -> _Links:
    contacts: list[tuple[ContactKind, int]] = []
    contact = deal_contact(context.deal)
    if contact is not None:
        contacts.append(contact)
    product_ids = [p.product_id for p in context.products if p.product_id is not None]
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
) -> NotConnected | CreatedInvoice | CreateScreen:
    """The modal's content for this opening: the prefilled form, or the invoice it created."""
    pipedrive, status = await asyncio.gather(
        client_for_user(services, user.company_id, user.user_id),
        company_status(services, user.company_id),
    )
    deal = await pipedrive.deal(deal_id)  # as this user: hidden deals stop here
    if not status.connected:
        return NotConnected(status)
    secret = str(services.settings.secret_key)
    key = draft_key_for(secret, user.company_id, user.user_id, deal_id, runtime_id)
    attempt = await _open_attempt(services, user, key, status.realm_id, deal_id)
    if attempt.state == AttemptState.POSTED:
        return await _created(services, user, attempt)
    quickbooks = await client_for_company(services, user.company_id)
    context, books, settings = await asyncio.gather(
        pipedrive.deal_context(deal_id, deal=deal),
        read_books(quickbooks, locale.zone),
        _in_session(services, load_settings, user.company_id),
    )
    product_ids = list(dict.fromkeys(p.product_id for p in context.products if p.product_id))
    links, catalog = await asyncio.gather(
        _links(services, user.company_id, quickbooks.realm_id, context),
        _catalog(pipedrive, product_ids),
    )
    draft = prefill_draft(
        context,
        _with_terms_known(settings, books),
        books.snapshot.model,
        today=books.today(now or utcnow()),
        deal_url=_deal_url(pipedrive, deal_id),
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


# ---- posting ---------------------------------------------------------------------------------


async def _items(client: QuickBooksClient, ids: list[str]) -> dict[str, Item | None]:
    """The items by id, inactive ones included (name-list queries hide them otherwise)."""
    found: dict[str, Item | None] = dict.fromkeys(ids)
    valid = [i for i in ids if i.isascii() and i.isdigit()]
    for start in range(0, len(valid), MAX_RESULTS_LIMIT):
        query = (
            Query("Item")
            .where_in("Id", valid[start : start + MAX_RESULTS_LIMIT])
            .where_in("Active", (True, False))
            .page(1, MAX_RESULTS_LIMIT)
        )
        for item in (await client.query(Item, query)).items:
            found[item.id] = item
    return found


async def _customer(client: QuickBooksClient, customer_id: str | None) -> Customer | None:
    if not customer_id or not (customer_id.isascii() and customer_id.isdigit()):
        return None
    try:
        return await client.get_customer(customer_id)
    except QuickBooksNotFound:
        return None


async def _number_taken(client: QuickBooksClient, number: str) -> bool | None:
    if not number:
        return None
    query = Query("Invoice").where("DocNumber", "=", number).page(1, 1)
    return bool((await client.query(Invoice, query)).items)


async def check_number(services: Services, company_id: int, number: str) -> bool:
    """Whether an invoice in QuickBooks already has this number (custom numbers)."""
    quickbooks = await client_for_company(services, company_id)
    return bool(await _number_taken(quickbooks, number))


def _extra_checks(draft: DraftInvoice, books: Books) -> list[Problem]:
    problems: list[Problem] = []
    terms = draft.details.terms_id
    if terms and books.snapshot.term(terms) is None:
        problems.append(Problem("details-terms_id", "terms_not_found"))
    if not draft.customer.email:
        # QuickBooks creates it, but cannot email it or give it a payment link.
        problems.append(Problem("customer-email", "email_missing", severity=Severity.WARNING))
    return problems


def _line_notes(draft: DraftInvoice, noter: LineNoter) -> dict[int, str]:
    notes = {i: noter(line, draft.details.currency) for i, line in enumerate(draft.lines)}
    return {i: note for i, note in notes.items() if note}


@dataclass(frozen=True, slots=True)
class _Failure:
    """How to show the form again after a post did not create the invoice."""

    form: Mapping[str, str]
    books: BooksSnapshot
    token: str
    deal: Deal
    deal_url: str
    draft: DraftInvoice | None
    locale: str

    def screen(
        self,
        problems: tuple[Problem, ...] = (),
        notice: ScreenNotice = ScreenNotice.NONE,
        error: QuickBooksError | None = None,
    ) -> CreateScreen:
        screen = build_screen(
            self.form,
            self.books,
            self.token,
            deal_id=self.deal.id,
            locale=self.locale,
            problems=problems,
            notice=notice,
            deal_title=self.deal.title,
            deal_url=self.deal_url,
        )
        return replace(screen, error=error) if error is not None else screen


async def _claim(
    services: Services, company_id: int, key: str, body: bytes
) -> ClaimOutcome | CreateAttempt:
    # Committed before QuickBooks is called, or another process could not see the claim.
    async with services.sessionmaker() as session, session.begin():
        claim = await claim_attempt(session, company_id, key, body=body.decode(), lease=LEASE)
    if claim.won:
        assert claim.attempt is not None
        return claim.attempt
    return claim.outcome


async def _fail(services: Services, attempt: CreateAttempt, error: Exception, rotate: bool) -> None:
    """Release the claim. ``rotate``: nothing can exist under this requestid (QuickBooks
    refused it, or the invoice was never sent under it), so the next try gets a fresh one."""
    code = error.code if isinstance(error, QuickBooksRejected) else type(error).__name__
    async with services.sessionmaker() as session, session.begin():
        await record_failure(
            session,
            attempt.company_id,
            attempt.draft_key,
            lease_token=attempt.lease_token or "",
            error_code=code or "refused",
            rejected_by_quickbooks=rotate,
        )


async def _finalize(
    services: Services, user: SessionUser, attempt: CreateAttempt, deal: Deal, invoice: Invoice
) -> CreatedInvoice:
    """Posted: mark it, link it to the deal and mirror it, in one transaction."""
    now = utcnow()
    version = invoice_version(invoice, realm_id=attempt.realm_id, read_at=now, voided=False)
    async with services.sessionmaker() as session, session.begin():
        try:
            await record_success(
                session, user.company_id, attempt.draft_key, invoice_id=invoice.id, now=now
            )
        except PostedAsAnotherInvoice as exc:
            # One requestid, two answers: cannot happen unless QuickBooks forgot the id.
            logger.error("draft posted twice: %s", exc)
            raise
        try:
            await link_invoice(
                session,
                user.company_id,
                realm_id=attempt.realm_id,
                invoice_id=invoice.id,
                deal_id=attempt.deal_id,
                deal_title=deal.title,
                origin=LinkOrigin.CREATED,
                user_id=attempt.user_id,
                now=now,
            )
        except InvoiceLinkedElsewhere as exc:  # a new invoice is on no deal yet
            logger.error("created invoice %s is already on deal %s", exc.invoice_id, exc.deal_id)
        await upsert_invoices(session, user.company_id, attempt.realm_id, [version], read_at=now)
    return CreatedInvoice(
        draft_key=attempt.draft_key,
        deal_id=attempt.deal_id,
        invoice_id=invoice.id,
        doc_number=invoice.doc_number,
        customer_name=invoice.customer.name if invoice.customer else "",
        currency=version.currency,
        total=invoice.total,
        balance=invoice.balance,
        due_date=invoice.due_date,
        bill_email=invoice.bill_email,
        emailed=invoice.email_status == "EmailSent",
    )


async def _post(
    services: Services,
    user: SessionUser,
    key: str,
    quickbooks: QuickBooksClient,
    failure: _Failure,
    *,
    body: bytes,
    update: CustomerUpdate | None,
) -> CreatedInvoice | Busy | CreateScreen:
    claimed = await _claim(services, user.company_id, key, body)
    if claimed is ClaimOutcome.POSTED:
        return await _created(services, user, await _attempt(services, user, failure.deal.id, key))
    if claimed is ClaimOutcome.BUSY:
        return Busy(failure.deal.id, key)
    if not isinstance(claimed, CreateAttempt):
        raise DraftNotFound(key)
    attempt = claimed
    replay = attempt.request_claims > 1
    if update is not None and not replay:
        try:
            await quickbooks.update_customer(update)
        except QuickBooksError as exc:
            await _fail(services, attempt, exc, rotate=True)
            problems = fault_problems(exc, None) if isinstance(exc, QuickBooksRejected) else ()
            on_customer = tuple(
                replace(p, field="customer-update_customer") if p.field == "form" else p
                for p in problems
            )
            return failure.screen(on_customer, ScreenNotice.CUSTOMER_UPDATE_FAILED, exc)
    stored = (attempt.request_body or body.decode()).encode()
    try:
        invoice = await quickbooks.create_invoice_from_body(stored, requestid=attempt.request_id)
    except QuickBooksRejected as exc:
        await _fail(services, attempt, exc, rotate=True)
        return failure.screen(fault_problems(exc, failure.draft), ScreenNotice.REFUSED, exc)
    except QuickBooksError as exc:
        await _fail(services, attempt, exc, rotate=False)
        return failure.screen((), ScreenNotice.MAY_HAVE_COMMITTED, exc)
    return await _finalize(services, user, attempt, failure.deal, invoice)


async def submit(
    services: Services,
    user: SessionUser,
    deal_id: int,
    form: Mapping[str, str],
    *,
    locale: UserLocale,
    noter: LineNoter,
) -> CreatedInvoice | Busy | CreateScreen:
    """Post the submitted form once; see the module docstring for the outcomes."""
    key = form.get("draft_key", "")
    attempt = await _attempt(services, user, deal_id, key)
    if attempt.state == AttemptState.POSTED:
        return await _created(services, user, attempt)
    pipedrive = await client_for_user(services, user.company_id, user.user_id)
    quickbooks = await client_for_company(services, user.company_id)
    secret = str(services.settings.secret_key)
    deal_url = _deal_url(pipedrive, deal_id)
    draft, form_problems = parse_draft_form(form, locale.formatting, None)
    if attempt.may_have_committed:
        # A try QuickBooks may have answered: the same body again, whatever the form says now.
        deal = await pipedrive.deal(deal_id)
        books_snapshot = BooksSnapshot.load(form.get("books", ""), secret)
        if books_snapshot is None:
            books_snapshot = (await read_books(quickbooks, locale.zone)).snapshot
        token = books_snapshot.dump(secret)
        failure = _Failure(form, books_snapshot, token, deal, deal_url, None, locale.formatting)
        return await _post(services, user, key, quickbooks, failure, body=b"", update=None)
    ids = list(dict.fromkeys(line.item_id for line in draft.lines if line.item_id))
    deal, books, customer, items, number_taken = await asyncio.gather(
        pipedrive.deal(deal_id),
        read_books(quickbooks, locale.zone),
        _customer(quickbooks, draft.customer.customer_id),
        _items(quickbooks, ids),
        _number_taken(quickbooks, draft.details.number),
    )
    reference = DealReference(deal.id, deal.title, deal_url)
    draft = replace(draft, deal=reference)
    token = books.snapshot.dump(secret)
    failure = _Failure(form, books.snapshot, token, deal, deal_url, draft, locale.formatting)
    lookups = Lookups(
        customer=customer,
        items=items,
        tax_codes=books.codes_by_id,
        tax_code_rates=books.snapshot.rates,
        number_taken=number_taken,
    )
    checks = preflight(draft, books.snapshot.facts, lookups)
    problems = merge(form_problems, (*checks, *_extra_checks(draft, books)))
    if blocking(problems):
        return failure.screen(problems, ScreenNotice.PROBLEMS)
    snapshot = books.snapshot
    body = encode_json(
        build_invoice(
            draft,
            snapshot.model,
            multicurrency=snapshot.multicurrency,
            custom_txn_numbers=snapshot.custom_txn_numbers,
            tax_code_rates=snapshot.rates,
            line_notes=_line_notes(draft, noter),
        ).to_api()
    )
    assert customer is not None  # pre-flight refuses an unlinked or missing customer
    update = customer_update(draft.customer, customer, snapshot.model)
    return await _post(services, user, key, quickbooks, failure, body=body, update=update)


# ---- after posting ---------------------------------------------------------------------------


async def draft_state(
    services: Services, user: SessionUser, deal_id: int, key: str
) -> CreatedInvoice | Busy | Stalled:
    """Where a draft stands, for a page waiting on another request's post."""
    attempt = await _attempt(services, user, deal_id, key)
    if attempt.state == AttemptState.POSTED:
        return await _created(services, user, attempt)
    expires = attempt.lease_expires_at
    if attempt.state == AttemptState.POSTING and expires is not None and expires > utcnow():
        return Busy(deal_id, key)
    return Stalled(deal_id, key, kept=attempt.may_have_committed)


def _send_request_id(attempt: CreateAttempt) -> str:
    # One send per created invoice from this screen: a double click emails once.
    return hashlib.sha256(f"send\x00{attempt.draft_key}".encode()).hexdigest()[:32]


async def send_created(
    services: Services, user: SessionUser, deal_id: int, key: str
) -> CreatedInvoice:
    """Email the created invoice from QuickBooks to its BillEmail; mirrored and audited."""
    attempt = await _attempt(services, user, deal_id, key)
    if attempt.state != AttemptState.POSTED or not attempt.invoice_id:
        raise DraftNotFound(key)
    quickbooks = await client_for_company(services, user.company_id)
    invoice = await quickbooks.send_invoice(attempt.invoice_id, requestid=_send_request_id(attempt))
    now = utcnow()
    version = invoice_version(invoice, realm_id=attempt.realm_id, read_at=now, voided=False)
    async with services.sessionmaker() as session, session.begin():
        await upsert_invoices(session, user.company_id, attempt.realm_id, [version], read_at=now)
        await record_audit(
            session,
            user.company_id,
            user.user_id,
            "invoice.sent",
            {"invoice_id": invoice.id, "deal_id": deal_id, "to": invoice.bill_email},
        )
    return await _created(services, user, attempt)


async def created_pdf(
    services: Services, user: SessionUser, deal_id: int, key: str
) -> tuple[CreatedInvoice, bytes]:
    attempt = await _attempt(services, user, deal_id, key)
    if attempt.state != AttemptState.POSTED or not attempt.invoice_id:
        raise DraftNotFound(key)
    quickbooks = await client_for_company(services, user.company_id)
    created, pdf = await asyncio.gather(
        _created(services, user, attempt), quickbooks.invoice_pdf(attempt.invoice_id)
    )
    return created, pdf
