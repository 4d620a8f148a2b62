"""Pre-flight: every problem QuickBooks would find, found first, each on its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from extension.invoicing.drafts import (
    CustomerSection,
    DealReference,
    Discount,
    DiscountType,
    DraftInvoice,
    DraftLine,
    InvoiceDetails,
    TaxMethod,
)
from extension.invoicing.preflight import (
    MAX_TAXABLE_LINES,
    CompanyFacts,
    Lookups,
    check_new_customer,
    preflight,
    suggest_display_name,
)
from extension.invoicing.problems import Problem, Severity, blocking, by_field, merge
from extension.invoicing.tax_modes import TaxModel
from extension.quickbooks.models import Customer, Item, Ref, TaxCode

D = Decimal
US = CompanyFacts(TaxModel.US_MANUAL, "USD", multicurrency=False, custom_txn_numbers=False)
GLOBAL = CompanyFacts(TaxModel.GLOBAL, "EUR", multicurrency=True, custom_txn_numbers=True)
ACME = Customer(id="58", sync_token="0", display_name="Acme Corporation", currency=None)
GLOBEX = Customer(id="61", sync_token="0", display_name="Globex GmbH", currency=Ref("EUR"))
SERVICES = Item(id="7", sync_token="0", name="Services", type="Service")
LINE = DraftLine(
    name="Consulting", quantity=D(1), unit_price=D(100), tax_rate=D(0), tax_code_id="TAX",
    item_id="7",
)  # fmt: skip
CODES = {
    "2": TaxCode("2", "California"),
    "5": TaxCode("5", "VAT 19"),
    "8": TaxCode("8", "Old VAT", active=False),
}
OK = Lookups(customer=ACME, items={"7": SERVICES}, tax_codes=CODES, tax_code_rates={"5": D(19)})


def draft(
    *lines: DraftLine, customer: CustomerSection | None = None, **details: object
) -> DraftInvoice:
    values: dict[str, object] = {
        "invoice_date": date(2026, 3, 13),
        "due_date": date(2026, 3, 20),
        "currency": "USD",
        "sales_tax_code_id": "2",
        "tax_method": TaxMethod.EXCLUSIVE,
    }
    values.update(details)
    return DraftInvoice(
        customer or CustomerSection(name="Acme", email="ap@acme.test", customer_id="58"),
        InvoiceDetails(**values),  # type: ignore[arg-type]
        lines or (LINE,),
        DealReference(101, "Website redesign", "https://acme.pipedrive.com/deal/101"),
    )


def test_a_clean_draft_has_no_problems() -> None:
    assert preflight(draft(), US, OK) == ()


def test_customer_not_linked_not_found_or_inactive() -> None:
    unlinked = draft(customer=CustomerSection(name="Acme"))
    assert Problem("customer-customer_id", "customer_not_linked") in preflight(unlinked, US, OK)
    assert preflight(draft(), US, replace(OK, customer=None))[0] == Problem(
        "customer-customer_id", "customer_not_found"
    )
    inactive = replace(OK, customer=replace(ACME, active=False))
    assert preflight(draft(), US, inactive) == (
        Problem("customer-customer_id", "customer_inactive", {"name": "Acme Corporation"}),
    )


def test_currency_must_be_the_home_currency_without_multicurrency() -> None:
    assert preflight(draft(currency="EUR"), US, OK) == (
        Problem("details-currency", "currency_not_home", {"currency": "EUR", "home": "USD"}),
    )
    assert preflight(draft(currency=""), US, OK) == (
        Problem("details-currency", "currency_required"),
    )


def test_currency_must_be_the_customers() -> None:
    facts = replace(US, multicurrency=True)
    assert preflight(draft(currency="USD"), facts, replace(OK, customer=GLOBEX)) == (
        Problem("customer-customer_id", "customer_not_found"),
    )
    linked = draft(currency="USD", customer=CustomerSection(email="a@b.co", customer_id="61"))
    assert preflight(linked, facts, replace(OK, customer=GLOBEX)) == (
        Problem(
            "details-currency",
            "currency_mismatch",
            {"currency": "USD", "customer_currency": "EUR", "customer": "Globex GmbH"},
        ),
    )
    # A customer without CurrencyRef is in the home currency.
    assert preflight(draft(currency="USD"), facts, OK) == ()


@pytest.mark.parametrize(
    ("email", "required", "code"),
    [
        ("", True, "email_required"),
        ("ap@acme", False, "email_invalid"),
        ("ap acme@acme.test", False, "email_invalid"),
        ("a@b@acme.test", False, "email_invalid"),
        ("x" * 95 + "@a.com", False, "too_long"),
    ],
)
def test_email(email: str, required: bool, code: str) -> None:
    d = draft(customer=CustomerSection(email=email, customer_id="58"))
    (problem,) = preflight(d, US, replace(OK, email_required=required))
    assert (problem.field, problem.code) == ("customer-email", code)


def test_no_email_is_fine_when_none_is_needed() -> None:
    assert preflight(draft(customer=CustomerSection(customer_id="58")), US, OK) == ()


def test_address_limits_from_physical_address() -> None:
    section = CustomerSection(
        customer_id="58",
        address_lines=("a" * 501, "b" * 502, *(f"line {n}" for n in range(4))),
        city="c" * 256,
        postal_code="9" * 31,
    )
    codes = [(p.field, p.code) for p in preflight(draft(customer=section), US, OK)]
    assert codes == [
        ("customer-address", "too_many_address_lines"),
        ("customer-address", "too_long"),
        ("customer-city", "too_long"),
        ("customer-postal_code", "too_long"),
    ]


def test_dates() -> None:
    assert preflight(draft(due_date=date(2026, 3, 12)), US, OK) == (
        Problem(
            "details-due_date",
            "due_before_invoice_date",
            {"due_date": date(2026, 3, 12), "invoice_date": date(2026, 3, 13)},
        ),
    )
    missing = preflight(draft(invoice_date=None, due_date=None), US, OK)
    assert [p.field for p in missing] == ["details-invoice_date", "details-due_date"]


def test_invoice_number_with_custom_transaction_numbers() -> None:
    facts = replace(US, custom_txn_numbers=True)
    assert preflight(draft(), facts, OK) == (Problem("details-number", "number_required"),)
    assert preflight(draft(number="X" * 22), facts, OK) == (
        Problem("details-number", "too_long", {"limit": 21, "length": 22}),
    )
    assert preflight(draft(number="X" * 21), facts, OK) == ()
    taken = replace(OK, number_taken=True)
    assert preflight(draft(number="1037"), facts, taken) == (
        Problem("details-number", "number_taken", {"number": "1037"}),
    )
    # Without custom numbers QuickBooks numbers the invoice; a typed number is not checked.
    assert preflight(draft(number="X" * 30), US, taken) == ()


def test_private_note_with_the_deal_link_fits_4000() -> None:
    (problem,) = preflight(draft(private_note="n" * 3960), US, OK)
    assert (problem.field, problem.code, problem.params["limit"]) == (
        "details-private_note",
        "too_long",
        4000,
    )


def test_us_manual_needs_an_active_sales_tax_code() -> None:
    assert preflight(draft(sales_tax_code_id=""), US, OK) == (
        Problem("details-sales_tax_code_id", "sales_tax_code_required"),
    )
    assert preflight(draft(sales_tax_code_id="8"), US, OK) == (
        Problem("details-sales_tax_code_id", "tax_code_not_found", {"code": "8"}),
    )
    automated = replace(US, model=TaxModel.US_AUTOMATED)
    assert preflight(draft(sales_tax_code_id=""), automated, OK) == ()


def test_us_manual_invoice_without_a_taxable_line_needs_no_sales_tax_rate() -> None:
    untaxed = draft(sales_tax_code_id="")
    untaxed = replace(
        untaxed, lines=tuple(replace(line, tax_code_id="NON") for line in untaxed.lines)
    )
    assert preflight(untaxed, US, OK) == ()


def test_lines_linked_to_active_items_that_are_not_categories() -> None:
    lines = (
        replace(LINE, item_id=None),
        replace(LINE, item_id="404"),
        replace(LINE, item_id="3"),
        replace(LINE, item_id="4"),
    )
    items = {
        "7": SERVICES,
        "404": None,
        "3": Item(id="3", sync_token="0", name="Design", type="Category"),
        "4": Item(id="4", sync_token="0", name="Old", type="Service", active=False),
    }
    assert preflight(draft(*lines), US, replace(OK, items=items)) == (
        Problem("lines-0-item_id", "item_not_linked", {"name": "Consulting"}),
        Problem("lines-1-item_id", "item_not_found", {"name": "Consulting"}),
        Problem("lines-2-item_id", "item_is_category", {"item": "Design"}),
        Problem("lines-3-item_id", "item_inactive", {"item": "Old"}),
    )


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"quantity": D(0)}, "lines-0-quantity", "quantity_not_positive"),
        ({"quantity": D(-2)}, "lines-0-quantity", "quantity_not_positive"),
        ({"quantity": D("1.123456")}, "lines-0-quantity", "too_precise"),
        ({"quantity": D("1E10")}, "lines-0-quantity", "number_too_large"),
        ({"unit_price": D(-1)}, "lines-0-unit_price", "negative"),
        ({"unit_price": D("1E12")}, "lines-0-unit_price", "number_too_large"),
        ({"discount": Discount(D(-1))}, "lines-0-discount", "negative"),
        ({"discount": Discount(D(101))}, "lines-0-discount", "discount_over_100"),
        (
            {"discount": Discount(D(101), DiscountType.AMOUNT)},
            "lines-0-discount",
            "discount_over_total",
        ),
        ({"tax_rate": D(101)}, "lines-0-tax_rate", "tax_rate_out_of_range"),
        ({"quantity": D(100000), "unit_price": D(100000)}, "lines-0-quantity", "amount_too_large"),
        ({"tax_code_id": "VAT"}, "lines-0-tax_code_id", "tax_code_required"),
        ({"description": "d" * 4001}, "lines-0-description", "too_long"),
    ],
)
def test_line_numbers_and_limits(changes: dict[str, object], field: str, code: str) -> None:
    (problem,) = preflight(draft(replace(LINE, **changes)), US, OK)  # type: ignore[arg-type]
    assert (problem.field, problem.code) == (field, code)


def test_quantity_precision_ignores_trailing_zeros() -> None:
    assert preflight(draft(replace(LINE, quantity=D("2.500000"))), US, OK) == ()


def test_unreadable_numbers_were_reported_by_the_form_and_are_not_reported_again() -> None:
    assert preflight(draft(replace(LINE, quantity=None, unit_price=None)), US, OK) == ()
    form = (Problem("lines-0-quantity", "not_a_number", {"value": "x"}),)
    checks = (Problem("lines-0-quantity", "quantity_not_positive"), Problem("lines", "x"))
    assert merge(form, checks) == (*form, Problem("lines", "x"))


def test_taxable_invoices_have_at_most_750_lines() -> None:
    lines = (LINE,) * (MAX_TAXABLE_LINES + 1)
    problems = preflight(draft(*lines), US, OK)
    assert problems == (Problem("lines", "too_many_lines", {"limit": 750}),)
    untaxed = tuple(replace(LINE, tax_code_id="NON") for _ in lines)
    assert preflight(draft(*untaxed), US, OK) == ()
    assert preflight(draft(*()), US, OK) == ()  # draft() falls back to one line
    assert preflight(replace(draft(), lines=()), US, OK) == (Problem("lines", "lines_required"),)


def global_draft(*lines: DraftLine, method: TaxMethod = TaxMethod.EXCLUSIVE) -> DraftInvoice:
    return draft(*lines, currency="EUR", number="2026-1", tax_method=method,
                 customer=CustomerSection(customer_id="61"))  # fmt: skip


GLOBAL_OK = replace(OK, customer=GLOBEX)
VAT = replace(LINE, tax_code_id="5", tax_rate=D(19))


def test_global_lines_need_an_active_tax_code() -> None:
    lines = (
        replace(VAT, tax_code_id=""),
        replace(VAT, tax_code_id="8"),
        replace(VAT, tax_code_id="2"),
    )
    assert preflight(global_draft(*lines), GLOBAL, GLOBAL_OK) == (
        Problem("lines-0-tax_code_id", "tax_code_required"),
        Problem("lines-1-tax_code_id", "tax_code_not_found", {"code": "8"}),
        Problem("lines-2-tax_code_id", "tax_rate_unknown", {"code": "2"}, Severity.WARNING),
    )


def test_an_unknown_rate_blocks_only_tax_inclusive_lines() -> None:
    line = replace(VAT, tax_code_id="2")
    (warning,) = preflight(global_draft(line), GLOBAL, GLOBAL_OK)
    assert warning.severity is Severity.WARNING and not blocking([warning])
    (error,) = preflight(global_draft(line, method=TaxMethod.INCLUSIVE), GLOBAL, GLOBAL_OK)
    assert error.severity is Severity.ERROR and blocking([error])


def test_a_quickbooks_rate_other_than_pipedrives_is_a_warning() -> None:
    line = replace(VAT, tax_rate=D(20))
    assert preflight(global_draft(line), GLOBAL, GLOBAL_OK) == (
        Problem(
            "lines-0-tax_code_id",
            "tax_rate_differs",
            {"pipedrive_rate": D(20), "quickbooks_rate": D(19)},
            Severity.WARNING,
        ),
    )
    assert preflight(global_draft(VAT), GLOBAL, GLOBAL_OK) == ()


def test_problems_grouped_by_field_in_order() -> None:
    problems = preflight(draft(replace(LINE, item_id=None, quantity=D(0)), currency=""), US, OK)
    assert list(by_field(problems)) == ["details-currency", "lines-0-item_id", "lines-0-quantity"]


def test_new_customer_name_taken_gets_a_free_suggestion() -> None:
    taken = ["Acme Corporation", "ACME CORPORATION (2)", "Acme Corporation (3)"]
    assert check_new_customer("acme corporation", "USD", US, taken) == (
        Problem(
            "customer-name",
            "name_taken",
            {"name": "acme corporation", "suggestion": "acme corporation (4)"},
        ),
    )
    assert check_new_customer("Acme Corporation", "USD", US, []) == ()


@pytest.mark.parametrize(
    ("name", "code"),
    [("", "name_required"), ("  ", "name_required"), ("Acme: West", "name_invalid_characters"),
     ("Acme\tWest", "name_invalid_characters"), ("A" * 501, "too_long")],
)  # fmt: skip
def test_new_customer_name_rules(name: str, code: str) -> None:
    (problem,) = check_new_customer(name, "USD", US, [])
    assert (problem.field, problem.code) == ("customer-name", code)


def test_new_customer_currency_without_multicurrency() -> None:
    assert check_new_customer("Globex", "EUR", US, []) == (
        Problem("details-currency", "currency_not_home", {"currency": "EUR", "home": "USD"}),
    )
    assert check_new_customer("Globex", "USD", GLOBAL, []) == ()


def test_suggestion_stays_within_the_display_name_limit() -> None:
    long = "N" * 500
    suggestion = suggest_display_name(long, [long])
    assert len(suggestion) == 500 and suggestion.endswith(" (2)")
