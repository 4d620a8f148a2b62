"""The exact QuickBooks requests for a pre-flighted draft: the invoice, and the customer update.

The invoice body follows Intuit's Invoice reference (reference quickbooks.md §3):

- ``DocNumber`` only with custom transaction numbers: otherwise QuickBooks numbers the invoice
  itself, and Intuit warns that sending one "can lead to unwanted duplicates".
- ``CurrencyRef`` only with multicurrency, where it is required; without it every amount is
  in the home currency and the preference forbids any other.
- Tax as :mod:`extension.invoicing.tax_modes` says: ``TAX``/``NON`` line codes in the US, plus
  ``TxnTaxDetail.TxnTaxCodeRef`` where automated sales tax is off; a code per line and
  ``GlobalTaxCalculation`` elsewhere.
- Lines from :mod:`extension.invoicing.line_math`, so ``Amount = Qty × UnitPrice`` holds.
- ``BillAddr`` and ``BillEmail`` from this invoice's customer section, whether or not the
  customer record is updated too; the ``PrivateNote`` names the Pipedrive deal by its title
  and a link, with no words of ours (they would be in one language only), then the user's note.

The customer update is sparse (``sparse: true`` with the current ``SyncToken``, §3.5) and
carries only what differs: a full update would clear every field it does not send.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from extension.invoicing.drafts import CustomerSection, DraftInvoice, DraftLine
from extension.invoicing.line_math import sales_lines
from extension.invoicing.tax_modes import TaxModel, global_tax_calculation
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft
from extension.quickbooks.models import Customer, CustomerUpdate, PhysicalAddress

__all__ = [
    "private_note",
    "line_description",
    "bill_address",
    "build_invoice",
    "customer_update",
    "same_tax_identifier",
]


def private_note(draft: DraftInvoice) -> str:
    head = (
        "\n".join(part for part in (draft.deal.title, draft.deal.url) if part) if draft.deal else ""
    )
    note = draft.details.private_note.strip()
    return f"{head}\n\n{note}" if head and note else head or note


def line_description(line: DraftLine, note: str = "") -> str:
    """What the customer reads on the line: its description (else its Pipedrive name), then the
    note the web layer worded for it (discount given, first period of a subscription)."""
    text = line.description.strip() or line.name.strip()
    return f"{text}\n{note.strip()}" if note.strip() and text else text or note.strip()


def bill_address(section: CustomerSection) -> PhysicalAddress | None:
    address = PhysicalAddress(
        lines=section.address_lines[:5],
        city=section.city,
        region=section.region,
        postal_code=section.postal_code,
        country=section.country,
    )
    return None if address == PhysicalAddress() else address


def build_invoice(
    draft: DraftInvoice,
    model: TaxModel,
    *,
    multicurrency: bool,
    custom_txn_numbers: bool,
    tax_code_rates: Mapping[str, Decimal],
    line_notes: Mapping[int, str] | None = None,
) -> InvoiceDraft:
    """The create-invoice request of a draft that passed pre-flight.

    ``line_notes`` maps draft line indexes to text the web layer worded in the user's language
    (the discount, the billing period); it is appended to the line's description.
    """
    if draft.customer.customer_id is None:
        raise ValueError("the draft's customer is not linked: run the pre-flight checks first")
    notes = line_notes or {}
    details = draft.details
    lines = tuple(
        InvoiceLineDraft(
            item_id=line.item_id,
            amount=line.amount,
            qty=line.qty,
            unit_price=line.unit_price,
            description=line_description(draft.lines[line.source], notes.get(line.source, "")),
            tax_code_id=line.tax_code_id if model.taxes else "",
            service_date=line.service_date,
            tax_inclusive_amount=line.tax_inclusive_amount,
        )
        for line in sales_lines(draft.lines, model, details.tax_method, tax_code_rates)
    )
    return InvoiceDraft(
        customer_id=draft.customer.customer_id,
        lines=lines,
        doc_number=details.number if custom_txn_numbers else "",
        txn_date=details.invoice_date,
        due_date=details.due_date,
        term_id=details.terms_id,
        currency_code=details.currency if multicurrency else "",
        bill_email=draft.customer.email,
        private_note=private_note(draft),
        customer_memo=details.message,
        txn_tax_code_id=details.sales_tax_code_id if model is TaxModel.US_MANUAL else "",
        global_tax_calculation=global_tax_calculation(model, details.tax_method) or "",
        bill_address=bill_address(draft.customer),
    )


def same_tax_identifier(ours: str, theirs: str) -> bool:
    """QuickBooks masks PrimaryTaxIdentifier on read, keeping the last five characters:
    "123-45-6789" reads "XXXXXX56789" (Intuit Customer reference), separators dropped. So the
    last five letters or digits are all that can be compared."""
    if not theirs:
        return not ours
    tail = "".join(ch for ch in ours if ch.isalnum())[-5:]
    return len(tail) == 5 and theirs.endswith(tail) or ours == theirs


def customer_update(
    section: CustomerSection, customer: Customer, model: TaxModel
) -> CustomerUpdate | None:
    """The sparse update bringing the customer in line with this invoice, None when nothing
    differs or the user left "Update customer details in QuickBooks" off.

    An empty value never clears what QuickBooks holds. The tax id goes to
    ``PrimaryTaxIdentifier``, which exists only for GB, CA, IN and AU companies, so US
    companies never send it.
    """
    if not section.update_customer:
        return None
    address = bill_address(section)
    new_address = address if address is not None and address != customer.bill_address else None
    email = section.email.strip()
    new_email = email if email and email.casefold() != customer.email.casefold() else None
    tax_id = section.tax_id.strip()
    new_tax_id = (
        tax_id
        if tax_id and not model.is_us and not same_tax_identifier(tax_id, customer.tax_identifier)
        else None
    )
    if new_address is None and new_email is None and new_tax_id is None:
        return None
    return CustomerUpdate(
        id=customer.id,
        sync_token=customer.sync_token,
        bill_address=new_address,
        email=new_email,
        tax_identifier=new_tax_id,
    )
