"""What a person can do to one invoice from the panel or the all-invoices modal.

Each action goes through ``scoped_invoice`` first (role → deal as the user sees it → the
invoice belongs to this deal or its contact's customer, in this company), then does exactly
what it says in QuickBooks, stores what QuickBooks answered in the mirror and audits it in the
same transaction. The QuickBooks requests of each:

- **PDF**: ``GET /invoice/{id}/pdf``, streamed through.
- **Send**: ``POST /invoice/{id}/send?sendTo=<the billing email the person confirmed>``; the
  address must still be the invoice's own, so nothing can be sent to an address a request
  made up.
- **Copy link**: ``GET /invoice/{id}?include=invoiceLink``.
- **Void** / **Delete**: ``GET /invoice/{id}`` (current SyncToken, applied payments), then for
  each payment ``GET /payment/{id}`` and a sparse update without this invoice's lines, then
  ``POST /invoice?operation=void|delete`` with the current SyncToken; undone on failure
  (``payment_care``).
- **Unlink from deal** / **Link to this deal**: nothing in QuickBooks; the link here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from extension.accounts.permissions import Action
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.invoicing.deal_scope import (
    ScopedInvoice,
    deal_contacts,
    deal_customer_links,
    open_deal,
    scoped_invoice,
)
from extension.invoicing.invoice_rows import LinkBlocker
from extension.invoicing.mirror_sync import mirror_read
from extension.invoicing.payment_care import (
    PaymentsLeftOff,
    PaymentsRestored,
    TakenOff,
    with_payments_off,
)
from extension.invoicing.sending import send_request_id
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError, QuickBooksNotFound
from extension.quickbooks.invoice_models import Invoice
from extension.services import Services
from extension.store.deal_links import (
    InvoiceLinkedElsewhere,
    link_invoice,
    unlink_invoice,
)
from extension.store.installations import record_audit
from extension.store.link_models import LinkOrigin
from extension.store.links import forget_contact_link
from extension.store.models import utcnow

__all__ = [
    "InvoiceActionRefused",
    "CloseFailed",
    "Done",
    "PdfDownload",
    "invoice_pdf",
    "send_invoice",
    "copy_invoice_link",
    "void_invoice",
    "delete_invoice",
    "unlink_from_deal",
    "link_to_deal",
    "unlink_contact",
]


T = TypeVar("T")


class InvoiceActionRefused(Exception):
    """The action does not apply to the invoice as it stands (``reason``); nothing was sent."""

    def __init__(self, reason: str, number: str, **details: str) -> None:
        super().__init__(f"{reason}: invoice {number}")
        self.reason = reason
        self.number = number
        self.details = details


class CloseFailed(Exception):
    """A void or delete of an invoice with payments failed after they were taken off;
    ``failure`` says whether they are back (PaymentsRestored) or which are not
    (PaymentsLeftOff)."""

    def __init__(
        self,
        action: str,
        number: str,
        currency: str,
        customer_name: str,
        failure: PaymentsRestored | PaymentsLeftOff,
    ) -> None:
        super().__init__(f"{action} of invoice {number} failed")
        self.action = action
        self.number = number
        self.currency = currency
        self.customer_name = customer_name
        self.failure = failure


@dataclass(frozen=True, slots=True)
class Done:
    target: ScopedInvoice
    number: str
    changed: bool = True
    address: str = ""
    link: str | None = None
    link_blocker: LinkBlocker = LinkBlocker.NONE  # why QuickBooks gave no link, when known
    moved_from: str = ""
    taken_off: tuple[TakenOff, ...] = ()
    currency: str = ""
    customer_name: str = ""

    @property
    def invoice_id(self) -> str:
        return self.target.invoice_id


@dataclass(frozen=True, slots=True)
class PdfDownload:
    filename: str
    chunks: AsyncIterator[bytes] = field(repr=False)


def _amounts(payments: Iterable[TakenOff]) -> dict[str, str]:
    """Payment id → the amount it paid the invoice, in cents, for the audit trail."""
    return {p.payment_id: str(p.amount.quantize(Decimal("0.01"))) for p in payments}


def _number(target: ScopedInvoice) -> str:
    row = target.mirrored
    return (row.doc_number if row else "") or target.invoice_id


def _open_row(target: ScopedInvoice) -> None:
    """Refuse an action that needs an invoice QuickBooks still has unvoided."""
    row = target.mirrored
    if row is None or row.deleted:
        raise InvoiceActionRefused("deleted", _number(target))
    if row.voided:
        raise InvoiceActionRefused("voided", _number(target))


async def _store(
    services: Services,
    target: ScopedInvoice,
    action: str,
    invoices: list[Invoice],
    *,
    gone: tuple[str, ...] = (),
    voided: tuple[str, ...] = (),
    **detail: Any,
) -> None:
    scope = target.scope
    async with services.sessionmaker() as session, session.begin():
        await mirror_read(
            session,
            scope.company_id,
            scope.realm_id,
            invoices,
            read_at=utcnow(),
            gone=gone,
            voided=voided,
        )
        await record_audit(
            session,
            scope.company_id,
            scope.user.user_id,
            action,
            {"invoice_id": target.invoice_id, "deal_id": scope.deal.id, **detail},
        )


async def _reread_quietly(
    services: Services, target: ScopedInvoice, client: QuickBooksClient
) -> None:
    """After a failed void or delete the invoice may have changed (payments off): read it
    into the mirror if QuickBooks answers, so the row shows what QuickBooks holds."""
    try:
        current = await client.get_invoices([target.invoice_id])
    except QuickBooksError:
        return
    scope = target.scope
    async with services.sessionmaker() as session, session.begin():
        await mirror_read(session, scope.company_id, scope.realm_id, current, read_at=utcnow())


async def _unless_gone(services: Services, target: ScopedInvoice, call: Awaitable[T]) -> T:
    """The answer of ``call``; when QuickBooks says the invoice no longer exists (610), the
    mirror learns it is deleted and the action is refused as such."""
    try:
        return await call
    except QuickBooksNotFound as exc:
        scope = target.scope
        async with services.sessionmaker() as session, session.begin():
            await mirror_read(
                session, scope.company_id, scope.realm_id, [], read_at=utcnow(),
                gone=(target.invoice_id,),
            )  # fmt: skip
        raise InvoiceActionRefused("deleted", _number(target)) from exc


@contextlib.asynccontextmanager
async def invoice_pdf(
    services: Services, user: SessionUser, deal_id: int, invoice_id: str
) -> AsyncIterator[PdfDownload]:
    """The PDF as QuickBooks streams it, with a file name carrying the invoice's number."""
    target = await scoped_invoice(services, user, deal_id, invoice_id, Action.VIEW)
    row = target.mirrored
    if row is not None and row.deleted:
        raise InvoiceActionRefused("deleted", _number(target))
    client = await client_for_company(services, target.scope.company_id)
    async with client.invoice_pdf_stream(invoice_id) as chunks:
        await _store(services, target, "invoice.pdf_downloaded", [])
        yield PdfDownload(filename=_pdf_name(_number(target)), chunks=chunks)


