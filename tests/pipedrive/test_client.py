"""The typed client against the stand-in: models, pagination, fields, visibility, 429, errors."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest

from extension.accounts.pipedrive_access import client_for_user
from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import (
    PipedriveBlocked,
    PipedriveForbidden,
    PipedriveNotFound,
    PipedriveRateLimited,
    PipedriveScopeMissing,
    PipedriveUnavailable,
)
from extension.sandbox.pipedrive.data import PO_NUMBER_KEY, VAT_NUMBER_KEY
from extension.services import Services
from extension.upstream_retry import RetryPolicy
from tests.support import ADMIN_ID, COMPANY_ID, REP_ID, ConsentFlow, pipedrive, record


class FakeClock:
    """Stand-in time that moves only when the client 'sleeps'."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def admin(client: httpx.AsyncClient, services: Services) -> PipedriveClient:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    return await client_for_user(services, COMPANY_ID, ADMIN_ID)


@pytest.fixture
async def rep(client: httpx.AsyncClient, services: Services) -> PipedriveClient:
    await ConsentFlow(client).install(user_id=REP_ID)
    return await client_for_user(services, COMPANY_ID, REP_ID)


async def test_deal_with_products_person_org_and_fields(admin: PipedriveClient) -> None:
    context = await admin.deal_context(101)
    assert (context.deal.title, context.deal.currency) == ("Website redesign", "USD")
    assert context.deal.custom_fields[PO_NUMBER_KEY] == "PO-2025-0042"
    assert context.deal_fields.by_key(PO_NUMBER_KEY) is not None

    lines = {line.id: line for line in context.products}
    assert set(lines) == {501, 502, 505}
    design = lines[501]
    assert (design.item_price, design.quantity) == (Decimal("10000"), Decimal("1"))
    assert (design.discount, design.discount_type) == (Decimal("10"), "percentage")
    assert (design.tax, design.tax_method) == (Decimal("8"), "exclusive")
    assert (lines[505].discount, lines[505].discount_type) == (Decimal("30"), "amount")

    assert context.person is not None
    assert context.person.primary_email == "alice@acme.example"
    assert len(context.person.emails) == 3
    assert context.organization is not None
    assert context.organization.address is not None
    assert context.organization.address.postal_code == "62701"
    vat = context.organization_fields.by_name("VAT number")
    assert vat is not None and vat.is_custom and len(vat.key) == 40
    assert context.organization.custom_fields[vat.key] == "US-98-7654321"


async def test_second_currency_and_inclusive_tax(admin: PipedriveClient) -> None:
    deal = await admin.deal(102)
    assert (deal.currency, deal.value) == ("EUR", Decimal("4800"))
    [line] = await admin.deal_products(102)
    assert (line.currency, line.tax_method, line.discount_type) == ("EUR", "inclusive", "amount")
    assert await admin.deal_products(103) == []


async def test_deal_products_follow_the_cursor_to_the_end(
    admin: PipedriveClient, services: Services
) -> None:
    admin._page_size = 2
    sent = record(services)
    lines = await admin.deal_products(101)
    assert [line.id for line in lines] == [501, 502, 505]
    first, second = sent.requests
    assert first.url.params.get("limit") == "2" and "cursor" not in first.url.params
    assert second.url.params.get("cursor")


async def test_field_definitions_are_cached_per_company_and_refreshable(
    admin: PipedriveClient, services: Services
) -> None:
    sent = record(services)
    first = await admin.fields("organization")
    again = await admin.fields("organization")
    assert first == again
    assert len(sent.to("/organizationFields")) == 1
    # Another client of the same company (another request) uses the same cache.
    other = await client_for_user(services, COMPANY_ID, ADMIN_ID)
    await other.fields("organization")
    assert len(sent.to("/organizationFields")) == 1
    await admin.fields("organization", refresh=True)
    assert len(sent.to("/organizationFields")) == 2
    assert first.by_key(VAT_NUMBER_KEY) is not None


async def test_product_and_currencies(admin: PipedriveClient) -> None:
    product = await admin.product(401)
    assert (product.code, product.tax) == ("WEB-DESIGN", Decimal("8"))
    assert {p.currency: p.price for p in product.prices}["EUR"] == Decimal("9200")
    codes = [c.code for c in await admin.currencies()]
    assert {"USD", "EUR"} <= set(codes)
    me = await admin.me()
    assert (me.id, me.company_id, me.is_admin) == (ADMIN_ID, COMPANY_ID, True)


