"""A draft of an invoice and what became of it: the outcomes a screen shows, the draft's key,
and what a posted draft shows and does (its invoice, "Send now", the PDF).

See :mod:`extension.invoicing.create` for the whole flow.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.invoicing.drafts import DraftLine
from extension.invoicing.invoice_status import was_emailed
from extension.invoicing.mirroring import invoice_version
from extension.invoicing.sending import send_request_id
from extension.invoicing.status import CompanyStatus
from extension.pipedrive.client import PipedriveClient
from extension.quickbooks.invoice_models import Invoice
from extension.services import Services
from extension.store.create_attempts import (
    AttemptState,
    get_attempt,
    new_draft_key,
)
from extension.store.installations import record_audit
from extension.store.invoice_mirror import mirrored_invoices, upsert_invoices
from extension.store.invoice_models import CreateAttempt, MirroredInvoice
from extension.store.models import utcnow

__all__ = [
    "LEASE",
    "DraftNotFound",
    "NotConnected",
    "CreatedInvoice",
    "Busy",
    "Stalled",
    "LineNoter",
    "draft_key_for",
    "in_session",
    "draft_of",
    "deal_url",
    "created_invoice",
    "draft_state",
    "send_created",
    "created_pdf",
]

T = TypeVar("T")

# Longer than the most a post can take (three tries of 30 s, back-off and a short throttle
# wait): a second claimer must not replay the requestid while the first may still be sending.
LEASE = timedelta(minutes=3)

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
    emailed_at: datetime | None


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


async def in_session(services: Services, read: Callable[..., Awaitable[T]], *args: object) -> T:
    """One read in a session of its own, so reads can run side by side."""
    async with services.sessionmaker() as session:
        return await read(session, *args)


async def draft_of(services: Services, user: SessionUser, deal_id: int, key: str) -> CreateAttempt:
    attempt = await in_session(services, get_attempt, user.company_id, key) if key else None
    if attempt is None or (attempt.user_id, attempt.deal_id) != (user.user_id, deal_id):
        raise DraftNotFound(key)
    return attempt


def deal_url(pipedrive: PipedriveClient, deal_id: int) -> str:
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
        emailed=was_emailed(row.email_status, row.delivered_at),
        emailed_at=row.delivered_at,
    )


async def _mirrored(
    services: Services, company_id: int, realm_id: str, invoice_id: str
) -> MirroredInvoice | None:
    async with services.sessionmaker() as session:
        rows = await mirrored_invoices(session, company_id, realm_id, [invoice_id])
    return rows.get(invoice_id)


async def created_invoice(
    services: Services, user: SessionUser, attempt: CreateAttempt
) -> CreatedInvoice:
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


# ---- after posting ---------------------------------------------------------------------------


async def draft_state(
    services: Services, user: SessionUser, deal_id: int, key: str
) -> CreatedInvoice | Busy | Stalled:
    """Where a draft stands, for a page waiting on another request's post."""
    attempt = await draft_of(services, user, deal_id, key)
    if attempt.state == AttemptState.POSTED:
        return await created_invoice(services, user, attempt)
    expires = attempt.lease_expires_at
    if attempt.state == AttemptState.POSTING and expires is not None and expires > utcnow():
        return Busy(deal_id, key)
    return Stalled(deal_id, key, kept=attempt.may_have_committed)


async def send_created(
    services: Services, user: SessionUser, deal_id: int, key: str, *, shown_sent_at: str
) -> CreatedInvoice:
    """Email the created invoice from QuickBooks to its BillEmail; mirrored and audited.
    ``shown_sent_at``: the delivery time the page showed (see ``sending``)."""
    attempt = await draft_of(services, user, deal_id, key)
    if attempt.state != AttemptState.POSTED or not attempt.invoice_id:
        raise DraftNotFound(key)
    quickbooks = await client_for_company(services, user.company_id)
    requestid = send_request_id(attempt.realm_id, attempt.invoice_id, shown_sent_at)
    invoice = await quickbooks.send_invoice(attempt.invoice_id, requestid=requestid)
    now = utcnow()
    version = invoice_version(invoice, realm_id=attempt.realm_id, read_at=now, voided=False)
    async with services.sessionmaker() as session, session.begin():
        await upsert_invoices(session, user.company_id, attempt.realm_id, [version], read_at=now)
        await record_audit(
            session,
            user.company_id,
            user.user_id,
            "invoice.emailed",
            {"invoice_id": invoice.id, "deal_id": deal_id, "to": invoice.bill_email},
        )
    return await created_invoice(services, user, attempt)


async def created_pdf(
    services: Services, user: SessionUser, deal_id: int, key: str
) -> tuple[CreatedInvoice, bytes]:
    attempt = await draft_of(services, user, deal_id, key)
    if attempt.state != AttemptState.POSTED or not attempt.invoice_id:
        raise DraftNotFound(key)
    quickbooks = await client_for_company(services, user.company_id)
    created, pdf = await asyncio.gather(
        created_invoice(services, user, attempt), quickbooks.invoice_pdf(attempt.invoice_id)
    )
    return created, pdf
