"""Reading the create-invoice form: locale numbers, line indexes, problems on their fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extension.invoicing.draft_form import (
    MAX_FORM_LINES,
    draft_form_fields,
    parse_draft_form,
    read_decimal,
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

DEAL = DealReference(101, "Website redesign", "https://acme.pipedrive.com/deal/101")


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        ("en", "12.5", "12.5"),
        ("en", "12,5", "12.5"),  # a comma typed as a decimal sign is still read
        ("en", "1,234", "1234"),  # English grouping
        ("en", "1,234.5", "1234.5"),
        ("en", "1.234", "1.234"),
        ("fi", "12,5", "12.5"),
        ("fi", "12.5", "12.5"),
        ("fi", "1 234,5", "1234.5"),  # a plain space where Finnish uses a no-break space
        ("fi", "1\u00a0234,5", "1234.5"),
        ("fi", "0,125", "0.125"),  # a leading zero cannot be a thousands group
        ("fi", "12,50", "12.50"),
        ("ru", "\u22123,5", "-3.5"),  # the minus sign Russian formatting uses
        ("de", "1.234", "1234"),  # German grouping
        ("de", "12.5", "12.5"),
        ("en", " 7 ", "7"),
    ],
)
def test_read_decimal_accepts_both_separators(locale: str, typed: str, expected: str) -> None:
    assert read_decimal(typed, locale) == Decimal(expected)


@pytest.mark.parametrize(
    ("locale", "typed"),
    [("fi", "1,234"), ("fi", "1.234"), ("ru", "999,000"), ("de", "1,234"), ("ru", "12.500")],
)
def test_read_decimal_reports_thousands_or_decimals_as_ambiguous(locale: str, typed: str) -> None:
    assert read_decimal(typed, locale) == "ambiguous_number"


@pytest.mark.parametrize(
    "typed", ["abc", "", "1e5", "NaN", "12,5,6", "1.234.567", "1,234.5", "12..5", "∞", "1 2 3x"]
)
def test_read_decimal_rejects_what_is_not_a_number_in_finnish(typed: str) -> None:
    assert read_decimal(typed, "fi") == "not_a_number"


def _form(**extra: str) -> dict[str, str]:
    form = {
        "customer-name": " Acme Corporation ",
        "customer-address": "100 Main Street\n\n  Suite 5 \n",
        "customer-city": "Springfield",
        "customer-region": "Illinois",
        "customer-postal_code": "62701",
        "customer-country": "United States",
        "customer-email": "ap@acme.test",
        "customer-tax_id": "US-98-7654321",
        "customer-customer_id": "58",
        "customer-update_customer": "on",
        "details-invoice_date": "2026-03-13",
        "details-due_date": "2026-03-20",
        "details-terms_id": "3",
        "details-currency": "usd",
        "details-number": "",
        "details-message": "Thank you!",
        "details-private_note": "",
        "details-tax_method": "exclusive",
        "details-sales_tax_code_id": "2",
        "lines-0-name": "Consulting",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10 000,00",
        "lines-0-discount": "10",
        "lines-0-discount_type": "percentage",
        "lines-0-tax_rate": "8",
        "lines-0-tax_code_id": "TAX",
        "lines-0-item_id": "7",
        "lines-0-product_id": "401",
        "lines-0-deal_product_id": "501",
        "lines-3-name": "Support",
        "lines-3-quantity": "3",
        "lines-3-unit_price": "110",
        "lines-3-discount": "30",
        "lines-3-discount_type": "amount",
        "lines-3-billing_frequency": "monthly",
        "lines-3-billing_cycles": "12",
        "lines-3-billing_start": "2026-04-01",
        "lines-3-service_date": "2026-04-01",
    }
    form.update(extra)
    return form


def test_parse_reads_every_section_and_keeps_line_order_across_gaps() -> None:
    draft, problems = parse_draft_form(_form(), "fi", DEAL)
    assert problems == ()
    assert draft.customer == CustomerSection(
        name="Acme Corporation",
        address_lines=("100 Main Street", "Suite 5"),
        city="Springfield",
        region="Illinois",
        postal_code="62701",
        country="United States",
        email="ap@acme.test",
        tax_id="US-98-7654321",
        customer_id="58",
        update_customer=True,
    )
    assert draft.details == InvoiceDetails(
        invoice_date=date(2026, 3, 13),
        due_date=date(2026, 3, 20),
        terms_id="3",
        currency="USD",
        message="Thank you!",
        tax_method=TaxMethod.EXCLUSIVE,
        sales_tax_code_id="2",
    )
    first, second = draft.lines
    assert first.unit_price == Decimal("10000.00")
    assert first.discount == Discount(Decimal("10"), DiscountType.PERCENTAGE)
    assert (first.item_id, first.product_id, first.deal_product_id) == ("7", 401, 501)
    assert second.discount == Discount(Decimal("30"), DiscountType.AMOUNT)
    assert second.recurring == RecurringBilling(BillingFrequency.MONTHLY, 12, date(2026, 4, 1))
    assert second.item_id is None and second.tax_rate == 0
    assert draft.deal is DEAL


def test_parse_lines_sorted_numerically_not_as_text() -> None:
    form = {f"lines-{i}-name": f"line {i}" for i in (10, 2, 1)}
    draft, _ = parse_draft_form(form, "en", None)
    assert [line.name for line in draft.lines] == ["line 1", "line 2", "line 10"]


def test_parse_reports_each_unreadable_value_on_its_field() -> None:
    draft, problems = parse_draft_form(
        _form(
            **{
                "lines-0-quantity": "1,234",
                "lines-0-unit_price": "ten",
                "lines-3-service_date": "13.03.2026",
                "details-due_date": "2026-02-30",
                "lines-0-product_id": "²",
            }
        ),
        "fi",
        DEAL,
    )
    assert problems == (
        Problem("details-due_date", "not_a_date", {"value": "2026-02-30"}),
        Problem("lines-0-quantity", "ambiguous_number", {"value": "1,234"}),
        Problem("lines-0-unit_price", "not_a_number", {"value": "ten"}),
        Problem("lines-0-product_id", "not_an_id", {"value": "²"}),
        Problem("lines-3-service_date", "not_a_date", {"value": "13.03.2026"}),
    )
    assert draft.lines[0].quantity is None and draft.lines[0].unit_price is None
    assert draft.details.due_date is None


def test_keys_that_are_not_line_fields_are_ignored() -> None:
    form = {
        "lines-01-name": "padded",
        "lines-x-name": "x",
        "lines-²-name": "sup",
        "lines-5-name": "ok",
    }
    draft, _ = parse_draft_form(form, "en", None)
    assert [line.name for line in draft.lines] == ["ok"]


def test_too_many_lines_is_a_problem_not_a_thousand_line_draft() -> None:
    form = {f"lines-{i}-name": "x" for i in range(MAX_FORM_LINES + 5)}
    draft, problems = parse_draft_form(form, "en", None)
    assert len(draft.lines) == MAX_FORM_LINES
    assert Problem("lines", "too_many_lines", {"limit": MAX_FORM_LINES}) in problems


@pytest.mark.parametrize("locale", ["en", "fi", "ru"])
def test_fields_written_in_the_users_locale_read_back_to_the_same_draft(locale: str) -> None:
    draft = DraftInvoice(
        customer=CustomerSection(name="Globex GmbH", address_lines=("Friedrichstraße 68",)),
        details=InvoiceDetails(
            invoice_date=date(2026, 1, 2), currency="EUR", tax_method=TaxMethod.INCLUSIVE
        ),
        lines=(
            DraftLine(
                name="Widget",
                quantity=Decimal("1234.5"),
                unit_price=Decimal("0.0081001"),
                discount=Discount(Decimal("200"), DiscountType.AMOUNT),
                tax_rate=Decimal("19"),
                tax_code_id="5",
                recurring=RecurringBilling(BillingFrequency.ANNUALLY),
                item_id="9",
                product_id=403,
            ),
        ),
        deal=DEAL,
    )
    fields = draft_form_fields(draft, locale)
    if locale != "en":
        assert fields["lines-0-quantity"] == "1234,5"
    read, problems = parse_draft_form(fields, locale, DEAL)
    assert problems == ()
    assert read == draft
