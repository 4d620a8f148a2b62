"""The editable invoice draft: what the create-invoice modal shows and submits.

Three sections, as in the seeds (customer details, invoice details, invoice items). A draft is
plain data: it holds what the user sees, including values that may still be wrong, so the
form can be re-rendered exactly as typed; :mod:`extension.invoicing.preflight` says what is
wrong with it and :mod:`extension.invoicing.to_quickbooks` turns a clean one into a request.

Numbers a user types are ``Decimal | None``: ``None`` means "empty or unreadable", and the form
parser has already reported why. Discounts are kept as Pipedrive holds them (a percentage or
an amount off the line, reference pipedrive.md §3.3 deal products) so the line arithmetic in
:mod:`extension.invoicing.line_math` starts from the same numbers Pipedrive's ``sum`` did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "DiscountType",
    "TaxMethod",
    "BillingFrequency",
    "Discount",
    "RecurringBilling",
    "ContactRef",
    "CustomerSection",
    "DealReference",
    "InvoiceDetails",
    "DraftLine",
    "DraftInvoice",
    "NO_DISCOUNT",
]


class DiscountType(StrEnum):
    PERCENTAGE = "percentage"  # of quantity × unit price
    AMOUNT = "amount"  # off the line total, in the deal's currency


class TaxMethod(StrEnum):
    """Pipedrive's deal-wide tax method; for global companies it becomes GlobalTaxCalculation."""

    EXCLUSIVE = "exclusive"
    INCLUSIVE = "inclusive"
    NONE = "none"

    @classmethod
    def parse(cls, value: str) -> TaxMethod:
        return cls(value) if value in cls._value2member_map_ else cls.NONE


class BillingFrequency(StrEnum):
    """Pipedrive's ``billing_frequency`` values (deal products, Growth plan and above)."""

    ONE_TIME = "one-time"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUALLY = "semi-annually"
    ANNUALLY = "annually"


@dataclass(frozen=True, slots=True)
class Discount:
    value: Decimal | None
    kind: DiscountType = DiscountType.PERCENTAGE

    @property
    def is_zero(self) -> bool:
        return self.value is None or self.value == 0


NO_DISCOUNT = Discount(Decimal("0"))


@dataclass(frozen=True, slots=True)
class RecurringBilling:
    """The marker of a product billed on a schedule: this invoice bills its first period.

    The template words it ("Monthly subscription, first period of 12"); the domain only says
    that it is so, how often, how many times (None = indefinitely) and from when.
    """

    frequency: BillingFrequency
    cycles: int | None = None
    start: date | None = None


@dataclass(frozen=True, slots=True)
class ContactRef:
    """The Pipedrive contact the invoice is for: the organization, else the person."""

    kind: str  # "organization" | "person"
    id: int


@dataclass(frozen=True, slots=True)
class CustomerSection:
    name: str = ""  # "To": the customer's DisplayName when one is created
    address_lines: tuple[str, ...] = ()
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    email: str = ""
    tax_id: str = ""
    customer_id: str | None = None  # the linked QuickBooks customer, or not linked yet
    update_customer: bool = False  # "Update customer details in QuickBooks"
    contact: ContactRef | None = None


@dataclass(frozen=True, slots=True)
class DealReference:
    """The Pipedrive deal the invoice comes from; the private note names it with a link."""

    deal_id: int
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class InvoiceDetails:
    invoice_date: date | None = None
    due_date: date | None = None
    terms_id: str = ""
    currency: str = ""
    number: str = ""
    message: str = ""  # CustomerMemo: shown to the customer
    private_note: str = ""  # the user's own words, after the deal's title and link
    tax_method: TaxMethod = TaxMethod.NONE
    sales_tax_code_id: str = ""  # US companies without automated sales tax: TxnTaxCodeRef


@dataclass(frozen=True, slots=True)
class DraftLine:
    name: str = ""
    description: str = ""
    quantity: Decimal | None = Decimal("1")
    unit_price: Decimal | None = Decimal("0")
    discount: Discount = NO_DISCOUNT
    tax_rate: Decimal | None = Decimal("0")  # the percentage Pipedrive holds for the product
    # A QuickBooks tax code id for global companies; "TAX" or "NON" for US ones.
    tax_code_id: str = ""
    recurring: RecurringBilling | None = None
    service_date: date | None = None
    item_id: str | None = None  # the linked QuickBooks item, or not linked yet
    product_id: int | None = None  # the Pipedrive product, when the line has one
    deal_product_id: int | None = None

    @property
    def taxable_us(self) -> bool:
        return self.tax_code_id == "TAX"


@dataclass(frozen=True, slots=True)
class DraftInvoice:
    customer: CustomerSection
    details: InvoiceDetails
    lines: tuple[DraftLine, ...]
    deal: DealReference | None = None
