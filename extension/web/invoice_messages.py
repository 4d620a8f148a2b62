"""What the panel and the all-invoices modal say after an invoice action, in the user's language.

Outcomes are shown with Pipedrive's snackbar (``app:snackbar``); refusals and failures become a
``UserMessage`` for the one error path (``extension.web.errors``). Nothing here decides
anything: the domain reports what happened, this words it.
"""

from __future__ import annotations

from decimal import Decimal

from extension.i18n import format_money, gettext, ngettext
from extension.invoicing.actions import CloseFailed, Done, InvoiceActionRefused
from extension.invoicing.invoice_rows import LinkBlocker
from extension.invoicing.payment_care import PaymentsRestored, TakenOff
from extension.quickbooks.errors import QuickBooksError, QuickBooksRejected
from extension.web.messages import UserMessage, message_for

__all__ = [
    "not_found",
    "sent",
    "link_copied",
    "link_blocked",
    "voided",
    "deleted",
    "unlinked",
    "linked",
    "contact_unlinked",
    "refused",
    "close_failed",
    "download_expired",
]


def not_found() -> UserMessage:
    return UserMessage(
        "invoice-not-found",
        gettext("Invoice not found"),
        gettext("This deal has no such invoice. It may have been unlinked; refresh the list."),
        404,
    )


def download_expired() -> UserMessage:
    return UserMessage(
        "download-expired",
        gettext("This download link has expired"),
        gettext("Go back to the deal and choose Download PDF again."),
        401,
    )


def sent(done: Done) -> str:
    return gettext(
        "Invoice %(number)s was emailed to %(address)s.",
        number=done.number,
        address=done.address,
    )


def link_copied(done: Done) -> str:
    return gettext("The payment link of invoice %(number)s is copied.", number=done.number)


def link_fallback(done: Done) -> str:
    return gettext("Copy the payment link of invoice %(number)s from here:", number=done.number)


def link_blocked(blocker: LinkBlocker) -> str:
    """Why an invoice has no payment link (also the disabled icon's explanation)."""
    if blocker is LinkBlocker.PAYMENTS_OFF:
        return gettext(
            "No payment link: this QuickBooks company does not take payments online "
            "(QuickBooks Payments)."
        )
    if blocker is LinkBlocker.NO_EMAIL:
        return gettext(
            "No payment link: QuickBooks makes one only for an invoice with an email address."
        )
    if blocker is LinkBlocker.NOT_PAYABLE_ONLINE:
        return gettext("No payment link: online payment is turned off on this invoice.")
    if blocker is LinkBlocker.CLOSED:
        return gettext("No payment link: the invoice is voided or deleted.")
    return gettext(
        "QuickBooks gave no payment link for this invoice. Check in QuickBooks that online "
        "payments are on for your company and for this invoice."
    )


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def _credit(taken: tuple[TakenOff, ...], currency: str, customer: str) -> str:
    total = sum((p.amount for p in taken), Decimal("0"))
    return ngettext(
        "%(num)d payment of %(amount)s stays in QuickBooks as a credit for %(customer)s.",
        "%(num)d payments, %(amount)s in all, stay in QuickBooks as a credit for %(customer)s.",
        len(taken),
        amount=_money(total, currency),
        customer=customer or gettext("the customer"),
    )


def voided(done: Done) -> str:
    text = gettext("Invoice %(number)s was voided.", number=done.number)
    if done.taken_off:
        text += " " + _credit(done.taken_off, done.currency, done.customer_name)
    return text


def deleted(done: Done) -> str:
    text = gettext("Invoice %(number)s was deleted in QuickBooks.", number=done.number)
    if done.taken_off:
        text += " " + _credit(done.taken_off, done.currency, done.customer_name)
    return text


def unlinked(done: Done) -> str:
    if not done.changed:
        return gettext("Invoice %(number)s was not linked to this deal.", number=done.number)
    return gettext(
        "Invoice %(number)s was unlinked from this deal. QuickBooks keeps it.", number=done.number
    )


