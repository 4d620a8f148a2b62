"""Fields added to the upstream models for the invoice domain, parsed from documented shapes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from extension.pipedrive.models import DealProduct, Product
from extension.quickbooks.invoice_models import Invoice, InvoiceDraft, InvoiceLineDraft
from extension.quickbooks.models import CompanyInfo, Customer, CustomerUpdate, PhysicalAddress

DATA = Path(__file__).parent.parent / "data" / "quickbooks"
# Intuit's void and delete samples (reference samples invoice--07 and invoice--05), abridged.
VOIDED = {
    "domain": "QBO", "TxnDate": "2014-11-09", "PrintStatus": "NEED_TO_PRINT", "TotalAmt": 0,
    "Line": [{"Description": "Sod", "DetailType": "SALES_ITEM_LINE_DETAIL",
              "SalesItemLineDetail": {"TaxCodeRef": {"value": "TAX"}, "Qty": 0,
                                      "ItemRef": {"name": "Sod", "value": "14"}},
              "LineNum": 1, "Amount": 0, "Id": "1"}],
    "DueDate": "2014-12-09", "DocNumber": "1036", "PrivateNote": "Voided", "Balance": 0,
    "CustomerRef": {"name": "0969 Ocean View Road", "value": "8"},
    "TxnTaxDetail": {"TotalTax": 0}, "SyncToken": "1", "LinkedTxn": [], "Id": "129",
}  # fmt: skip
DELETED = {"status": "Deleted", "domain": "QBO", "Id": "33"}


def _sample(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((DATA / name).read_text())  # type: ignore[no-any-return]


def test_deal_product_billing_frequency_from_openapi_example() -> None:
    raw = {
        "id": 3, "deal_id": 1, "product_id": 1, "name": "Mechanical Pencil", "sum": 90,
        "item_price": 90, "quantity": 1, "discount": 0, "discount_type": "percentage",
        "tax": 0, "tax_method": "inclusive", "currency": "USD", "is_enabled": True,
        "comments": "", "billing_frequency": "monthly", "billing_frequency_cycles": 4,
        "billing_start_date": "2019-12-19",
    }  # fmt: skip
    product = DealProduct.from_api(raw)
    assert product.billing_frequency == "monthly"
    assert product.billing_frequency_cycles == 4
    assert product.billing_start_date == date(2019, 12, 19)


def test_deal_product_without_billing_fields_is_one_time() -> None:
    product = DealProduct.from_api({"id": 1, "deal_id": 2, "billing_start_date": "not a date"})
    assert product.billing_frequency == "one-time"
    assert product.billing_frequency_cycles is None
    assert product.billing_start_date is None


def test_product_description() -> None:
    product = Product.from_api({"id": 1, "name": "Pencil", "description": "Product description"})
    assert product.description == "Product description"
    assert Product.from_api({"id": 2}).description == ""


def test_customer_bill_address_and_masked_tax_identifier() -> None:
    raw = _sample("customer--01-sample-response.json")["Customer"]
    raw["PrimaryTaxIdentifier"] = "XXXXXX56789"
    customer = Customer.from_api(raw)
    assert customer.bill_address == PhysicalAddress(
        lines=("123 Main Street",), city="San Francisco", region="CA", postal_code="94105"
    )
    assert customer.tax_identifier == "XXXXXX56789"


def test_physical_address_round_trip_omits_empty_fields() -> None:
    address = PhysicalAddress(lines=("Friedrichstraße 68",), city="Berlin", country="Germany")
    assert address.to_api() == {
        "Line1": "Friedrichstraße 68",
        "City": "Berlin",
        "Country": "Germany",
    }
    assert PhysicalAddress.from_api(address.to_api()) == address
    assert PhysicalAddress.from_api({"Id": "3", "Lat": "INVALID"}) is None


def test_customer_update_is_sparse_with_sync_token() -> None:
    update = CustomerUpdate(id="58", sync_token="3", email="ap@acme.test")
    assert update.to_api() == {
        "Id": "58",
        "SyncToken": "3",
        "sparse": True,
        "PrimaryEmailAddr": {"Address": "ap@acme.test"},
    }


def test_company_default_time_zone() -> None:
    raw = _sample("companyinfo--03-sample-response.json")["CompanyInfo"]
    assert CompanyInfo.from_api(raw).default_time_zone == ""
    raw["DefaultTimeZone"] = "America/Los_Angeles"
    assert CompanyInfo.from_api(raw).default_time_zone == "America/Los_Angeles"


def test_invoice_delivery_info_and_deleted_stub() -> None:
    raw = _sample("invoice--03-sample-response.json")["Invoice"]
    raw["EmailStatus"] = "EmailSent"
    raw["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": "2014-12-17T11:50:52-08:00"}
    invoice = Invoice.from_api(raw)
    assert invoice.delivered_at == datetime(2014, 12, 17, 19, 50, 52, tzinfo=UTC)
    assert invoice.delivered_at.utcoffset() == timedelta(hours=-8)  # type: ignore[union-attr]
    assert not invoice.deleted
    stub = Invoice.from_api(DELETED)
    assert stub.deleted and stub.id == "33"


def test_invoice_delivery_time_without_offset_is_dropped() -> None:
    invoice = Invoice.from_api({"Id": "1", "DeliveryInfo": {"DeliveryTime": "2014-12-17T11:50:52"}})
    assert invoice.delivered_at is None


def test_voided_sample_lines_read_despite_enum_spelling() -> None:
    invoice = Invoice.from_api(VOIDED)
    assert invoice.looks_voided
    (line,) = invoice.sales_lines
    assert line.item is not None and line.item.value == "14"
    assert line.qty == 0


def test_line_draft_tax_inclusive_amount_and_invoice_bill_address() -> None:
    line = InvoiceLineDraft(
        item_id="7", amount=Decimal("6000"), qty=Decimal("3"), unit_price=Decimal("2000"),
        tax_code_id="10", tax_inclusive_amount=Decimal("6600"),
    )  # fmt: skip
    body = InvoiceDraft(
        customer_id="17", lines=(line,), bill_address=PhysicalAddress(lines=("1 Success Way",))
    ).to_api()
    assert body["Line"][0]["SalesItemLineDetail"]["TaxInclusiveAmt"] == Decimal("6600")
    assert body["BillAddr"] == {"Line1": "1 Success Way"}
