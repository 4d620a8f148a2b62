"""The stand-in refuses the writes QuickBooks refuses, with the bodies QuickBooks sends.

Bodies are compared whole. Their wording comes from recorded QBO answers (python-quickbooks
#80, #145, #299; QuickBooks-V3-DotNET-SDK#333; 2050 bodies in public logs) and Intuit's
error-code list; where Intuit records none, the stand-in's module says so.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.validation import clean
from tests.quickbooks.conftest import Wire

UNSUPPORTED = "Request has invalid or unsupported property"
LINE = {"DetailType": "SalesItemLineDetail", "Amount": 100,
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}  # fmt: skip


def fault_of(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    # "time" is the company's local time with milliseconds, as on every QBO answer
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", body["time"])
    return dict(body["Fault"])


def unsupported(detail: str) -> dict[str, Any]:
    error = {"Message": UNSUPPORTED, "Detail": f"Property Name:{detail}\n specified is unsupported or invalid", "code": "2010"}  # fmt: skip
    return {"Error": [error], "type": "ValidationFault"}


async def test_unknown_property_is_refused_and_nothing_is_stored(wire: Wire) -> None:
    response = await wire.post("customer", {"DisplayName": "Foo Ltd", "Foo": "bar"})
    detail = fault_of(response)["Error"][0]["Detail"]
    assert detail.startswith(
        'Property Name:Unrecognized field "Foo" (class com.intuit.schema.finance.v3.Customer), '
        "not marked as ignorable ("
    )
    assert '"DisplayName", ' in detail and detail.endswith(
        "])\n specified is unsupported or invalid"
    )
    found = await wire.query("select * from Customer where DisplayName = 'Foo Ltd'")
    assert found.json()["QueryResponse"] == {}


async def test_misspelled_invoice_property_is_refused(wire: Wire) -> None:
    body = {"CustomerRef": {"value": "1"}, "Line": [LINE], "BillEmailAddr": {"Address": "a@b.co"}}
    response = await wire.post("invoice", body)
    assert fault_of(response)["Error"][0]["Detail"].startswith(
        'Property Name:Unrecognized field "BillEmailAddr" (class com.intuit.schema.finance.v3.Invoice)'
    )


async def test_nested_unknown_property_lists_the_class_properties(wire: Wire) -> None:
    line = {**LINE, "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Quantity": 2}}
    response = await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})
    assert fault_of(response) == unsupported(
        'Unrecognized field "Quantity" (class com.intuit.schema.finance.v3.SalesItemLineDetail), '
        'not marked as ignorable (18 known properties: "ItemRef", "DiscountRate", '
        '"TaxClassificationRef", "ServiceDate", "UnitPrice", "TaxInclusiveAmt", '
        '"InventorySiteRef", "MarkupInfo", "SalesItemLineDetailEx", "PriceLevelRef", '
        '"ItemAccountRef", "ClassRef", "DeferredRevenue", "UOMRef", "RatePercent", "DiscountAmt", '
        '"Qty", "TaxCodeRef"])'
    )


async def test_values_of_the_wrong_type_are_refused(wire: Wire) -> None:
    bad_amount = {**LINE, "Amount": "abc"}
    response = await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [bad_amount]})
    assert fault_of(response) == unsupported(
        'Can not deserialize value of type java.math.BigDecimal from String "abc": '
        "not a valid representation"
    )
    subtotal = {"DetailType": "SubtotalLineDetail", "Amount": 100}
    response = await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [subtotal]})
    assert fault_of(response) == unsupported(
        "Can not deserialize value of type com.intuit.schema.finance.v3.LineDetailTypeEnum from "
        'String "SubtotalLineDetail": value not one of declared Enum instance names: '
        "[JournalEntryLineDetail, DepositLineDetail, SalesItemLineDetail, "
        "PurchaseOrderItemLineDetail, DiscountLineDetail, TDSLineDetail, SubTotalLineDetail, "
        "ItemReceiptLineDetail, PaymentLineDetail, TaxLineDetail, AccountBasedExpenseLineDetail, "
        "SalesOrderItemLineDetail, ItemBasedExpenseLineDetail, GroupLineDetail, DescriptionOnly]"
    )
    response = await wire.post("customer", {"DisplayName": "Typed", "BillAddr": "12 Main St"})
    assert fault_of(response) == unsupported(
        "Can not deserialize instance of com.intuit.schema.finance.v3.PhysicalAddress out of "
        "VALUE_STRING token"
    )


async def test_numbers_sent_as_strings_are_read_as_numbers(wire: Wire) -> None:
    line = {**LINE, "Amount": "250.50", "SalesItemLineDetail": {
        "ItemRef": {"value": "1"}, "Qty": "2.5", "UnitPrice": "100.20"}}  # fmt: skip
    response = await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})
    assert response.status_code == 200, response.text
    invoice = response.json()["Invoice"]
    assert invoice["TotalAmt"] == 250.5 and invoice["Line"][0]["SalesItemLineDetail"]["Qty"] == 2.5


async def test_full_update_sets_omitted_writable_properties_to_null(wire: Wire) -> None:
    created = (await wire.post("customer", {
        "DisplayName": "Full Update Ltd", "CompanyName": "Full Update Ltd",
        "PrimaryEmailAddr": {"Address": "ap@full.example"}, "Notes": "keep?",
    })).json()["Customer"]  # fmt: skip
    sparse = await wire.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True,
                                          "Notes": "sparse keeps the rest"})  # fmt: skip
    kept = sparse.json()["Customer"]
    assert kept["PrimaryEmailAddr"] == {"Address": "ap@full.example"}
    assert kept["CompanyName"] == "Full Update Ltd" and kept["Notes"] == "sparse keeps the rest"
    full = await wire.post("customer", {"Id": created["Id"], "SyncToken": "1",
                                        "DisplayName": "Full Update Ltd"})  # fmt: skip
    assert full.status_code == 200, full.text
    wiped = (await wire.get(f"customer/{created['Id']}")).json()["Customer"]
    for gone in ("PrimaryEmailAddr", "CompanyName", "Notes"):
        assert gone not in wiped
    # what a client cannot write survives: currency (set once), balance, identity
    assert wiped["CurrencyRef"]["value"] == "USD" and wiped["Balance"] == 0
    assert wiped["SyncToken"] == "2" and wiped["DisplayName"] == "Full Update Ltd"


async def test_full_invoice_update_clears_what_it_leaves_out(wire: Wire) -> None:
    body = {
        "CustomerRef": {"value": "1"},
        "Line": [LINE],
        "PrivateNote": "deal 7",
        "CustomerMemo": {"value": "Thanks"},
        "BillEmail": {"Address": "ap@birds.example"},
    }
    created = (await wire.post("invoice", body)).json()["Invoice"]
    full = await wire.post("invoice", {"Id": created["Id"], "SyncToken": "0",
                                       "CustomerRef": {"value": "1"}, "Line": [LINE]})  # fmt: skip
    assert full.status_code == 200, full.text
    after = full.json()["Invoice"]
    for gone in ("PrivateNote", "CustomerMemo", "BillEmail", "DocNumber"):
        assert gone not in after  # DocNumber too: QBO numbers an invoice on create only
    assert after["TotalAmt"] == 100 and after["SyncToken"] == "1"


async def test_read_only_properties_are_ignored(wire: Wire) -> None:
    customer = await wire.post("customer", {"Id": "1", "SyncToken": "0", "sparse": True,
                                            "Balance": 999, "BalanceWithJobs": 999,
                                            "FullyQualifiedName": "Renamed?"})  # fmt: skip
    assert customer.status_code == 200, customer.text
    stored = customer.json()["Customer"]
    assert stored["Balance"] == 0 and stored["BalanceWithJobs"] == 0
    assert stored["FullyQualifiedName"] == "Amy's Bird Sanctuary"
    body = {
        "CustomerRef": {"value": "1"},
        "Line": [LINE],
        "TotalAmt": 1,
        "Balance": 1,
        "MetaData": {"CreateTime": "2001-01-01T00:00:00-08:00"},
        "domain": "QBO",
    }
    invoice = (await wire.post("invoice", body)).json()["Invoice"]
    assert invoice["TotalAmt"] == 100 and invoice["Balance"] == 100
    assert not invoice["MetaData"]["CreateTime"].startswith("2001")


async def test_empty_values_are_not_stored_or_echoed(wire: Wire) -> None:
    response = await wire.post(
        "customer",
        {
            "DisplayName": "Empty Values",
            "CompanyName": "",
            "BillAddr": {},
            "PrimaryPhone": {"FreeFormNumber": ""},
        },
    )
    customer = response.json()["Customer"]
    for absent in ("CompanyName", "BillAddr", "PrimaryPhone"):
        assert absent not in customer
    invoice = (await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE],
                                           "PrivateNote": "first"})).json()["Invoice"]  # fmt: skip
    cleared = await wire.post("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True,
                                          "PrivateNote": ""})  # fmt: skip
    assert "PrivateNote" not in cleared.json()["Invoice"]


async def test_doc_number_longer_than_21_is_refused_with_custom_numbers_off_or_on(
    wire: Wire, qbo: QuickBooksStandIn
) -> None:
    expected = {"Error": [{
        "Message": "String length is either shorter or longer than supported by specification",
        "Detail": "String length specified does not match the supported length. Min:0 Max:21 "
                  "supported. Supplied length:22",
        "code": "2050", "element": "DocNumber"}], "type": "ValidationFault"}  # fmt: skip
    body = {"CustomerRef": {"value": "1"}, "Line": [LINE], "DocNumber": "X" * 22}
    assert fault_of(await wire.post("invoice", body)) == expected
    qbo.companies[US_REALM_ID].set_pref("SalesFormsPrefs", "CustomTxnNumbers", True)
    assert fault_of(await wire.post("invoice", body)) == expected


async def test_invalid_email_addresses_are_refused(wire: Wire) -> None:
    response = await wire.post(
        "customer", {"DisplayName": "Mail Ltd", "PrimaryEmailAddr": {"Address": "ap@mail"}}
    )
    assert fault_of(response) == {"Error": [{
        "Message": "Invalid Email Address format",
        "Detail": "Email Address does not conform to the syntax rules of RFC 822. "
                  "Supplied value: ap@mail",
        "code": "2210", "element": "PrimaryEmailAddr"}], "type": "ValidationFault"}  # fmt: skip
    two = {
        "CustomerRef": {"value": "1"},
        "Line": [LINE],
        "BillEmail": {"Address": "a@b.example, c@d.example"},
    }
    assert fault_of(await wire.post("invoice", two))["Error"][0]["code"] == "2210"


async def test_display_name_is_derived_from_the_name_parts(wire: Wire) -> None:
    response = await wire.post("customer", {"Title": "Dr.", "GivenName": "Ada",
                                            "FamilyName": "Lovelace"})  # fmt: skip
    assert response.status_code == 200, response.text
    customer = response.json()["Customer"]
    assert customer["DisplayName"] == "Dr. Ada Lovelace"
    assert customer["FullyQualifiedName"] == "Dr. Ada Lovelace"
    nameless = await wire.post("customer", {"CompanyName": "No Name Co"})
    assert fault_of(nameless) == {"Error": [{
        "Message": "No Name Provided",
        "Detail": "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these "
                  "must be non-empty",
        "code": "6080", "element": ""}], "type": "ValidationFault"}  # fmt: skip


async def test_dates_are_validated_and_the_connection_survives(wire: Wire) -> None:
    body = {"CustomerRef": {"value": "1"}, "Line": [LINE], "TxnDate": "2026-02-30"}
    assert fault_of(await wire.post("invoice", body)) == unsupported(
        'Can not deserialize value of type java.util.Date from String "2026-02-30": '
        "not a valid representation"
    )
    assert (await wire.get("customer/1")).status_code == 200  # the next call works
    body["TxnDate"] = "05/01/2026"
    assert fault_of(await wire.post("invoice", body))["Error"][0]["code"] == "2010"
    # Intuit's reference names yyyy/MM/dd as TxnDate's format; it is stored as a date
    body["TxnDate"] = "2026/01/05"
    invoice = (await wire.post("invoice", body)).json()["Invoice"]
    assert invoice["TxnDate"] == "2026-01-05" and invoice["DueDate"] == "2026-02-04"


async def test_a_batch_over_30_items_is_refused_with_1040(wire: Wire) -> None:
    items = [{"bId": f"b{i}", "Query": "select * from Term"} for i in range(31)]
    response = await wire.post("batch", {"BatchItemRequest": items})
    assert fault_of(response) == {"Error": [{
        "Message": "Batch size exceeds allowed limit",
        "Detail": "Batch size exceeds allowed limit : The maximum number of items in a batch "
                  "request is 30. Supplied: 31",
        "code": "1040", "element": ""}], "type": "ValidationFault"}  # fmt: skip
    ok = await wire.post("batch", {"BatchItemRequest": items[:30]})
    assert len(ok.json()["BatchItemResponse"]) == 30


async def test_computed_tax_is_itemised_in_tax_lines(wire: Wire) -> None:
    taxed = {"DetailType": "SalesItemLineDetail", "Amount": 335.25, "SalesItemLineDetail": {
        "ItemRef": {"value": "1"}, "TaxCodeRef": {"value": "TAX"}}}  # fmt: skip
    body = {
        "CustomerRef": {"value": "1"},
        "Line": [taxed],
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
    }
    invoice = (await wire.post("invoice", body)).json()["Invoice"]
    # Intuit's invoice sample: 8 % California on 335.25
    assert invoice["TxnTaxDetail"] == {
        "TxnTaxCodeRef": {"value": "2"},
        "TotalTax": 26.82,
        "TaxLine": [{"DetailType": "TaxLineDetail", "Amount": 26.82, "TaxLineDetail": {
            "TaxRateRef": {"value": "3"}, "PercentBased": True, "TaxPercent": 8,
            "NetAmountTaxable": 335.25}}],
    }  # fmt: skip
    assert invoice["TotalAmt"] == 362.07


async def test_discount_lines_lower_the_total(wire: Wire) -> None:
    discount = {
        "DetailType": "DiscountLineDetail",
        "Amount": 0,
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
    }
    body = {"CustomerRef": {"value": "1"}, "Line": [LINE, discount]}
    invoice = (await wire.post("invoice", body)).json()["Invoice"]
    assert [line["DetailType"] for line in invoice["Line"]] == [
        "SalesItemLineDetail", "SubTotalLineDetail", "DiscountLineDetail"]  # fmt: skip
    assert invoice["Line"][2]["Amount"] == 10 and invoice["TotalAmt"] == 90


async def test_unknown_resource_answers_unsupported_operation(wire: Wire) -> None:
    response = await wire.get("widget/1")
    error = fault_of(response)["Error"][0]
    assert error["code"] == "500" and error["Message"] == "Unsupported Operation"
    assert error["Detail"].startswith(
        f"Operation Could not find resource for relative : /v3/company/{US_REALM_ID}/widget/1 "
        "of full path: http"
    )
    assert error["Detail"].endswith("is not supported.") and "element" not in error


async def test_metadata_times_are_in_the_company_offset(wire: Wire, qbo: QuickBooksStandIn) -> None:
    invoice = (await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE]})).json()
    created = invoice["Invoice"]["MetaData"]["CreateTime"]
    local = qbo.clock.now().astimezone(ZoneInfo("America/Los_Angeles"))
    assert created.endswith(local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:])
    assert abs((datetime.fromisoformat(created) - qbo.clock.now()).total_seconds()) < 5
    assert re.fullmatch(r".*T\d\d:\d\d:\d\d[+-]\d\d:\d\d", created)  # seconds, no fraction
    assert invoice["time"][-6:] == created[-6:]
    assert invoice["Invoice"]["Balance"] == Decimal("100")


SAMPLES = Path(__file__).resolve().parent.parent / "data" / "quickbooks"
ENTITY_OF = {"customer": "Customer", "invoice": "Invoice", "item": "Item",
             "payment": "Payment", "account": "Account", "term": "Term"}  # fmt: skip


@pytest.mark.parametrize(
    "sample",
    sorted(p.name for p in SAMPLES.glob("*.json") if p.name.split("--")[0] in ENTITY_OF),
)
def test_every_intuit_sample_body_passes_the_property_tables(sample: str) -> None:
    """Intuit's request bodies and full objects (which clients send back on a full update)
    name only properties the tables know, with values of the types they declare."""
    entity = ENTITY_OF[sample.split("--")[0]]
    body = json.loads((SAMPLES / sample).read_text())
    cleaned = clean(entity, body.get(entity, body), creating=True)
    assert cleaned and "Id" not in cleaned and "MetaData" not in cleaned  # read-only dropped
