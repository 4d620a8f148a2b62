"""The product's own words for invoices, one place for the panel and the modals.

These are the terms of the help articles our users already have (the Finnish and Russian
articles of the integration we reproduce): the statuses, the actions on an invoice, the three
sections of the create modal and the fields they name. Screens say them through these
functions so "Overdue" is "Erääntynyt" and "Просрочен" everywhere, and a translator meets each
term once, with its context.
"""

from __future__ import annotations

from typing import Literal

from extension.i18n import ngettext, pgettext
from extension.invoicing.invoice_status import InvoiceState

__all__ = [
    "InvoiceAction",
    "CreateSection",
    "InvoiceField",
    "status_label",
    "action_label",
    "section_title",
    "field_label",
    "invoice_count",
]

InvoiceAction = Literal[
    "download_pdf",
    "send",
    "copy_link",
    "void",
    "delete",
    "unlink",
    "link",
    "open_in_quickbooks",
    "refresh",
]
CreateSection = Literal["customer", "details", "items"]
InvoiceField = Literal[
    "to",
    "address",
    "email",
    "tax_id",
    "invoice_date",
    "due_date",
    "currency",
    "number",
    "terms",
    "tax",
    "update_customer",
]


def status_label(state: InvoiceState) -> str:
    """The badge of an invoice: Open, Paid, Partially paid, Overdue, Voided, Deleted."""
    labels = {
        InvoiceState.OPEN: pgettext("invoice status", "Open"),
        InvoiceState.PAID: pgettext("invoice status", "Paid"),
        InvoiceState.PARTIALLY_PAID: pgettext("invoice status", "Partially paid"),
        InvoiceState.OVERDUE: pgettext("invoice status", "Overdue"),
        InvoiceState.VOIDED: pgettext("invoice status", "Voided"),
        InvoiceState.DELETED: pgettext("invoice status", "Deleted"),
    }
    return labels[state]


def action_label(action: InvoiceAction) -> str:
    """What a button or menu item on one invoice says."""
    labels: dict[InvoiceAction, str] = {
        "download_pdf": pgettext("invoice action", "Download PDF"),
        "send": pgettext("invoice action", "Send email"),
        "copy_link": pgettext("invoice action", "Copy link"),
        "void": pgettext("invoice action", "Void"),
        "delete": pgettext("invoice action", "Delete"),
        "unlink": pgettext("invoice action", "Unlink from deal"),
        "link": pgettext("invoice action", "Link to deal"),
        "open_in_quickbooks": pgettext("invoice action", "Open in QuickBooks"),
        "refresh": pgettext("invoice action", "Refresh"),
    }
    return labels[action]


def section_title(section: CreateSection) -> str:
    """The three sections of the create-invoice modal."""
    titles: dict[CreateSection, str] = {
        "customer": pgettext("create invoice section", "Customer details"),
        "details": pgettext("create invoice section", "Invoice details"),
        "items": pgettext("create invoice section", "Invoice items"),
    }
    return titles[section]


def field_label(name: InvoiceField) -> str:
    """A field of the create-invoice modal, as the articles name it."""
    labels: dict[InvoiceField, str] = {
        "to": pgettext("invoice field", "To"),
        "address": pgettext("invoice field", "Address"),
        "email": pgettext("invoice field", "Email"),
        "tax_id": pgettext("invoice field", "Customer tax ID"),
        "invoice_date": pgettext("invoice field", "Invoice date"),
        "due_date": pgettext("invoice field", "Due date"),
        "currency": pgettext("invoice field", "Currency"),
        "number": pgettext("invoice field", "Invoice number"),
        "terms": pgettext("invoice field", "Terms"),
        "tax": pgettext("invoice field", "Tax"),
        "update_customer": pgettext("invoice field", "Update customer details in QuickBooks"),
    }
    return labels[name]


def invoice_count(count: int) -> str:
    """ "1 invoice", "5 invoices"; Russian has three forms (1 счёт, 2 счёта, 5 счетов)."""
    return ngettext("%(num)d invoice", "%(num)d invoices", count)
