"""The first draft of an invoice from a deal, its contacts, products and the company's mapping."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from extension.invoicing.company_settings import SettingsValues
from extension.invoicing.drafts import (
    BillingFrequency,
    ContactRef,
    DealReference,
    Discount,
    DiscountType,
    DraftLine,
    RecurringBilling,
    TaxMethod,
)
from extension.invoicing.prefill import due_date_for_terms, mapped_value, prefill_draft
from extension.invoicing.tax_modes import TaxModel
from extension.pipedrive.models import Address, Product, ProductPrice
from extension.quickbooks.models import Term
from tests.invoicing.helpers import BILLING_KEY, RATES, TIER_KEY, VAT_KEY, context, deal_product

TODAY = date(2026, 3, 13)
URL = "https://acme.pipedrive.com/deal/101"
SETTINGS = SettingsValues(map_tax_id=f"organization:{VAT_KEY}", due_days="7")


def test_customer_section_from_the_default_mapping() -> None:
    draft = prefill_draft(context(), SETTINGS, TaxModel.US_MANUAL, today=TODAY, deal_url=URL)
    c = draft.customer
    assert (c.name, c.email, c.tax_id) == ("Acme Corporation", "ap@acme.test", "US-98-7654321")
    assert c.address_lines == ("100 Main Street",)
    assert (c.city, c.region, c.postal_code, c.country) == (
        "Springfield",
        "Illinois",
        "62701",
        "United States",
    )
    assert c.contact == ContactRef("organization", 201)
    assert c.customer_id is None and c.update_customer is True


def test_custom_fields_mapped_address_and_option_label() -> None:
    settings = replace(
        SETTINGS,
        map_recipient=f"deal:{TIER_KEY}",
        map_address=f"organization:{BILLING_KEY}",
        map_email="person:name",
    )
    c = prefill_draft(context(), settings, TaxModel.GLOBAL, today=TODAY, deal_url=URL).customer
    assert c.name == "Gold"  # an option id named from the deal field's definition
    assert c.address_lines == ("Friedrichstraße 68",)  # route first, as the address reads
    assert (c.city, c.postal_code, c.country) == ("Berlin", "10117", "Germany")
    assert c.email == "Ada Buyer"


def test_person_is_the_contact_without_an_organization() -> None:
    c = prefill_draft(
        context(org=False), SETTINGS, TaxModel.US_MANUAL, today=TODAY, deal_url=URL
    ).customer
    assert c.name == "Ada Buyer"  # the mapped organization name is empty: the person's name
    assert c.address_lines == () and c.tax_id == ""
    assert c.contact == ContactRef("person", 301)


def test_mapped_value_of_unknown_or_empty_fields_is_none() -> None:
    ctx = context(person=False)
    assert mapped_value("person:email", ctx) is None
    assert mapped_value("organization:nope", ctx) is None
    assert mapped_value("bogus", ctx) is None
    assert isinstance(mapped_value("organization:address", ctx), Address)


def test_details_dates_currency_terms_and_deal_reference() -> None:
    draft = prefill_draft(
        context(deal_product(501, 401, tax_method="inclusive")),
        replace(SETTINGS, default_tax_code_id="2"),
        TaxModel.US_MANUAL,
        today=TODAY,
        deal_url=URL,
        default_terms_id="3",
    )
    d = draft.details
    assert (d.invoice_date, d.due_date) == (date(2026, 3, 13), date(2026, 3, 20))
    assert (d.currency, d.terms_id, d.number) == ("USD", "3", "")
    assert d.tax_method is TaxMethod.INCLUSIVE
    assert d.sales_tax_code_id == "2"
    assert draft.deal == DealReference(101, "Website redesign", URL)


def test_lines_from_enabled_products_linked_to_remembered_items() -> None:
    products = (
        deal_product(501, 401, name="Consulting", item_price=10000, discount=10, tax=8,
                     comments="Phase 1"),
        deal_product(502, 402, name="Hours", item_price=250, quantity=14, tax=8),
        deal_product(503, 403, name="Old", is_enabled=False),
        deal_product(505, 404, name="Training", item_price=110, quantity=3, discount=30,
                     discount_type="amount"),
    )  # fmt: skip
    catalog = {
        402: Product(
            402,
            "Hours",
            "H",
            "h",
            Decimal("8"),
            (ProductPrice("USD", Decimal(250)),),
            "Senior engineer time",
        )
    }
    draft = prefill_draft(
        context(*products),
        SETTINGS,
        TaxModel.US_MANUAL,
        today=TODAY,
        deal_url=URL,
        customer_id="58",
        item_links={401: "7", 404: "9"},
        catalog=catalog,
    )
    assert draft.customer.customer_id == "58"
    assert draft.lines == (
        DraftLine(
            name="Consulting", description="Phase 1", quantity=Decimal(1),
            unit_price=Decimal(10000), discount=Discount(Decimal(10)), tax_rate=Decimal(8),
            tax_code_id="TAX", item_id="7", product_id=401, deal_product_id=501,
        ),
        DraftLine(
            name="Hours", description="Senior engineer time", quantity=Decimal(14),
            unit_price=Decimal(250), tax_rate=Decimal(8), tax_code_id="TAX",
            product_id=402, deal_product_id=502,
        ),
        DraftLine(
            name="Training", quantity=Decimal(3), unit_price=Decimal(110),
            discount=Discount(Decimal(30), DiscountType.AMOUNT), tax_rate=Decimal(0),
            tax_code_id="NON", item_id="9", product_id=404, deal_product_id=505,
        ),
    )  # fmt: skip


def test_recurring_product_is_billed_for_its_first_period() -> None:
    product = deal_product(
        506, 405, billing_frequency="monthly", billing_frequency_cycles=12,
        billing_start_date="2026-04-01",
    )  # fmt: skip
    (line,) = prefill_draft(
        context(product), SETTINGS, TaxModel.US_MANUAL, today=TODAY, deal_url=URL
    ).lines
    assert line.recurring == RecurringBilling(BillingFrequency.MONTHLY, 12, date(2026, 4, 1))
    assert line.service_date == date(2026, 4, 1)
    assert line.quantity == 1 and line.unit_price == 100  # one period, not twelve


def test_deal_without_products_gets_one_line_from_title_and_value() -> None:
    (line,) = prefill_draft(
        context(), replace(SETTINGS, default_taxable=True), TaxModel.US_MANUAL,
        today=TODAY, deal_url=URL,
    ).lines  # fmt: skip
    assert line == DraftLine(
        name="Website redesign",
        quantity=Decimal(1),
        unit_price=Decimal(13800),
        tax_rate=Decimal(0),
        tax_code_id="TAX",
    )


def test_global_lines_get_the_code_of_their_rate() -> None:
    products = (deal_product(501, 401, tax=19), deal_product(502, 402, tax=7),
                deal_product(503, 403, tax=13))  # fmt: skip
    draft = prefill_draft(
        context(*products),
        replace(SETTINGS, default_tax_code_id="5"),
        TaxModel.GLOBAL,
        today=TODAY,
        deal_url=URL,
        tax_code_rates=RATES,
    )
    assert [line.tax_code_id for line in draft.lines] == ["5", "6", "5"]
    assert draft.details.sales_tax_code_id == ""


def test_us_tax_marks_follow_the_deals_tax() -> None:
    exclusive = (deal_product(501, 401, tax=8), deal_product(502, 402, tax=0))
    none = (deal_product(503, 403, tax=8, tax_method="none"),)
    us = TaxModel.US_AUTOMATED
    codes = [
        line.tax_code_id
        for line in prefill_draft(
            context(*exclusive), SETTINGS, us, today=TODAY, deal_url=URL
        ).lines
    ]
    assert codes == ["TAX", "NON"]
    (line,) = prefill_draft(context(*none), SETTINGS, us, today=TODAY, deal_url=URL).lines
    assert line.tax_code_id == "NON"
    (line,) = prefill_draft(
        context(*none), SETTINGS, TaxModel.US_NO_TAX, today=TODAY, deal_url=URL
    ).lines
    assert line.tax_code_id == ""


def test_due_date_offset_and_terms() -> None:
    net30 = Term("3", "Net 30", "STANDARD", due_days=30)
    date_driven = Term("4", "15th", "DATE_DRIVEN")
    assert due_date_for_terms(TODAY, net30, 7) == date(2026, 4, 12)
    assert due_date_for_terms(TODAY, date_driven, 7) == date(2026, 3, 20)
    assert due_date_for_terms(TODAY, None, 0) == TODAY
    bad = prefill_draft(
        context(), replace(SETTINGS, due_days="x"), TaxModel.US_MANUAL, today=TODAY, deal_url=URL
    )
    assert bad.details.due_date == TODAY
