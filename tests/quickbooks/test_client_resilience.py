"""Errors, retries, throttling and the in-flight limit, against the stand-in."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import httpx
import pytest
from bs4 import BeautifulSoup

from extension.accounts.quickbooks_connection import client_for_company
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksRateLimited,
    QuickBooksUnavailable,
    error_from_response,
)
from extension.quickbooks.invoice_models import Invoice, InvoiceDraft, InvoiceLineDraft
from extension.quickbooks.limits import RealmLimits
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.services import Services
from extension.upstream_retry import RetryPolicy
from tests.quickbooks.conftest import ADMIN_ID
from tests.support import SleepRecorder, session_headers

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


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_429_rests_the_realm_for_the_rest_of_its_minute_and_says_how_long(
    services: Services, connected: int, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    """Intuit sends no Retry-After: the realm rests until its one-minute window ends (not a
    0.5–2 s retry that is refused again), calls meanwhile never reach Intuit, and the error
    carries the wait the page shows."""
    clock = _Clock()

    async def sleep(seconds: float) -> None:  # time passes while the client waits
        sleeps.calls.append(seconds)
        clock.now += seconds

    services.runtime.retry = RetryPolicy(sleep=sleep)
    qb = await client_for_company(services, connected, limits=RealmLimits(clock=clock))
    await qb.get_preferences()  # opens the realm's window at t=1000
    clock.now += 20
    qbo.requests.clear()
    qbo.config.faults.append(InjectedFault("throttle", times=1))
    with pytest.raises(QuickBooksRateLimited) as caught:
        await qb.list_terms()
    assert caught.value.retry_after == pytest.approx(40.0)  # the window's remaining 40 s
    assert caught.value.intuit_tid.startswith("1-")
    assert len(qbo.requests) == 1 and sleeps.calls == []  # no quick retries into the wall

    clock.now += 25  # still inside the window: refused here, Intuit is not asked
    with pytest.raises(QuickBooksRateLimited) as again:
        await qb.get_preferences()
    assert again.value.retry_after == pytest.approx(15.0)
    assert len(qbo.requests) == 1

    clock.now += 5  # 10 s left: short enough to wait for inside the request
    assert (await qb.get_preferences()).home_currency == "USD"
    assert sleeps.calls == [pytest.approx(10.0)]
    assert len(qbo.requests) == 2


async def test_a_throttled_realm_is_worded_with_the_wait(
    client: httpx.AsyncClient, services: Services, connected: int, qbo: QuickBooksStandIn
) -> None:
    qbo.config.faults.append(InjectedFault("throttle", times=1))
    response = await client.post(
        "/settings/refresh-lists",
        headers=session_headers(services, company_id=connected, user_id=ADMIN_ID),
    )
    notice = BeautifulSoup(response.text, "html.parser").select_one("#settings-form-notice")
    assert notice is not None
    text = notice.get_text()
    assert "QuickBooks limits how many requests" in text
    assert re.search(r"Try again in ([1-9]|[1-5][0-9]|60) seconds\.", text), text


async def test_rate_limit_per_minute_uses_the_movable_clock(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, services: Services, connected: int
) -> None:
    qbo.clock.advance(61)  # the connect flow's calls leave the one-minute window
    qbo.config.rate_limit_per_minute = 2
    clock = _Clock()
    qb = await client_for_company(services, connected, limits=RealmLimits(clock=clock))
    await qb.get_preferences()
    await qb.get_preferences()
    with pytest.raises(QuickBooksRateLimited):
        await qb.get_preferences()
    qbo.clock.advance(61)
    clock.now += 61
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
