"""The stand-in answers with the keys and JSON types of Intuit's sample payloads.

For every entity the product uses, each key Intuit's sample shows (recursively, through objects
and the first element of arrays) exists in the stand-in's answer with the same JSON type. Keys
the samples show but that QBO only sends in some situations are listed in ``OPTIONAL`` with why.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services

DATA = Path(__file__).resolve().parent.parent / "data" / "quickbooks"
OPTIONAL = {"Invoice.ProjectRef"}  # only on invoices tied to a QuickBooks project


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    return type(value).__name__


def missing_or_mistyped(sample: Any, actual: Any, path: str = "") -> list[str]:
    problems: list[str] = []
    if isinstance(sample, dict):
        for key, value in sample.items():
            if key not in actual:
                if f"{path}.{key}" not in OPTIONAL:
                    problems.append(f"{path}.{key} missing")
                continue
            if json_type(value) != json_type(actual[key]):
                problems.append(f"{path}.{key}: {json_type(value)} != {json_type(actual[key])}")
            elif isinstance(value, dict | list):
                problems += missing_or_mistyped(value, actual[key], f"{path}.{key}")
    elif isinstance(sample, list) and sample and actual:
        problems += missing_or_mistyped(sample[0], actual[0], f"{path}[0]")
    return problems


def sample(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text())


@pytest.fixture
async def raw(services: Services, qb: QuickBooksClient, qbo: QuickBooksStandIn) -> Any:
    """GET on the stand-in as any HTTP client would, with the connected company's token."""
    token = qbo.requests[-1].authorization if qbo.requests else ""
    if not token:
        await qb.get_preferences()
        token = qbo.requests[-1].authorization

    async def get(path: str, **params: str) -> Any:
        response = await services.quickbooks_http.get(
            f"{services.settings.qbo_api_url}/v3/company/{US_REALM_ID}/{path}",
            params={"minorversion": "75", **params},
            headers={"Authorization": token, "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    return get


@pytest.mark.parametrize(
    ("sample_name", "path", "entity"),
    [
        ("customer--01-sample-response", "customer/1", "Customer"),
        ("item--01-sample-object", "item/5", "Item"),
        ("account--01-sample-response", "account/84", "Account"),
        ("term--03-response", "term/3", "Term"),
        ("preferences--01-sample-response", "preferences", "Preferences"),
        ("companyinfo--03-sample-response", f"companyinfo/{US_REALM_ID}", "CompanyInfo"),
    ],
)
async def test_reads_match_the_samples(raw: Any, sample_name: str, path: str, entity: str) -> None:
    expected = sample(sample_name)
    actual = await raw(path)
    assert set(expected) <= set(actual)  # the envelope: entity and time
    assert missing_or_mistyped(expected[entity], actual[entity], entity) == []


@pytest.mark.parametrize(
    ("sample_name", "entity"),
    [("taxcode--02-response", "TaxCode"), ("taxrate--02-response", "TaxRate")],
)
async def test_query_responses_match_the_samples(raw: Any, sample_name: str, entity: str) -> None:
    expected = sample(sample_name)["QueryResponse"]
    actual = (await raw("query", query=f"select * from {entity}"))["QueryResponse"]
    assert missing_or_mistyped(expected, actual, "QueryResponse") == []


async def test_created_invoice_and_payment_match_the_samples(
    raw: Any, qb: QuickBooksClient, qbo: QuickBooksStandIn, client: httpx.AsyncClient
) -> None:
    line = InvoiceLineDraft(item_id="1", amount=Decimal("100"))
    invoice = await qb.create_invoice(InvoiceDraft(customer_id="1", lines=(line,)))
    actual = await raw(f"invoice/{invoice.id}")
    expected = sample("invoice--03-sample-response")
    assert missing_or_mistyped(expected["Invoice"], actual["Invoice"], "Invoice") == []
    page = await client.post(
        "/sandbox/quickbooks/payments",
        data={"realm_id": US_REALM_ID, "invoice_id": invoice.id, "amount": "40"},
    )
    assert page.status_code == 303
    paid = await qb.get_invoice(invoice.id)
    assert paid.balance == Decimal("60") and len(paid.linked_payment_ids) == 1
    payment = await raw(f"payment/{paid.linked_payment_ids[0]}")
    expected_payment = sample("payment--04-sample-response")["Payment"]
    assert missing_or_mistyped(expected_payment, payment["Payment"], "Payment") == []
