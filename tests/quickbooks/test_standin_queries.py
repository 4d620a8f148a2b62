"""The stand-in's query language answers as QuickBooks does, errors included.

4000/4001 bodies as recorded from QBO ("Invalid query" / "QueryValidationError: …", without an
element); case-insensitive names and values, field lists and typed comparisons as Intuit's
"Query operations and syntax" page describes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from extension.sandbox.quickbooks import QuickBooksStandIn
from tests.quickbooks.conftest import Wire
from tests.quickbooks.test_standin_writes import fault_of


def invalid(detail: str) -> dict[str, Any]:
    error = {
        "Message": "Invalid query",
        "Detail": f"QueryValidationError: {detail}",
        "code": "4001",
    }
    return {"Error": [error], "type": "ValidationFault"}


async def rows(wire: Wire, sql: str, entity: str) -> list[dict[str, Any]]:
    response = await wire.query(sql)
    assert response.status_code == 200, response.text
    return list(response.json()["QueryResponse"].get(entity, []))


async def invoice_of(wire: Wire, amount: int) -> dict[str, Any]:
    line = {"DetailType": "SalesItemLineDetail", "Amount": amount,
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}  # fmt: skip
    response = await wire.post("invoice", {"CustomerRef": {"value": "2"}, "Line": [line]})
    assert response.status_code == 200, response.text
    return dict(response.json()["Invoice"])


async def test_unknown_property_is_4001(wire: Wire) -> None:
    response = await wire.query("select * from Invoice where DocNum = '1001'")
    assert fault_of(response) == invalid("Property DocNum not found for Entity Invoice")
    response = await wire.query("select * from Invoice orderby Amount")
    assert fault_of(response) == invalid("Property Amount not found for Entity Invoice")


async def test_a_property_qbo_does_not_index_is_not_queryable(wire: Wire) -> None:
    response = await wire.query("select * from Invoice where DepartmentRef = '1'")
    assert fault_of(response) == invalid("property 'DepartmentRef' is not queryable")


async def test_unknown_entity_is_4001_and_an_unkept_one_is_empty(wire: Wire) -> None:
    response = await wire.query("select * from Foo")
    assert fault_of(response) == invalid("Metadata not found for Entity: Foo")
    assert (await wire.query("select * from Vendor")).json()["QueryResponse"] == {}


async def test_parse_errors_are_4000(wire: Wire) -> None:
    response = await wire.query("select * form Invoice")
    assert fault_of(response) == {"Error": [{
        "Message": "Error parsing query", "Detail": 'QueryParserError: Was expecting: "from"',
        "code": "4000"}], "type": "ValidationFault"}  # fmt: skip


async def test_names_and_values_are_case_insensitive(wire: Wire) -> None:
    codes = await rows(wire, "select * from taxcode", "TaxCode")
    assert {c["Id"] for c in codes} >= {"TAX", "NON", "2"}
    found = await rows(wire, "SELECT * from cUstomer where displayname = 'cool cars'", "Customer")
    assert [c["Id"] for c in found] == ["2"]
    found = await rows(wire, "select * from Customer where Metadata.LastUpdatedTime > '2000-01-01'", "Customer")  # fmt: skip
    assert len(found) == 3


async def test_field_lists_return_the_named_properties(wire: Wire) -> None:
    found = await rows(wire, "SELECT Id, DisplayName FROM Customer ORDERBY DisplayName", "Customer")
    assert found[0] == {"domain": "QBO", "sparse": True, "Id": "1", "SyncToken": "0",
                        "DisplayName": "Amy's Bird Sanctuary"}  # fmt: skip
    items = await rows(wire, "SELECT *, Sku FROM Item", "Item")
    assert items and all("IncomeAccountRef" in item for item in items)
    response = await wire.query("SELECT Id, BillAddr FROM Customer")
    assert fault_of(response) == invalid("property 'BillAddr' is not queryable")


async def test_timestamps_compare_as_instants(wire: Wire, qbo: QuickBooksStandIn) -> None:
    await invoice_of(wire, 10)
    now = qbo.clock.now()
    pacific = (now + timedelta(minutes=30)).astimezone(ZoneInfo("America/Los_Angeles"))
    later = pacific.isoformat(timespec="seconds")
    sql = "select * from Invoice where MetaData.LastUpdatedTime > '{}'"
    assert await rows(wire, sql.format(later), "Invoice") == []
    earlier = (now - timedelta(minutes=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(await rows(wire, sql.format(earlier), "Invoice")) == 1
    response = await wire.query(sql.format("yesterday"))
    assert fault_of(response) == invalid(
        "value 'yesterday' is not valid for property 'MetaData.LastUpdatedTime'"
    )


async def test_money_orders_as_numbers(wire: Wire) -> None:
    for amount in (50, 1000, 400):
        await invoice_of(wire, amount)
    found = await rows(wire, "select * from Invoice ORDERBY TotalAmt DESC", "Invoice")
    assert [i["TotalAmt"] for i in found] == [1000, 400, 50]
    found = await rows(wire, "select * from Invoice where TotalAmt > '100.0' order by TotalAmt", "Invoice")  # fmt: skip
    assert [i["TotalAmt"] for i in found] == [400, 1000]


async def test_dates_compare_as_dates(wire: Wire, qbo: QuickBooksStandIn) -> None:
    invoice = await invoice_of(wire, 75)
    today = datetime.fromisoformat(invoice["TxnDate"]).date()
    sql = f"select * from Invoice where TxnDate >= '{today.isoformat()}' and DueDate < '{(today + timedelta(days=31)).isoformat()}'"  # fmt: skip
    assert [i["Id"] for i in await rows(wire, sql, "Invoice")] == [invoice["Id"]]