def linked(done: Done) -> str:
    if done.moved_from:
        return gettext(
            "Invoice %(number)s was moved to this deal from “%(deal)s”.",
            number=done.number,
            deal=done.moved_from,
        )
    return gettext("Invoice %(number)s is linked to this deal.", number=done.number)


def contact_unlinked(names: list[str]) -> str:
    if not names:
        return gettext("This deal's contact was not linked to a QuickBooks customer.")
    return gettext(
        "The contact is no longer linked to %(customers)s in QuickBooks.",
        customers=", ".join(names),
    )


def refused(exc: InvoiceActionRefused) -> UserMessage:
    number = exc.number
    if exc.reason == "deleted":
        text = gettext(
            "Invoice %(number)s no longer exists in QuickBooks. Refresh to see it as deleted.",
            number=number,
        )
    elif exc.reason == "voided":
        text = gettext("Invoice %(number)s is voided; it cannot be changed.", number=number)
    elif exc.reason == "no_email":
        text = gettext(
            "Invoice %(number)s has no email address. Add one in QuickBooks, then refresh.",
            number=number,
        )
    elif exc.reason == "email_changed":
        text = gettext(
            "The email address of invoice %(number)s is now %(address)s. Nothing was sent; "
            "refresh and try again.",
            number=number,
            address=exc.details.get("address", ""),
        )
    elif exc.reason == "linked_elsewhere":
        text = gettext(
            "Invoice %(number)s was just linked to the deal “%(deal)s”. Refresh to see it.",
            number=number,
            deal=exc.details.get("deal", ""),
        )
    else:
        text = gettext("This cannot be done to invoice %(number)s.", number=number)
    return UserMessage("invoice-refused", gettext("Not done"), text, 409)


def _reason(error: QuickBooksError) -> str:
    if isinstance(error, QuickBooksRejected):
        return error.detail or error.fault_message or error.code
    return message_for(error).title


def _verb(action: str, number: str) -> str:
    if action == "delete":
        return gettext("Invoice %(number)s was not deleted.", number=number)
    return gettext("Invoice %(number)s was not voided.", number=number)


def close_failed(exc: CloseFailed) -> UserMessage:
    """A void or delete that failed after the invoice's payments were taken off."""
    failure = exc.failure
    title = _verb(exc.action, exc.number)
    if isinstance(failure, PaymentsRestored):
        text = gettext(
            "QuickBooks refused: %(reason)s. The payments taken off it first are applied to "
            "it again, so nothing changed.",
            reason=_reason(failure.cause),
        )
        return UserMessage("payments-restored", title, text, 502, "retry")
    payments = ", ".join(
        gettext(
            "payment %(payment)s (%(amount)s)",
            payment=p.payment_id,
            amount=_money(p.amount, exc.currency),
        )
        for p in failure.left
    )
    text = ngettext(
        "QuickBooks refused (%(reason)s), and then refused to apply %(num)d payment again "
        "(%(undo)s). In QuickBooks now: %(payments)s is no longer applied to invoice "
        "%(number)s and stays as a credit for %(customer)s; the invoice is otherwise "
        "unchanged. Apply the payment to it again in QuickBooks.",
        "QuickBooks refused (%(reason)s), and then refused to apply %(num)d payments again "
        "(%(undo)s). In QuickBooks now: %(payments)s are no longer applied to invoice "
        "%(number)s and stay as a credit for %(customer)s; the invoice is otherwise "
        "unchanged. Apply the payments to it again in QuickBooks.",
        len(failure.left),
        reason=_reason(failure.cause),
        undo=_reason(failure.undo_error),
        payments=payments,
        number=exc.number,
        customer=exc.customer_name or gettext("the customer"),
    )
    return UserMessage("payments-left-off", title, text, 502)
