"""Line arithmetic: each QuickBooks line satisfies Amount = round(Qty × UnitPrice, 2), and the
lines add up to what the deal's products add up to in Pipedrive."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extension.invoicing.drafts import Discount, DiscountType, DraftLine, TaxMethod
from extension.invoicing.line_math import (
    DraftSummary,
    PricedPart,
    SalesLine,
    cents,
    line_figures,
    price_parts,
    sales_lines,
    summarize,
)
from extension.invoicing.tax_modes import TaxModel, TaxNote

D = Decimal


def line(
    qty: str, price: str, discount: str = "0", kind: str = "percentage", **kw: object
) -> DraftLine:
    values: dict[str, object] = {
        "name": "Product",
        "quantity": D(qty),
        "unit_price": D(price),
        "discount": Discount(D(discount), DiscountType(kind)),
        "tax_rate": D("0"),
        "item_id": "1",
    }
    values.update(kw)
    return DraftLine(**values)  # type: ignore[arg-type]


# The sandbox's seeded deals 101 and 102 (Pipedrive sums 9720, 3780, 300 and 4800).
CONSULTING = line("1", "10000", "10", tax_rate=D("8"), tax_code_id="TAX", item_id="11")
HOURS = line("14", "250", tax_rate=D("8"), tax_code_id="TAX", item_id="12")
TRAINING = line("3", "110", "30", "amount", tax_code_id="NON", item_id="13")
WIDGETS = line("50", "100", "200", "amount", tax_rate=D("19"), tax_code_id="5", item_id="9")


def test_figures_of_percentage_and_amount_discounts() -> None:
    assert line_figures(CONSULTING).total == D("9000.00")
    amount = line_figures(TRAINING)  # the amount comes off the line, not off each unit
    assert (amount.gross, amount.discount, amount.total) == (D("330"), D("30"), D("300.00"))
    odd = line_figures(line("3", "33.33", "7"))
    assert (odd.gross, odd.total) == (D("99.99"), D("92.99"))  # 92.9907 rounded half up


def test_cents_round_half_up_as_quickbooks_checks_amounts() -> None:
    assert cents(D("0.125")) == D("0.13")  # half-even would give 0.12
    assert cents(D("2.675")) == D("2.68")
    assert line_figures(line("1", "0.125")).total == D("0.13")
    assert line_figures(line("3", "0.125", "0")).total == D("0.38")  # 0.375


def test_clean_prices_keep_two_decimals() -> None:
    assert sales_lines(
        [CONSULTING, HOURS, TRAINING], TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, {}
    ) == (
        SalesLine(0, "11", D("1"), D("9000.00"), D("9000.00"), "TAX"),
        SalesLine(1, "12", D("14"), D("250.00"), D("3500.00"), "TAX"),
        SalesLine(2, "13", D("3"), D("100.00"), D("300.00"), "NON"),
    )


def test_a_discounted_price_gets_the_decimals_it_needs() -> None:
    (part,) = price_parts(D("3"), D("92.99"))
    assert part == PricedPart(D("3"), D("30.997"), D("92.99"))
    assert cents(part.qty * part.unit_price) == part.amount
    # Intuit's own recorded invoices store 7 decimals: 450 × 0.9090889 = 409.09.
    (part,) = price_parts(D("450"), D("409.09"))
    assert cents(part.qty * part.unit_price) == D("409.09")


def test_a_line_no_seven_decimal_price_can_hit_is_split_in_two() -> None:
    parts = price_parts(D("1000000"), D("333333.33"))
    assert parts == (
        PricedPart(D("999999"), D("0.3333333"), D("333332.97")),
        PricedPart(D("1"), D("0.36"), D("0.36")),
    )
    assert sum(p.amount for p in parts) == D("333333.33")
    assert all(cents(p.qty * p.unit_price) == p.amount for p in parts)


def test_split_lines_keep_item_tax_code_and_source() -> None:
    big = line("1000000", "0.33333333", item_id="5", tax_code_id="TAX")
    first, second = sales_lines([big], TaxModel.US_AUTOMATED, TaxMethod.EXCLUSIVE, {})
    assert (first.source, second.source) == (0, 0)
    assert first.item_id == second.item_id == "5" and second.tax_code_id == "TAX"
    assert first.amount + second.amount == D("333333.33")


def test_zero_and_negative_quantities_are_refused() -> None:
    with pytest.raises(ValueError):
        price_parts(D("0"), D("10"))
    with pytest.raises(ValueError):
        sales_lines([line("1", "1", item_id=None)], TaxModel.US_MANUAL, TaxMethod.NONE, {})


def test_global_inclusive_sends_net_amount_and_the_gross_untouched() -> None:
    (sale,) = sales_lines([WIDGETS], TaxModel.GLOBAL, TaxMethod.INCLUSIVE, {"5": D("19")})
    # 4800 / 1.19 = 4033.6134… → 4033.61 net; the customer pays 4800, as in Pipedrive.
    assert sale == SalesLine(0, "9", D("50"), D("80.6722"), D("4033.61"), "5", D("4800.00"))
    assert cents(sale.qty * sale.unit_price) == sale.amount


def test_global_inclusive_needs_the_codes_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        sales_lines([WIDGETS], TaxModel.GLOBAL, TaxMethod.INCLUSIVE, {})


def test_global_inclusive_split_grosses_add_up() -> None:
    big = line("1000000", "0.4", tax_code_id="5")
    parts = sales_lines([big], TaxModel.GLOBAL, TaxMethod.INCLUSIVE, {"5": D("19")})
    assert sum(p.tax_inclusive_amount or 0 for p in parts) == D("400000.00")
    assert sum(p.amount for p in parts) == cents(D("400000") / D("1.19"))


def test_us_inclusive_lines_become_net_at_pipedrives_rate() -> None:
    inclusive = line("1", "108", tax_rate=D("8"), tax_code_id="TAX")
    (sale,) = sales_lines([inclusive], TaxModel.US_MANUAL, TaxMethod.INCLUSIVE, {})
    assert (sale.amount, sale.tax_inclusive_amount) == (D("100.00"), None)


def test_summary_us_manual_matches_pipedrive_when_the_rates_agree() -> None:
    summary = summarize(
        [CONSULTING, HOURS, TRAINING], TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, {"2": D("8")}, "2"
    )
    assert summary == DraftSummary(
        subtotal=D("13830.00"),
        discount=D("1030.00"),
        net=D("12800.00"),
        tax=D("1000.00"),  # 8 % of the taxable 12 500
        total=D("13800.00"),
        tax_note=TaxNote.ADDED,
        pipedrive_total=D("13800.00"),  # 9720 + 3780 + 300
    )


def test_summary_without_a_readable_rate_leaves_tax_and_total_open() -> None:
    summary = summarize([CONSULTING], TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, {}, "2")
    assert (summary.tax, summary.total, summary.tax_note) == (None, None, TaxNote.RATE_UNKNOWN)


def test_summary_automated_sales_tax_is_quickbooks_to_compute() -> None:
    summary = summarize([CONSULTING], TaxModel.US_AUTOMATED, TaxMethod.EXCLUSIVE, {"2": D("8")})
    assert (summary.net, summary.tax, summary.total) == (D("9000.00"), None, None)
    assert summary.tax_note is TaxNote.COMPUTED_BY_QUICKBOOKS


def test_summary_global_inclusive_total_is_pipedrives() -> None:
    summary = summarize([WIDGETS], TaxModel.GLOBAL, TaxMethod.INCLUSIVE, {"5": D("19")})
    assert (summary.net, summary.tax, summary.total) == (D("4033.61"), D("766.39"), D("4800.00"))
    assert summary.pipedrive_total == D("4800.00") and summary.tax_note is TaxNote.INCLUDED


def test_summary_global_exclusive_taxes_per_code_like_quickbooks() -> None:
    a = line("1", "10.01", tax_code_id="5", tax_rate=D("19"))
    b = line("1", "10.01", tax_code_id="5", tax_rate=D("19"))
    c = line("1", "5", tax_code_id="7", tax_rate=D("7"))
    summary = summarize(
        [a, b, c], TaxModel.GLOBAL, TaxMethod.EXCLUSIVE, {"5": D("19"), "7": D("7")}
    )
    # 20.02 × 19 % = 3.8038 → 3.80 on the code's net, not 1.90 + 1.90 per line; 5 × 7 % = 0.35.
    assert summary.tax == D("4.15")
    assert summary.total == D("29.17")
    assert summary.pipedrive_total == D("29.17")  # 11.91 + 11.91 + 5.35


def test_summary_skips_lines_with_unreadable_numbers() -> None:
    broken = line("1", "5", quantity=None)
    summary = summarize([CONSULTING, broken], TaxModel.US_NO_TAX, TaxMethod.NONE, {})
    assert (summary.net, summary.total, summary.tax) == (D("9000.00"), D("9000.00"), D("0"))


quantities = st.decimals(min_value=D("0.00001"), max_value=D("2000000"), places=5)
prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=4)
percent = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@settings(max_examples=300, deadline=None)
@given(qty=quantities, price=prices, discount=percent)
def test_every_part_is_exact_and_the_parts_sum_to_the_line(qty: D, price: D, discount: D) -> None:
    target = line_figures(line(str(qty), str(price), str(discount))).total
    parts = price_parts(qty, target)
    assert sum(p.amount for p in parts) == target
    assert sum(p.qty for p in parts) == qty
    for part in parts:
        assert cents(part.qty * part.unit_price) == part.amount  # QuickBooks' 6070 check
        assert -part.unit_price.as_tuple().exponent <= 7  # type: ignore[operator]
        assert part.qty > 0


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(quantities, prices, st.decimals(min_value=0, max_value=30, places=0)),
        min_size=1,
        max_size=6,
    ),
    rate=st.sampled_from([D("0"), D("7"), D("19"), D("24"), D("25.5")]),
)
def test_inclusive_invoice_total_equals_pipedrives_sum(rows: list[tuple[D, D, D]], rate: D) -> None:
    lines = [line(str(q), str(p), str(d), tax_code_id="5", tax_rate=rate) for q, p, d in rows]
    sales = sales_lines(lines, TaxModel.GLOBAL, TaxMethod.INCLUSIVE, {"5": rate})
    pipedrive = summarize(lines, TaxModel.GLOBAL, TaxMethod.INCLUSIVE, {"5": rate}).pipedrive_total
    assert sum(s.tax_inclusive_amount or 0 for s in sales) == pipedrive
    assert all(cents(s.qty * s.unit_price) == s.amount for s in sales)