def _pdf_name(number: str) -> str:
    """``Invoice-<number>.pdf`` with anything but letters, digits, ``-``, ``_`` and ``.``
    replaced (a DocNumber is free text: no slash may reach a file name)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in number).strip(".")
    return f"Invoice-{safe or 'invoice'}.pdf"


async def send_invoice(
    services: Services,
    user: SessionUser,
    deal_id: int,
    invoice_id: str,
    *,
    to: str,
    shown_sent_at: str,
) -> Done:
    """Email the invoice to the address the panel showed. ``shown_sent_at``: the delivery
    time the panel showed, so a second click on the same panel emails once (``sending``)."""
    target = await scoped_invoice(services, user, deal_id, invoice_id, Action.SEND)
    _open_row(target)
    assert target.mirrored is not None
    address = target.mirrored.bill_email
    if not address:
        raise InvoiceActionRefused("no_email", _number(target))
    if to.strip().casefold() != address.casefold():
        # The panel showed (and the person confirmed) another address than the invoice has.
        raise InvoiceActionRefused("email_changed", _number(target), address=address)
    client = await client_for_company(services, target.scope.company_id)
    requestid = send_request_id(target.scope.realm_id, invoice_id, shown_sent_at)
    sending = client.send_invoice(invoice_id, to=address, requestid=requestid)
    sent = await _unless_gone(services, target, sending)
    await _store(services, target, "invoice.emailed", [sent], to=address)
    return Done(target, _number(target), address=address)


async def copy_invoice_link(
    services: Services, user: SessionUser, deal_id: int, invoice_id: str
) -> Done:
    target = await scoped_invoice(services, user, deal_id, invoice_id, Action.COPY_LINK)
    _open_row(target)
    client = await client_for_company(services, target.scope.company_id)
    invoice = await _unless_gone(
        services, target, client.get_invoice(invoice_id, include_link=True)
    )
    link = invoice.invoice_link or None
    await _store(
        services, target, "invoice.link_copied" if link else "invoice.link_unavailable", [invoice]
    )
    return Done(target, _number(target), link=link, link_blocker=_why_no_link(target, invoice))


def _why_no_link(target: ScopedInvoice, invoice: Invoice) -> LinkBlocker:
    """What keeps QuickBooks from giving ``invoice`` a link, as far as we can tell."""
    if invoice.invoice_link:
        return LinkBlocker.NONE
    if not invoice.bill_email:
        return LinkBlocker.NO_EMAIL
    online = target.scope.status.online_payments
    if not invoice.allow_online_payment:
        return LinkBlocker.NOT_PAYABLE_ONLINE if online else LinkBlocker.PAYMENTS_OFF
    # Payable online, with an email, and still no link: the company is not taking payments.
    return LinkBlocker.PAYMENTS_OFF if not online else LinkBlocker.NONE


async def _close(
    services: Services,
    user: SessionUser,
    deal_id: int,
    invoice_id: str,
    action: Action,
) -> Done:
    target = await scoped_invoice(services, user, deal_id, invoice_id, action)
    _open_row(target)
    client = await client_for_company(services, target.scope.company_id)
    invoice = await _unless_gone(services, target, client.get_invoice(invoice_id))

    async def operation(sync_token: str | None) -> Invoice:
        if action is Action.VOID:
            return await client.void_invoice(invoice_id, sync_token=sync_token)
        await client.delete_invoice(invoice_id, sync_token=sync_token)
        return invoice

    currency = invoice.currency.value if invoice.currency else target.scope.status.home_currency
    customer = invoice.customer.name if invoice.customer else ""
    try:
        answer, taken = await with_payments_off(client, invoice, operation)
    except PaymentsRestored as exc:
        raise CloseFailed(action.value, _number(target), currency, customer, exc) from exc
    except PaymentsLeftOff as exc:
        await _reread_quietly(services, target, client)
        await _store(
            services,
            target,
            "invoice.payments_left_unapplied",
            [],
            payments=_amounts(exc.left),
        )
        raise CloseFailed(action.value, _number(target), currency, customer, exc) from exc
    payments = _amounts(taken)
    if action is Action.VOID:
        await _store(
            services, target, "invoice.voided", [answer], voided=(invoice_id,), payments=payments
        )
    else:
        await _store(services, target, "invoice.deleted", [], gone=(invoice_id,), payments=payments)
    return Done(
        target,
        _number(target),
        taken_off=taken,
        currency=currency,
        customer_name=customer,
    )


async def void_invoice(
    services: Services, user: SessionUser, deal_id: int, invoice_id: str
) -> Done:
    return await _close(services, user, deal_id, invoice_id, Action.VOID)


async def delete_invoice(
    services: Services, user: SessionUser, deal_id: int, invoice_id: str
) -> Done:
    return await _close(services, user, deal_id, invoice_id, Action.DELETE)


async def unlink_from_deal(
    services: Services, user: SessionUser, deal_id: int, invoice_id: str
) -> Done:
    """QuickBooks keeps the invoice; this deal stops showing it (audited by the store)."""
    target = await scoped_invoice(services, user, deal_id, invoice_id, Action.UNLINK)
    scope = target.scope
    async with services.sessionmaker() as session, session.begin():
        unlinked = await unlink_invoice(
            session,
            scope.company_id,
            realm_id=scope.realm_id,
            invoice_id=invoice_id,
            deal_id=deal_id,
            user_id=user.user_id,
        )
    return Done(target, _number(target), changed=unlinked)


async def link_to_deal(
    services: Services, user: SessionUser, deal_id: int, invoice_id: str, *, move: bool
) -> Done:
    """Link an invoice of the deal's customer here; from another deal only with ``move``."""
    target = await scoped_invoice(services, user, deal_id, invoice_id, Action.LINK)
    if target.linked_here:
        return Done(target, _number(target), changed=False)
    scope = target.scope
    previous = target.link.deal_title if target.link else ""
    try:
        async with services.sessionmaker() as session, session.begin():
            await link_invoice(
                session,
                scope.company_id,
                realm_id=scope.realm_id,
                invoice_id=invoice_id,
                deal_id=deal_id,
                deal_title=scope.deal.title,
                origin=LinkOrigin.LINKED,
                user_id=user.user_id,
                move=move,
            )
    except InvoiceLinkedElsewhere as exc:
        raise InvoiceActionRefused(
            "linked_elsewhere", _number(target), deal=exc.deal_title or f"#{exc.deal_id}"
        ) from exc
    return Done(target, _number(target), moved_from=previous if move else "")


async def unlink_contact(services: Services, user: SessionUser, deal_id: int) -> list[str]:
    """Forget which QuickBooks customers the deal's organization and person stand for;
    returns the customers' names (audited by the store)."""
    scope = await open_deal(services, user, deal_id, Action.UNLINK)
    async with services.sessionmaker() as session, session.begin():
        names = [link.customer_name for link in await deal_customer_links(session, scope)]
        for kind, contact_id in deal_contacts(scope.deal):
            await forget_contact_link(
                session, scope.company_id, kind=kind, contact_id=contact_id, user_id=user.user_id
            )
    return names
