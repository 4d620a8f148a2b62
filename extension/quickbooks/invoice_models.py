"""Invoice and Payment models, and the request bodies that create or change an invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from extension.quickbooks.models import (
    Entity,
    Json,
    PhysicalAddress,
    Ref,
    meta_updated,
    money,
    opt_money,
    parse_date,
    text,
)
from extension.quickbooks.wire import MONEY_PLACES

__all__ = [
    "InvoiceLine",
    "Invoice",
    "InvoiceDraft",
    "InvoiceLineDraft",
    "InvoiceChanges",
    "Payment",
    "PaymentLine",
    "QueryPage",
]


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    detail_type: str
    amount: Decimal
    id: str = ""
    description: str = ""
    item: Ref | None = None
    qty: Decimal | None = None
    unit_price: Decimal | None = None
    tax_code: Ref | None = None

    @classmethod
    def from_api(cls, data: Json) -> InvoiceLine:
        detail_type = text(data, "DetailType")
        if "_" in detail_type:
            # Some answers (the void sample) spell the enum SALES_ITEM_LINE_DETAIL.
            detail_type = "".join(part.capitalize() for part in detail_type.split("_"))
        detail = data.get(detail_type)
        detail = detail if isinstance(detail, dict) else {}
        return cls(
            detail_type=detail_type,
            amount=money(data.get("Amount")),
            id=text(data, "Id"),
            description=text(data, "Description"),
            item=Ref.from_api(detail.get("ItemRef")),
            qty=opt_money(detail.get("Qty")),
            unit_price=opt_money(detail.get("UnitPrice")),
            tax_code=Ref.from_api(detail.get("TaxCodeRef")),
        )


@dataclass(frozen=True, slots=True)
class Invoice(Entity):
    ENTITY: ClassVar[str] = "Invoice"
    id: str
    sync_token: str
    customer: Ref | None
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    balance: Decimal
    doc_number: str = ""
    txn_date: date | None = None
    due_date: date | None = None
    currency: Ref | None = None
    private_note: str = ""
    email_status: str = ""
    bill_email: str = ""
    invoice_link: str = ""
    total_tax: Decimal = Decimal("0")
    linked_payment_ids: tuple[str, ...] = ()
    updated_at: datetime | None = None
    # DeliveryInfo is set once QuickBooks has emailed the invoice (the send operation).
    delivered_at: datetime | None = None
    # A change-data-capture stub of a deleted invoice reads {"status": "Deleted", "Id": ...}.
    status: str = ""
    # AllowOnlineCreditCardPayment or AllowOnlineACHPayment: customers may pay it online, one
    # of the conditions for QuickBooks to give the invoice a link (reference §3.4).
    allow_online_payment: bool = False

    @property
    def deleted(self) -> bool:
        return self.status == "Deleted"

    @property
    def sales_lines(self) -> tuple[InvoiceLine, ...]:
        return tuple(line for line in self.lines if line.detail_type == "SalesItemLineDetail")

    @property
    def looks_voided(self) -> bool:
        """QBO has no void flag: a voided invoice is zeroed and its PrivateNote says so."""
        return self.total == 0 and self.private_note.startswith("Voided")

    @classmethod
    def from_api(cls, data: Json) -> Invoice:
        tax = data.get("TxnTaxDetail")
        linked = data.get("LinkedTxn") or []
        bill_email = data.get("BillEmail")
        delivery = data.get("DeliveryInfo")
        return cls(
            id=text(data, "Id"),
            sync_token=text(data, "SyncToken"),
            customer=Ref.from_api(data.get("CustomerRef")),
            lines=tuple(
                InvoiceLine.from_api(line)
                for line in data.get("Line") or []
                if isinstance(line, dict)
            ),
            total=money(data.get("TotalAmt")),
            balance=money(data.get("Balance")),
            doc_number=text(data, "DocNumber"),
            txn_date=parse_date(data.get("TxnDate")),
            due_date=parse_date(data.get("DueDate")),
            currency=Ref.from_api(data.get("CurrencyRef")),
            private_note=text(data, "PrivateNote"),
            email_status=text(data, "EmailStatus"),
            bill_email=text(bill_email, "Address") if isinstance(bill_email, dict) else "",
            invoice_link=text(data, "InvoiceLink"),
            total_tax=money(tax.get("TotalTax")) if isinstance(tax, dict) else Decimal("0"),
            linked_payment_ids=tuple(
                text(link, "TxnId")
                for link in linked
                if isinstance(link, dict) and link.get("TxnType") == "Payment"
            ),
            updated_at=meta_updated(data),
            delivered_at=_datetime(delivery.get("DeliveryTime"))
            if isinstance(delivery, dict)
            else None,
            status=text(data, "status"),
            allow_online_payment=bool(
                data.get("AllowOnlineCreditCardPayment") or data.get("AllowOnlineACHPayment")
            ),
        )


def _datetime(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    # QBO times carry their offset; one without cannot be placed in time, so it is dropped.
    return parsed if parsed.tzinfo is not None else None


@dataclass(frozen=True, slots=True)
class InvoiceLineDraft:
    item_id: str
    amount: Decimal
    qty: Decimal | None = None
    unit_price: Decimal | None = None
    description: str = ""
    tax_code_id: str = ""
    service_date: date | None = None
    # Global companies with GlobalTaxCalculation=TaxInclusive: Amount is net of tax and this is
    # the line's gross (Intuit reference SalesItemLineDetail.TaxInclusiveAmt, GB/AU/CA/IN).
    tax_inclusive_amount: Decimal | None = None

    def to_api(self) -> Json:
        detail: Json = {"ItemRef": {"value": self.item_id}}
        if self.qty is not None:
            detail["Qty"] = self.qty
        if self.unit_price is not None:
            detail["UnitPrice"] = self.unit_price
        if self.tax_code_id:
            detail["TaxCodeRef"] = {"value": self.tax_code_id}
        if self.service_date:
            detail["ServiceDate"] = self.service_date.isoformat()
        if self.tax_inclusive_amount is not None:
            detail["TaxInclusiveAmt"] = self.tax_inclusive_amount
        line: Json = {
            "DetailType": "SalesItemLineDetail",
            # Amounts in cents; UnitPrice keeps the item's own precision (sent as given).
            "Amount": self.amount.quantize(MONEY_PLACES),
            "SalesItemLineDetail": detail,
        }
        if self.description:
            line["Description"] = self.description
        return line


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    customer_id: str
    lines: tuple[InvoiceLineDraft, ...]
    doc_number: str = ""
    txn_date: date | None = None
    due_date: date | None = None
    term_id: str = ""
    currency_code: str = ""
    bill_email: str = ""
    private_note: str = ""
    customer_memo: str = ""
    txn_tax_code_id: str = ""
    global_tax_calculation: str = ""
    allow_online_payment: bool = False
    bill_address: PhysicalAddress | None = None

    def to_api(self) -> Json:
        body: Json = {
            "CustomerRef": {"value": self.customer_id},
            "Line": [line.to_api() for line in self.lines],
        }
        optional: dict[str, Any] = {
            "DocNumber": self.doc_number or None,
            "TxnDate": self.txn_date.isoformat() if self.txn_date else None,
            "DueDate": self.due_date.isoformat() if self.due_date else None,
            "SalesTermRef": {"value": self.term_id} if self.term_id else None,
            "CurrencyRef": {"value": self.currency_code} if self.currency_code else None,
            "BillEmail": {"Address": self.bill_email} if self.bill_email else None,
            "PrivateNote": self.private_note or None,
            "CustomerMemo": {"value": self.customer_memo} if self.customer_memo else None,
            "TxnTaxDetail": (
                {"TxnTaxCodeRef": {"value": self.txn_tax_code_id}} if self.txn_tax_code_id else None
            ),
            "GlobalTaxCalculation": self.global_tax_calculation or None,
            "BillAddr": self.bill_address.to_api() if self.bill_address else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if self.allow_online_payment:
            body["AllowOnlineCreditCardPayment"] = True
            body["AllowOnlineACHPayment"] = True
        return body


@dataclass(frozen=True, slots=True)
class InvoiceChanges:
    """A sparse update: only the fields set here change."""

    due_date: date | None = None
    txn_date: date | None = None
    bill_email: str | None = None
    private_note: str | None = None
    customer_memo: str | None = None
    doc_number: str | None = None
    lines: tuple[InvoiceLineDraft, ...] | None = None

    def to_api(self) -> Json:
        body: Json = {}
        if self.due_date is not None:
            body["DueDate"] = self.due_date.isoformat()
        if self.txn_date is not None:
            body["TxnDate"] = self.txn_date.isoformat()
        if self.bill_email is not None:
            body["BillEmail"] = {"Address": self.bill_email}
        if self.private_note is not None:
            body["PrivateNote"] = self.private_note
        if self.customer_memo is not None:
            body["CustomerMemo"] = {"value": self.customer_memo}
        if self.doc_number is not None:
            body["DocNumber"] = self.doc_number
        if self.lines is not None:
            # Lines are replaced wholesale even in a sparse update.
            body["Line"] = [line.to_api() for line in self.lines]
        return body


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One application of a payment: an amount and the transactions it pays (``TxnId``,
    ``TxnType``), usually one invoice."""

    amount: Decimal
    linked: tuple[tuple[str, str], ...] = ()

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        return tuple(txn_id for txn_id, kind in self.linked if kind == "Invoice")

    @classmethod
    def from_api(cls, data: Json) -> PaymentLine:
        links = data.get("LinkedTxn") or []
        return cls(
            amount=money(data.get("Amount")),
            linked=tuple(
                (text(link, "TxnId"), text(link, "TxnType"))
                for link in links
                if isinstance(link, dict)
            ),
        )

    def to_api(self) -> Json:
        return {
            "Amount": self.amount,
            "LinkedTxn": [{"TxnId": txn_id, "TxnType": kind} for txn_id, kind in self.linked],
        }


