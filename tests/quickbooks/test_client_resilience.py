"""Errors, retries, throttling and the in-flight limit, against the stand-in."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksRateLimited,
    QuickBooksUnavailable,
    error_from_response,
)
from extension.quickbooks.invoice_models import Invoice, InvoiceDraft, InvoiceLineDraft
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from tests.support import SleepRecorder

DRAFT = InvoiceDraft(customer_id="2", lines=(InvoiceLineDraft(item_id="2", amount=Decimal("75")),))


async def test_timeout_after_commit_then_retry_makes_exactly_one_invoice(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    qbo.config.faults.append(
        InjectedFault("timeout_after_commit", method="POST", path_contains="invoice")
    )
    invoice = await qb.create_invoice(DRAFT)
    posts = [r for r in qbo.requests if r.method == "POST"]
    assert len(posts) == 2 and posts[0].query["requestid"] == posts[1].query["requestid"]
    assert len(sleeps.calls) == 1
    assert list(qbo.companies[US_REALM_ID].table("Invoice")) == [invoice.id]


async def test_5xx_and_plain_timeouts_are_retried_with_backoff(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    qbo.config.faults += [InjectedFault("503"), InjectedFault("timeout")]
    info = await qb.get_company_info()
    assert info.company_name
    assert len(qbo.requests) == 3 and len(sleeps.calls) == 2
    assert 0.5 <= sleeps.calls[0] <= 1.0 and 1.0 <= sleeps.calls[1] <= 2.0  # doubling, jittered


async def test_three_failures_give_unavailable(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    qbo.config.faults.append(InjectedFault("500", times=3))
    with pytest.raises(QuickBooksUnavailable) as caught:
        await qb.get_preferences()
    assert caught.value.status == 500 and len(qbo.requests) == 3 and len(sleeps.calls) == 2


async def test_throttling_xml_429_is_parsed_and_retried(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    qbo.config.faults.append(InjectedFault("throttle", times=3))
    with pytest.raises(QuickBooksRateLimited) as caught:
        await qb.list_terms()
    assert caught.value.retry_after == 60.0 and caught.value.intuit_tid.startswith("1-")
    assert len(qbo.requests) == 3 and len(sleeps.calls) == 2


async def test_rate_limit_per_minute_uses_the_movable_clock(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    qbo.clock.advance(61)  # the connect flow's calls leave the one-minute window
    qbo.config.rate_limit_per_minute = 2
    await qb.get_preferences()
    await qb.get_preferences()
    with pytest.raises(QuickBooksRateLimited):
        await qb.get_preferences()
    qbo.clock.advance(61)
    assert (await qb.get_preferences()).home_currency == "USD"


async def test_at_most_ten_requests_in_flight_per_realm(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    qbo.config.hold = asyncio.Event()
    calls = [asyncio.create_task(qb.read(Invoice, "1")) for _ in range(25)]
    while qbo.in_flight < 10:
        await asyncio.sleep(0)
    for _ in range(50):
        await asyncio.sleep(0)
    assert qbo.in_flight == 10
    qbo.config.hold.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert qbo.max_in_flight_seen == 10
    assert all(type(r).__name__ == "QuickBooksNotFound" for r in results)


def test_every_error_shape_is_parsed() -> None:
    fault = b'{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"x","code":"5010","element":""}],"type":"ValidationFault"},"time":"t"}'
    stale = error_from_response(400, {}, fault)
    assert stale is not None and stale.is_stale_object  # type: ignore[attr-defined]
    gateway = b'{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: AB0173SECRET","code":"3200","element":null}],"type":"AUTHENTICATION"},"time":1730024394085}'
    auth = error_from_response(401, {}, gateway, intuit_tid="1-abc")
    assert (
        isinstance(auth, QuickBooksAuthError)
        and "SECRET" not in str(auth)
        and "AB0173" not in repr(auth.__dict__)
    )
    empty = error_from_response(502, {}, b"")
    assert isinstance(empty, QuickBooksUnavailable)
    limited = error_from_response(
        429,
        {"retry-after": "7"},
        b'<IntuitResponse><Fault type="SERVICE"><Error code="003001"><Message>m</Message></Error></Fault></IntuitResponse>',
    )
    assert isinstance(limited, QuickBooksRateLimited) and limited.retry_after == 7.0
    ok_with_fault = error_from_response(200, {}, fault)
    assert ok_with_fault is not None  # faults sometimes arrive with HTTP 200
    assert error_from_response(200, {}, b'{"Invoice":{}}') is None