async def test_a_deal_the_rep_may_not_see_is_not_shown(
    rep: PipedriveClient, admin: PipedriveClient
) -> None:
    with pytest.raises(PipedriveForbidden):
        await rep.deal(104)
    with pytest.raises(PipedriveForbidden):
        await rep.deal_products(104)
    with pytest.raises(PipedriveForbidden):
        await rep.deal_context(104)
    assert (await admin.deal(104)).title == "Confidential acquisition"
    assert (await rep.deal(102)).id == 102
    with pytest.raises(PipedriveNotFound):
        await rep.deal(999)


async def test_burst_429_is_waited_out_with_retry_after(
    admin: PipedriveClient, services: Services
) -> None:
    stand_in = pipedrive(services)
    clock = FakeClock()
    stand_in.clock = clock
    stand_in.limiter.reset()  # forget the install's own /users/me call
    stand_in.limiter.burst_limit = 1
    admin._retry = RetryPolicy(sleep=clock.sleep)
    sent = record(services)
    assert (await admin.deal(101)).id == 101
    assert (await admin.deal(102)).id == 102
    statuses = [r.url.path.rsplit("/", 1)[-1] for r in sent.requests]
    assert statuses == ["101", "102", "102"]
    assert clock.slept == [2.0]  # Retry-After from Pipedrive's 429


async def test_spent_daily_budget_raises_rate_limited_without_waiting(
    admin: PipedriveClient, services: Services
) -> None:
    stand_in = pipedrive(services)
    clock = FakeClock()
    stand_in.clock = clock
    stand_in.limiter.reset()
    stand_in.limiter.daily_budget = 10
    admin._retry = RetryPolicy(sleep=clock.sleep)
    await admin.deal_products(101)  # 10 tokens
    with pytest.raises(PipedriveRateLimited) as raised:
        await admin.deal(101)
    assert raised.value.retry_after is not None and raised.value.retry_after > 60
    assert clock.slept == []


async def test_injected_latency_is_awaited(admin: PipedriveClient, services: Services) -> None:
    stand_in = pipedrive(services)
    clock = FakeClock()
    stand_in.sleep = clock.sleep
    stand_in.latency = 1.5
    await admin.deal(101)
    assert clock.slept == [1.5]


# ---- failures Pipedrive documents but the stand-in has no reason to produce ---------------


class _Tokens:
    async def access_token(self) -> str:
        return "token"

    async def after_unauthorized(self, rejected: str) -> str:
        raise AssertionError("no 401 here")

    async def mark_needs_reauth(self) -> None:
        return None


def _client(
    *statuses: int, body: dict[str, object] | None | str = "default"
) -> tuple[PipedriveClient, list[float]]:
    answers = list(statuses)
    slept: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        if status == 200:
            return httpx.Response(200, json={"success": True, "data": {"id": 7, "title": "T"}})
        if body is None:
            return httpx.Response(status, text="<html>Access denied</html>")
        if body == "default":
            return httpx.Response(status, json={"success": False, "error": "nope"})
        return httpx.Response(status, json=body)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = PipedriveClient(
        http,
        api_domain="https://x.pipedrive.com",
        tokens=_Tokens(),
        company_id=1,
        retry=RetryPolicy(sleep=sleep),
    )
    return client, slept


async def test_5xx_backs_off_then_succeeds_or_gives_up() -> None:
    client, slept = _client(502, 503, 200)
    assert (await client.deal(7)).id == 7
    assert len(slept) == 2  # the shared policy: doubling, with jitter
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0
    client, slept = _client(500, 500, 500)
    with pytest.raises(PipedriveUnavailable):
        await client.deal(7)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (403, {"success": False, "error": "You do not have permission"}, PipedriveForbidden),
        (403, {"success": False, "error": "Scope and URL mismatch"}, PipedriveScopeMissing),
        (403, None, PipedriveBlocked),  # a proxy's HTML page, not Pipedrive's JSON
        (404, {"success": False, "error": "Deal not found"}, PipedriveNotFound),
        (410, {"success": False, "error": "Gone"}, PipedriveNotFound),
    ],
)
async def test_status_maps_to_error(
    status: int, body: dict[str, object] | None, error: type[Exception]
) -> None:
    client, slept = _client(status, body=body)
    with pytest.raises(error) as raised:
        await client.deal(7)
    assert type(raised.value) is error
    assert slept == []  # never retried
