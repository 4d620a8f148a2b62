"""Reading a submitted create-invoice form into a draft, and writing a draft back as fields.

The form is a flat mapping of field names to strings, as browsers post it: ``customer-name``,
``details-due_date``, and lines indexed as ``lines-0-quantity``. Lines keep the order of their
indexes (the page renumbers them after a reorder) and gaps from removed lines are skipped.

Numbers follow the user's locale through Babel, and both ``12,5`` and ``12.5`` are accepted,
because people type the separator of their keyboard as often as that of their language. What
cannot be read without guessing is reported instead: ``1,234`` in a locale whose decimal sign
is a comma may be 1.234 (the locale) or 1234 (an English thousands separator), so it is a
problem, not a number. Every problem carries the field key it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)

from extension.invoicing.drafts import (
    BillingFrequency,
    CustomerSection,
    DealReference,
    Discount,
    DiscountType,
    DraftInvoice,
    DraftLine,
    InvoiceDetails,
    RecurringBilling,
    TaxMethod,
)
from extension.invoicing.problems import Problem

__all__ = ["MAX_FORM_LINES", "read_decimal", "parse_draft_form", "draft_form_fields"]

# A form with more lines than QuickBooks takes on a taxable invoice (750) is not a real form.
MAX_FORM_LINES = 1000
_LINE_KEY = re.compile(r"^lines-(0|[1-9][0-9]{0,3})-([a-z_]+)$")
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII only: "²".isdigit() is true
_NUMBER_CHARS = re.compile(r"^[+\-]?[0-9.,\s\u00a0\u202f\u2009]+$")
# One to three leading digits, one separator, exactly three digits: thousands or decimals?
_AMBIGUOUS = re.compile(r"^[+\-]?[1-9][0-9]{0,2}([.,])[0-9]{3}$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


def read_decimal(raw: str, locale: str) -> Decimal | str:
    """The number typed, or the problem code: ``not_a_number`` or ``ambiguous_number``."""
    text = raw.strip().replace("\u2212", "-")  # the minus sign some locales format with
    if not _NUMBER_CHARS.match(text):
        return "not_a_number"
    decimal_sign, group_sign = get_decimal_symbol(locale), get_group_symbol(locale)
    if _SPACES.match(group_sign):
        text = _SPACES.sub(group_sign, text)  # "1 234,5" typed with a plain space
    ambiguous = _AMBIGUOUS.match(text)
    if ambiguous and decimal_sign == ",":
        separator = ambiguous.group(1)
        if separator == "," or separator != group_sign:
            return "ambiguous_number"
    try:
        return parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        pass
    # The other separator, once, as a decimal sign: "12,5" in English, "12.5" in German.
    other = "," if decimal_sign == "." else "."
    if (
        text.count(other) == 1
        and decimal_sign not in text
        and (other == group_sign or group_sign not in text)
    ):
        try:
            return parse_decimal(text.replace(other, decimal_sign), locale=locale, strict=True)
        except NumberFormatError:
            pass
    return "not_a_number"


class _Reader:
    """Reads typed values from the form, collecting a problem for each unreadable one."""

    def __init__(self, form: Mapping[str, str], locale: str) -> None:
        self.form = form
        self.locale = locale
        self.problems: list[Problem] = []

    def text(self, key: str) -> str:
        return self.form.get(key, "").strip()

    def flag(self, key: str) -> bool:
        return self.form.get(key, "") in ("on", "true", "1")

    def decimal(self, key: str, *, default: Decimal | None = None) -> Decimal | None:
        raw = self.text(key)
        if not raw:
            return default
        value = read_decimal(raw, self.locale)
        if isinstance(value, str):
            self.problems.append(Problem(key, value, {"value": raw}))
            return None
        return value

    def day(self, key: str) -> date | None:
        raw = self.text(key)
        if not raw:
            return None
        try:
            # <input type="date"> always submits ISO dates, whatever the user's locale.
            if len(raw) == 10:
                return date.fromisoformat(raw)
        except ValueError:
            pass
        self.problems.append(Problem(key, "not_a_date", {"value": raw}))
        return None

    def integer(self, key: str) -> int | None:
        raw = self.text(key)
        if not raw:
            return None
        if _DIGITS.match(raw) and len(raw) <= 18:
            return int(raw)
        self.problems.append(Problem(key, "not_an_id", {"value": raw}))
        return None


def _line_indexes(form: Mapping[str, str]) -> list[int]:
    return sorted({int(m.group(1)) for key in form if (m := _LINE_KEY.match(key))})


def _line(read: _Reader, index: int) -> DraftLine:
    key = f"lines-{index}-"
    discount_type = read.text(key + "discount_type")
    frequency = read.text(key + "billing_frequency")
    recurring = None
    if frequency in BillingFrequency._value2member_map_ and frequency != BillingFrequency.ONE_TIME:
        recurring = RecurringBilling(
            frequency=BillingFrequency(frequency),
            cycles=read.integer(key + "billing_cycles"),
            start=read.day(key + "billing_start"),
        )
    return DraftLine(
        name=read.text(key + "name"),
        description=read.form.get(key + "description", "").strip(),
        quantity=read.decimal(key + "quantity"),
        unit_price=read.decimal(key + "unit_price"),
        discount=Discount(
            read.decimal(key + "discount", default=Decimal("0")),
            DiscountType.AMOUNT if discount_type == "amount" else DiscountType.PERCENTAGE,
        ),
        tax_rate=read.decimal(key + "tax_rate", default=Decimal("0")),
        tax_code_id=read.text(key + "tax_code_id"),
        recurring=recurring,
        service_date=read.day(key + "service_date"),
        item_id=read.text(key + "item_id") or None,
        product_id=read.integer(key + "product_id"),
        deal_product_id=read.integer(key + "deal_product_id"),
    )


def parse_draft_form(
    form: Mapping[str, str], locale: str, deal: DealReference | None
) -> tuple[DraftInvoice, tuple[Problem, ...]]:
    """The draft as submitted, with a problem for every value that could not be read.

    ``deal`` comes from the server (the deal fetched as this user), never from the form.
    """
    read = _Reader(form, locale)
    customer = CustomerSection(
        name=read.text("customer-name"),
        address_lines=tuple(
            line.strip() for line in form.get("customer-address", "").splitlines() if line.strip()
        ),
        city=read.text("customer-city"),
        region=read.text("customer-region"),
        postal_code=read.text("customer-postal_code"),
        country=read.text("customer-country"),
        email=read.text("customer-email"),
        tax_id=read.text("customer-tax_id"),
        customer_id=read.text("customer-customer_id") or None,
        update_customer=read.flag("customer-update_customer"),
    )
    details = InvoiceDetails(
        invoice_date=read.day("details-invoice_date"),
        due_date=read.day("details-due_date"),
        terms_id=read.text("details-terms_id"),
        currency=read.text("details-currency").upper(),
        number=read.text("details-number"),
        message=form.get("details-message", "").strip(),
        private_note=form.get("details-private_note", "").strip(),
        tax_method=TaxMethod.parse(read.text("details-tax_method")),
        sales_tax_code_id=read.text("details-sales_tax_code_id"),
    )
    indexes = _line_indexes(form)
    if len(indexes) > MAX_FORM_LINES:
        read.problems.append(Problem("lines", "too_many_lines", {"limit": MAX_FORM_LINES}))
        indexes = indexes[:MAX_FORM_LINES]
    lines = tuple(_line(read, index) for index in indexes)
    draft = DraftInvoice(customer=customer, details=details, lines=lines, deal=deal)
    return draft, tuple(read.problems)


def _number(value: Decimal | None, locale: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=locale, group_separator=False, decimal_quantization=False)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def draft_form_fields(draft: DraftInvoice, locale: str) -> dict[str, str]:
    """The form fields of a draft, numbers written the user's way; the inverse of parsing."""
    c, d = draft.customer, draft.details
    fields = {
        "customer-name": c.name,
        "customer-address": "\n".join(c.address_lines),
        "customer-city": c.city,
        "customer-region": c.region,
        "customer-postal_code": c.postal_code,
        "customer-country": c.country,
        "customer-email": c.email,
        "customer-tax_id": c.tax_id,
        "customer-customer_id": c.customer_id or "",
        "details-invoice_date": _day(d.invoice_date),
        "details-due_date": _day(d.due_date),
        "details-terms_id": d.terms_id,
        "details-currency": d.currency,
        "details-number": d.number,
        "details-message": d.message,
        "details-private_note": d.private_note,
        "details-tax_method": d.tax_method.value,
        "details-sales_tax_code_id": d.sales_tax_code_id,
    }
    if c.update_customer:
        fields["customer-update_customer"] = "on"
    for index, line in enumerate(draft.lines):
        key = f"lines-{index}-"
        recurring = line.recurring
        fields.update(
            {
                key + "name": line.name,
                key + "description": line.description,
                key + "quantity": _number(line.quantity, locale),
                key + "unit_price": _number(line.unit_price, locale),
                key + "discount": _number(line.discount.value, locale),
                key + "discount_type": line.discount.kind.value,
                key + "tax_rate": _number(line.tax_rate, locale),
                key + "tax_code_id": line.tax_code_id,
                key + "billing_frequency": recurring.frequency.value if recurring else "",
                key + "billing_cycles": str(recurring.cycles or "") if recurring else "",
                key + "billing_start": _day(recurring.start) if recurring else "",
                key + "service_date": _day(line.service_date),
                key + "item_id": line.item_id or "",
                key + "product_id": str(line.product_id or ""),
                key + "deal_product_id": str(line.deal_product_id or ""),
            }
        )
    return fields
