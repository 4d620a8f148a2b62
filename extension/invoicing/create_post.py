"""Posting a draft exactly once (see :mod:`extension.store.create_attempts` for the rules).

Every entity the invoice names is read again (customer, items, tax codes, terms, the number)
and pre-flight lists every problem at once; nothing goes to QuickBooks while one stands in the
way. The body is built, stored with the claim (one body per requestid) and sent; the customer
update, when asked for and needed, goes just before it. Then, in one transaction, the attempt
is marked posted, the invoice linked to the deal and mirrored (all audited).

Outcomes: created; refused by QuickBooks (a fresh requestid next time, the refusal shown on its
field); no answer (the requestid and body are kept and the next try replays them, so a timeout
after QuickBooks committed still makes one invoice); another request is posting it (wait).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.i18n import UserLocale
from extension.invoicing.books import Books, BooksSnapshot, read_books
from extension.invoicing.create_drafts import (
    LEASE,
    Busy,
    CreatedInvoice,
    DraftNotFound,
    LineNoter,
    created_invoice,
    deal_url,
    draft_of,
)
from extension.invoicing.create_screen import CreateScreen, ScreenNotice, build_screen
from extension.invoicing.draft_form import parse_draft_form
from extension.invoicing.drafts import DealReference, DraftInvoice
from extension.invoicing.fault_fields import fault_problems
from extension.invoicing.invoice_status import was_emailed
from extension.invoicing.mirroring import invoice_version
from extension.invoicing.preflight import Lookups, preflight
from extension.invoicing.problems import Problem, Severity, blocking, merge
from extension.invoicing.to_quickbooks import build_invoice, customer_update
from extension.pipedrive.models import Deal
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
    PostedAsAnotherInvoice,
    claim_attempt,
    record_failure,
    record_success,
)
from extension.store.deal_links import InvoiceLinkedElsewhere, link_invoice
from extension.store.invoice_mirror import upsert_invoices
from extension.store.invoice_models import CreateAttempt
from extension.store.link_models import LinkOrigin
from extension.store.models import utcnow

__all__ = [
    "submit",
    "check_number",
    "finalize_post",
    "release_claim",
]

logger = logging.getLogger(__name__)

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


async def release_claim(
    services: Services, attempt: CreateAttempt, error: Exception, rotate: bool
) -> None:
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


async def finalize_post(
    services: Services, attempt: CreateAttempt, deal_title: str, invoice: Invoice
) -> CreatedInvoice:
    """Posted: mark it, link it to the deal and mirror it, in one transaction."""
    now = utcnow()
    company_id = attempt.company_id
    version = invoice_version(invoice, realm_id=attempt.realm_id, read_at=now, voided=False)
    async with services.sessionmaker() as session, session.begin():
        try:
            await record_success(
                session, company_id, attempt.draft_key, invoice_id=invoice.id, now=now
            )
        except PostedAsAnotherInvoice as exc:
            # One requestid, two answers: cannot happen unless QuickBooks forgot the id.
            logger.error("draft posted twice: %s", exc)
            raise
        try:
            await link_invoice(
                session,
                company_id,
                realm_id=attempt.realm_id,
                invoice_id=invoice.id,
                deal_id=attempt.deal_id,
                deal_title=deal_title,
                origin=LinkOrigin.CREATED,
                user_id=attempt.user_id,
                now=now,
            )
        except InvoiceLinkedElsewhere as exc:  # a new invoice is on no deal yet
            logger.error("created invoice %s is already on deal %s", exc.invoice_id, exc.deal_id)
        await upsert_invoices(session, company_id, attempt.realm_id, [version], read_at=now)
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
        emailed=was_emailed(invoice.email_status, invoice.delivered_at),
        emailed_at=invoice.delivered_at,
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
        return await created_invoice(
            services, user, await draft_of(services, user, failure.deal.id, key)
        )
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
            await release_claim(services, attempt, exc, rotate=True)
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
        await release_claim(services, attempt, exc, rotate=True)
        return failure.screen(fault_problems(exc, failure.draft), ScreenNotice.REFUSED, exc)
    except QuickBooksError as exc:
        await release_claim(services, attempt, exc, rotate=False)
        return failure.screen((), ScreenNotice.MAY_HAVE_COMMITTED, exc)
    return await finalize_post(services, attempt, failure.deal.title, invoice)


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
    attempt = await draft_of(services, user, deal_id, key)
    if attempt.state == AttemptState.POSTED:
        return await created_invoice(services, user, attempt)
    pipedrive = await client_for_user(services, user.company_id, user.user_id)
    quickbooks = await client_for_company(services, user.company_id)
    secret = str(services.settings.secret_key)
    url = deal_url(pipedrive, deal_id)
    draft, form_problems = parse_draft_form(form, locale.formatting, None)
    if attempt.may_have_committed:
        # A try QuickBooks may have answered: the same body again, whatever the form says now.
        deal = await pipedrive.deal(deal_id)
        books_snapshot = BooksSnapshot.load(form.get("books", ""), secret)
        if books_snapshot is None:
            books_snapshot = (await read_books(quickbooks, locale.zone)).snapshot
        token = books_snapshot.dump(secret)
        failure = _Failure(form, books_snapshot, token, deal, url, None, locale.formatting)
        return await _post(services, user, key, quickbooks, failure, body=b"", update=None)
    ids = list(dict.fromkeys(line.item_id for line in draft.lines if line.item_id))
    deal, books, customer, items, number_taken = await asyncio.gather(
        pipedrive.deal(deal_id),
        read_books(quickbooks, locale.zone),
        _customer(quickbooks, draft.customer.customer_id),
        _items(quickbooks, ids),
        _number_taken(quickbooks, draft.details.number),
    )
    reference = DealReference(deal.id, deal.title, url)
    draft = replace(draft, deal=reference)
    token = books.snapshot.dump(secret)
    failure = _Failure(form, books.snapshot, token, deal, url, draft, locale.formatting)
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
