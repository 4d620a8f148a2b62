"""The stand-in creates items as QuickBooks does (Item reference, business rules and samples)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.quickbooks.conftest import Wire
from tests.quickbooks.test_standin_writes import fault_of

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "quickbooks"


async def test_intuits_service_item_sample_is_created(wire: Wire) -> None:
    sample = json.loads((SAMPLES / "item--02-sample-request-body-service-item.json").read_text())
    response = await wire.post("item", sample)
    assert response.status_code == 200, response.text
    item = response.json()["Item"]
    assert (item["Name"], item["Type"], item["Active"]) == ("Garden Design", "Service", True)
    assert item["IncomeAccountRef"] == {"value": "1", "name": "Services"}
    assert item["SyncToken"] == "0" and item["FullyQualifiedName"] == "Garden Design"


async def test_a_service_item_needs_an_active_income_account(wire: Wire) -> None:
    missing = fault_of(await wire.post("item", {"Name": "Audit", "Type": "Service"}))
    assert missing["Error"][0]["code"] == "2020"
    assert missing["Error"][0]["element"] == "IncomeAccountRef"
    not_income = fault_of(
        await wire.post(
            "item", {"Name": "Audit", "Type": "Service", "IncomeAccountRef": {"value": "84"}}
        )
    )
    assert not_income["Error"][0]["code"] == "2500"


async def test_an_item_name_is_unique_whatever_its_case(wire: Wire) -> None:
    body = {"Name": "design", "Type": "Service", "IncomeAccountRef": {"value": "1"}}
    fault = fault_of(await wire.post("item", body))
    assert fault["Error"][0] == {
        "Message": "Duplicate Name Exists Error",
        "Detail": "The name supplied already exists. : Another product or service is already "
        "using this name. Please use a different name.",
        "code": "6240",
        "element": "Name",
    }


async def test_a_category_needs_only_its_name_and_cannot_be_invoiced(wire: Wire) -> None:
    # Intuit's category sample (Item reference, "Create a category").
    category = await wire.post("item", {"Name": "Flowers and Trees", "Type": "Category"})
    assert category.status_code == 200, category.text
    item_id = category.json()["Item"]["Id"]
    line = {"DetailType": "SalesItemLineDetail", "Amount": 10,
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}}}  # fmt: skip
    invoice = await wire.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})
    error = fault_of(invoice)["Error"][0]
    assert (error["code"], error["element"]) == ("2500", "ItemRef")
    assert "set up as a category" in error["Detail"]
