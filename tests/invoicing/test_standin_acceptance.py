"""The bodies built here pass the QuickBooks stand-in's business rules (6070, tax codes, currency).

The stand-in follows Intuit's documentation, not this code, so a body it refuses is a body
QuickBooks would refuse. Built from the stand-in's own seeded US and GB companies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from extension.invoicing.drafts import (
    CustomerSection,
    Discount,
    DiscountType,
    DraftInvoice,
    DraftLine,
    InvoiceDetails,
    TaxMethod,
)
from extension.invoicing.line_math import summarize
from extension.invoicing.tax_modes import TaxModel
from extension.invoicing.to_quickbooks import build_invoice
from extension.quickbooks.wire import decode_json, encode_json
from extension.sandbox.quickbooks.rules import create_invoice
from extension.sandbox.quickbooks.seed import seed_company
from extension.sandbox.quickbooks.state import Clock, CompanyState

D = Decimal


def company(global_tax: bool) -> CompanyState:
    state = CompanyState("9341453000000000", Clock())
    seed_company(state, global_tax=global_tax)
    return state


def draft(*lines: DraftLine, currency: str, method: TaxMethod, **details: Any) -> DraftInvoice:
    return DraftInvoice(
        CustomerSection(customer_id="1", email="birds@intuit.example"),
        InvoiceDetails(
            invoice_date=date(2026, 3, 13),
            due_date=date(2026, 4, 12),
            currency=currency,
            tax_method=method,
            **details,
        ),  # fmt: skip
        lines,
    )


def post(state: CompanyState, invoice: DraftInvoice, model: TaxModel, rates: dict[str, D]) -> Any:
    body = build_invoice(
        invoice, model, multicurrency=True, custom_txn_numbers=False, tax_code_rates=rates
    ).to_api()
    # Over the wire as the client sends it, and back as the stand-in reads it.
    return create_invoice(state, decode_json(encode_json(body)))


ODD = DraftLine(
    name="Training", quantity=D(3), unit_price=D("33.33"), discount=Discount(D(7)),
    tax_rate=D(8), tax_code_id="TAX", item_id="1",
)  # fmt: skip
BULK = DraftLine(
    name="Stickers", quantity=D(1000000), unit_price=D("0.33333333"), tax_rate=D(0),
    tax_code_id="NON", item_id="2",
)  # fmt: skip
DESIGN = DraftLine(
    name="Design", quantity=D(14), unit_price=D(250), discount=Discount(D(30), DiscountType.AMOUNT),
    tax_rate=D(20), tax_code_id="3", item_id="2",
)  # fmt: skip


def test_us_invoice_with_odd_discounts_and_a_split_line_is_accepted() -> None:
    state = company(global_tax=False)
    invoice = draft(ODD, BULK, currency="USD", method=TaxMethod.EXCLUSIVE, sales_tax_code_id="2")
    created = post(state, invoice, TaxModel.US_MANUAL, {"2": D(8)})
    amounts = [
        line["Amount"] for line in created["Line"] if line["DetailType"] == "SalesItemLineDetail"
    ]
    assert amounts == [D("92.99"), D("333332.97"), D("0.36")]
    summary = summarize(invoice.lines, TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, {"2": D(8)}, "2")
    assert created["TotalAmt"] == summary.total == D("333333.33") + D("92.99") + D("7.44")


def test_gb_tax_excluded_invoice_is_accepted_with_the_expected_total() -> None:
    state = company(global_tax=True)
    invoice = draft(DESIGN, currency="GBP", method=TaxMethod.EXCLUSIVE)
    created = post(state, invoice, TaxModel.GLOBAL, {"3": D(20)})
    assert created["GlobalTaxCalculation"] == "TaxExcluded"
    assert created["TotalAmt"] == D("4164.00")  # (3500 − 30) × 1.2, as Pipedrive sums it
    summary = summarize(invoice.lines, TaxModel.GLOBAL, TaxMethod.EXCLUSIVE, {"3": D(20)})
    assert summary.pipedrive_total == summary.total == D("4164.00")


def test_gb_tax_inclusive_invoice_totals_the_grosses() -> None:
    state = company(global_tax=True)
    invoice = draft(DESIGN, currency="GBP", method=TaxMethod.INCLUSIVE)
    created = post(state, invoice, TaxModel.GLOBAL, {"3": D(20)})
    assert created["TotalAmt"] == D("3470.00")  # what the customer pays, as in Pipedrive
