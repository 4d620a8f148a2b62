"""The exact create-invoice bodies and sparse customer updates sent to QuickBooks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

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
from extension.invoicing.tax_modes import TaxModel
from extension.invoicing.to_quickbooks import (
    build_invoice,
    customer_update,
    private_note,
    same_tax_identifier,
)
from extension.quickbooks.models import Customer, CustomerUpdate, PhysicalAddress, Ref

D = Decimal
DEAL = DealReference(101, "Website redesign", "https://acme.pipedrive.com/deal/101")
CUSTOMER = CustomerSection(
    name="Acme Corporation",
    address_lines=("100 Main Street",),
    city="Springfield",
    region="Illinois",
    postal_code="62701",
    country="United States",
    email="ap@acme.test",
    tax_id="US-98-7654321",
    customer_id="58",
    update_customer=True,
)


def draft(
    *lines: DraftLine, method: TaxMethod = TaxMethod.EXCLUSIVE, **details: object
) -> DraftInvoice:
    values: dict[str, object] = {
        "invoice_date": date(2026, 3, 13),
        "due_date": date(2026, 4, 12),
        "terms_id": "3",
        "currency": "USD",
        "message": "Thank you for your business!",
        "tax_method": method,
    }
    values.update(details)
    return DraftInvoice(CUSTOMER, InvoiceDetails(**values), lines, DEAL)  # type: ignore[arg-type]


CONSULTING = DraftLine(
    name="Consulting", description="Phase 1", quantity=D(1), unit_price=D(10000),
    discount=Discount(D(10)), tax_rate=D(8), tax_code_id="TAX", item_id="7",
)  # fmt: skip
TRAINING = DraftLine(
    name="Training", quantity=D(3), unit_price=D("33.33"), discount=Discount(D(7)),
    tax_rate=D(0), tax_code_id="NON", item_id="9", service_date=date(2026, 4, 1),
)  # fmt: skip
BILL_ADDR = {
    "Line1": "100 Main Street",
    "City": "Springfield",
    "CountrySubDivisionCode": "Illinois",
    "PostalCode": "62701",
    "Country": "United States",
}
NOTE = "Website redesign\nhttps://acme.pipedrive.com/deal/101"


def test_us_manual_sales_tax_invoice_body() -> None:
    invoice = build_invoice(
        draft(CONSULTING, TRAINING, sales_tax_code_id="2"),
        TaxModel.US_MANUAL,
        multicurrency=False,
        custom_txn_numbers=False,
        tax_code_rates={},
        line_notes={0: "List price 10,000.00 less 10 %"},
    )
    assert invoice.to_api() == {
        "CustomerRef": {"value": "58"},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": D("9000.00"),
                "Description": "Phase 1\nList price 10,000.00 less 10 %",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "7"},
                    "Qty": D(1),
                    "UnitPrice": D("9000.00"),
                    "TaxCodeRef": {"value": "TAX"},
                },
            },
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": D("92.99"),
                "Description": "Training",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "9"},
                    "Qty": D(3),
                    "UnitPrice": D("30.997"),
                    "TaxCodeRef": {"value": "NON"},
                    "ServiceDate": "2026-04-01",
                },
            },
        ],
        "TxnDate": "2026-03-13",
        "DueDate": "2026-04-12",
        "SalesTermRef": {"value": "3"},
        "BillEmail": {"Address": "ap@acme.test"},
        "PrivateNote": NOTE,
        "CustomerMemo": {"value": "Thank you for your business!"},
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
        "BillAddr": BILL_ADDR,
    }


def test_automated_sales_tax_sends_no_transaction_tax_code() -> None:
    body = build_invoice(
        draft(CONSULTING, sales_tax_code_id="2", number="INV-1"),
        TaxModel.US_AUTOMATED,
        multicurrency=False,
        custom_txn_numbers=False,
        tax_code_rates={},
    ).to_api()
    assert "TxnTaxDetail" not in body and "GlobalTaxCalculation" not in body
    assert "DocNumber" not in body  # QuickBooks numbers it: sending one risks duplicates
    assert body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}


def test_global_inclusive_invoice_body_with_currency_and_number() -> None:
    widgets = DraftLine(
        name="Widgets", quantity=D(50), unit_price=D(100),
        discount=Discount(D(200), DiscountType.AMOUNT), tax_rate=D(19), tax_code_id="5",
        item_id="9",
    )  # fmt: skip
    body = build_invoice(
        draft(widgets, method=TaxMethod.INCLUSIVE, currency="EUR", number="2026-0042",
              private_note="PO BE-7781"),
        TaxModel.GLOBAL,
        multicurrency=True,
        custom_txn_numbers=True,
        tax_code_rates={"5": D(19)},
    ).to_api()  # fmt: skip
    assert body["Line"] == [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": D("4033.61"),
            "Description": "Widgets",
            "SalesItemLineDetail": {
                "ItemRef": {"value": "9"},
                "Qty": D(50),
                "UnitPrice": D("80.6722"),
                "TaxCodeRef": {"value": "5"},
                "TaxInclusiveAmt": D("4800.00"),
            },
        }
    ]
    assert body["GlobalTaxCalculation"] == "TaxInclusive"
    assert body["CurrencyRef"] == {"value": "EUR"}
    assert body["DocNumber"] == "2026-0042"
    assert body["PrivateNote"] == NOTE + "\n\nPO BE-7781"
    assert "TxnTaxDetail" not in body


def test_global_company_without_sales_tax_states_not_applicable_and_no_codes() -> None:
    line = DraftLine(name="Thing", quantity=D(1), unit_price=D(5), tax_code_id="5", item_id="1")
    body = build_invoice(
        draft(line), TaxModel.GLOBAL_NO_TAX, multicurrency=False, custom_txn_numbers=False,
        tax_code_rates={},
    ).to_api()  # fmt: skip
    assert body["GlobalTaxCalculation"] == "NotApplicable"
    assert "TaxCodeRef" not in body["Line"][0]["SalesItemLineDetail"]


def test_private_note_without_a_deal_is_the_users_note() -> None:
    plain = DraftInvoice(CUSTOMER, InvoiceDetails(private_note=" mine "), ())
    assert private_note(plain) == "mine"
    assert private_note(draft()) == NOTE


THEIRS = Customer(
    id="58",
    sync_token="3",
    display_name="Acme Corporation",
    email="AP@acme.test",
    currency=Ref("USD"),
    bill_address=PhysicalAddress(
        lines=("100 Main Street",),
        city="Springfield",
        region="Illinois",
        postal_code="62701",
        country="United States",
    ),  # fmt: skip
    tax_identifier="XXXXXXXX54321",
)


def test_no_update_when_nothing_differs_or_the_box_is_off() -> None:
    assert customer_update(CUSTOMER, THEIRS, TaxModel.GLOBAL) is None  # email case differs only
    moved = replace(CUSTOMER, city="Chicago", update_customer=False)
    assert customer_update(moved, THEIRS, TaxModel.GLOBAL) is None


def test_sparse_update_carries_only_what_changed_with_the_sync_token() -> None:
    moved = CustomerSection(
        address_lines=("1 Success Way",), city="Sydney", email="ap@acme.test",
        tax_id="51 824 753 556", update_customer=True, customer_id="58",
    )  # fmt: skip
    update = customer_update(moved, THEIRS, TaxModel.GLOBAL)
    assert update == CustomerUpdate(
        id="58",
        sync_token="3",
        bill_address=PhysicalAddress(lines=("1 Success Way",), city="Sydney"),
        tax_identifier="51 824 753 556",
    )
    assert update.to_api() == {
        "Id": "58",
        "SyncToken": "3",
        "sparse": True,
        "BillAddr": {"Line1": "1 Success Way", "City": "Sydney"},
        "PrimaryTaxIdentifier": "51 824 753 556",
    }


def test_us_companies_never_send_a_tax_identifier_and_empty_values_clear_nothing() -> None:
    section = CustomerSection(tax_id="12-3456789", email="new@acme.test", update_customer=True)
    update = customer_update(section, THEIRS, TaxModel.US_MANUAL)
    assert update is not None and update.to_api() == {
        "Id": "58",
        "SyncToken": "3",
        "sparse": True,
        "PrimaryEmailAddr": {"Address": "new@acme.test"},
    }


def test_masked_tax_identifier_comparison() -> None:
    assert same_tax_identifier("123-45-6789", "XXXXXX56789")
    assert not same_tax_identifier("123-45-6780", "XXXXXX56789")
    assert same_tax_identifier("GB123", "GB123")  # five or fewer: compared whole
    assert not same_tax_identifier("123", "")
    assert same_tax_identifier("", "")