@dataclass(frozen=True, slots=True)
class Payment(Entity):
    ENTITY: ClassVar[str] = "Payment"
    id: str
    sync_token: str
    customer: Ref | None
    total: Decimal
    txn_date: date | None = None
    invoice_ids: tuple[str, ...] = ()
    unapplied: Decimal = Decimal("0")
    lines: tuple[PaymentLine, ...] = ()

    def applied_to(self, invoice_id: str) -> Decimal:
        """How much of this payment pays the invoice."""
        return sum(
            (line.amount for line in self.lines if invoice_id in line.invoice_ids), Decimal("0")
        )

    @classmethod
    def from_api(cls, data: Json) -> Payment:
        lines = tuple(
            PaymentLine.from_api(line) for line in data.get("Line") or [] if isinstance(line, dict)
        )
        return cls(
            id=text(data, "Id"),
            sync_token=text(data, "SyncToken"),
            customer=Ref.from_api(data.get("CustomerRef")),
            total=money(data.get("TotalAmt")),
            txn_date=parse_date(data.get("TxnDate")),
            invoice_ids=tuple(i for line in lines for i in line.invoice_ids),
            unapplied=money(data.get("UnappliedAmt")),
            lines=lines,
        )


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class QueryPage(Generic[T]):
    items: list[T] = field(default_factory=list)
    start_position: int = 1
    max_results: int = 0
    total_count: int | None = None
