"""Voiding or deleting an invoice that has payments applied, without losing track of money.

QuickBooks refuses to void or delete an invoice while a payment is applied to it (reference
§3.3: "Must unlink linked txns (payments) before delete"; the stand-in answers 6000). So the
payment's link to this invoice is removed first — each payment read for its current
``SyncToken`` and updated without the lines that pay this invoice; the money stays on the
payment as a credit the customer keeps in QuickBooks — and then the invoice is voided or deleted.

If that second step fails, the first is undone: each payment gets its lines back (read again
for its current ``SyncToken``). If even that fails, :class:`PaymentsLeftOff` says exactly which
payments are now unapplied credit and for how much, so the person can apply them again in
QuickBooks. A stale token (5010) is re-read and tried once more at every step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn, TypeVar

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError, QuickBooksRejected
from extension.quickbooks.invoice_models import Invoice, PaymentLine

__all__ = [
    "TakenOff",
    "PaymentsRestored",
    "PaymentsLeftOff",
    "with_payments_off",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TakenOff:
    """A payment no longer applied to the invoice: how much it paid, and the lines that did."""

    payment_id: str
    amount: Decimal
    lines: tuple[PaymentLine, ...]


class PaymentsRestored(Exception):
    """The void or delete failed; the payments taken off first are applied again."""

    def __init__(self, cause: QuickBooksError, restored: Sequence[TakenOff]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.restored = tuple(restored)


class PaymentsLeftOff(Exception):
    """The void or delete failed, and some payments could not be applied again: in QuickBooks
    they are now unapplied credit of the customer (``left``); ``restored`` are back."""

    def __init__(
        self,
        cause: QuickBooksError,
        left: Sequence[TakenOff],
        restored: Sequence[TakenOff],
        undo_error: QuickBooksError,
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.left = tuple(left)
        self.restored = tuple(restored)
        self.undo_error = undo_error


async def _take_off(client: QuickBooksClient, invoice_id: str, payment_id: str) -> TakenOff | None:
    for attempt in (1, 2):
        payment = await client.get_payment(payment_id)
        paying = tuple(line for line in payment.lines if invoice_id in line.invoice_ids)
        if not paying:
            return None  # applied elsewhere since the invoice was read
        keep = [line for line in payment.lines if invoice_id not in line.invoice_ids]
        try:
            await client.update_payment_lines(payment, keep, sync_token=payment.sync_token)
        except QuickBooksRejected as exc:
            if exc.is_stale_object and attempt == 1:
                continue
            raise
        return TakenOff(payment_id, sum((line.amount for line in paying), Decimal("0")), paying)
    raise AssertionError("unreachable")


async def _put_back(client: QuickBooksClient, invoice_id: str, taken: TakenOff) -> None:
    for attempt in (1, 2):
        payment = await client.get_payment(taken.payment_id)
        if any(invoice_id in line.invoice_ids for line in payment.lines):
            return  # someone applied it again meanwhile
        lines = [*payment.lines, *taken.lines]
        try:
            await client.update_payment_lines(payment, lines, sync_token=payment.sync_token)
        except QuickBooksRejected as exc:
            if exc.is_stale_object and attempt == 1:
                continue
            raise
        return


async def _undo(
    client: QuickBooksClient, invoice_id: str, taken: Sequence[TakenOff], cause: QuickBooksError
) -> NoReturn:
    if not taken:
        raise cause
    restored: list[TakenOff] = []
    left: list[TakenOff] = []
    undo_error: QuickBooksError | None = None
    for payment in taken:
        try:
            await _put_back(client, invoice_id, payment)
        except QuickBooksError as exc:
            left.append(payment)
            undo_error = exc
        else:
            restored.append(payment)
    if undo_error is not None:
        raise PaymentsLeftOff(cause, left, restored, undo_error) from cause
    raise PaymentsRestored(cause, restored) from cause


async def with_payments_off(
    client: QuickBooksClient,
    invoice: Invoice,
    operation: Callable[[str | None], Awaitable[T]],
) -> tuple[T, tuple[TakenOff, ...]]:
    """Take the invoice's payments off, then run ``operation``, then report both.

    ``operation`` gets the invoice's SyncToken to use: the one read when nothing had to be
    taken off, else None (taking a payment off changes the invoice, so the client reads the
    current token itself). On failure the payments are put back (see the module docstring).
    """
    taken: list[TakenOff] = []
    try:
        for payment_id in dict.fromkeys(invoice.linked_payment_ids):
            off = await _take_off(client, invoice.id, payment_id)
            if off is not None:
                taken.append(off)
        result = await operation(None if taken else invoice.sync_token)
    except QuickBooksError as exc:
        await _undo(client, invoice.id, taken, exc)
    return result, tuple(taken)
