"""Only ``invalid_grant`` ends a user's Pipedrive grant.

A 429, a 5xx, a timeout, a 403 from a proxy or ``invalid_request`` on refresh keep the stored
tokens and ask to try again; ``invalid_client`` (our own credentials) keeps them too and is
logged as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from extension.services import Services
from extension.store.models import Installation
from tests.support import ADMIN_ID, COMPANY_ID, ConsentFlow, session_headers

Answer = Callable[[httpx.Request], httpx.Response]


class _TokenEndpoint(httpx.AsyncBaseTransport):
    """Answers Pipedrive's /oauth/token itself; everything else goes to the stand-in."""

    def __init__(self, inner: httpx.AsyncBaseTransport, answer: Answer) -> None:
        self.inner = inner
        self.answer = answer
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            self.calls += 1
            return self.answer(request)
        return await self.inner.handle_async_request(request)


def _json(status: int, body: dict[str, str]) -> Answer:
    return lambda request: httpx.Response(status, json=body)


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


KEPT = {
    "rate limited": (_json(429, {"error": "Request over limit"}), "pipedrive-rate-limited"),
    "server error": (_json(503, {"error": "unavailable"}), "pipedrive-unavailable"),
    "timeout": (_timeout, "pipedrive-timeout"),
    "proxy 403": (
        lambda request: httpx.Response(403, text="<html>Access denied</html>"),
        "pipedrive-unavailable",
    ),
    "invalid_request": (
        _json(400, {"error": "invalid_request", "message": "x"}),
        "pipedrive-unavailable",
    ),
    "invalid_client": (
        _json(401, {"error": "invalid_client", "message": "bad secret"}),
        "pipedrive-app-credentials",
    ),
}


async def _expire(db) -> Installation:  # type: ignore[no-untyped-def]
    async with db() as session, session.begin():
        row = await session.scalar(select(Installation).where(Installation.user_id == ADMIN_ID))
        assert row is not None
        row.token_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    return row


@pytest.mark.parametrize("case", list(KEPT))
async def test_a_failed_refresh_that_is_not_invalid_grant_keeps_the_tokens(
    case: str,
    client: httpx.AsyncClient,
    services: Services,
    db,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    before = await _expire(db)
    answer, code = KEPT[case]
    endpoint = _TokenEndpoint(services.pipedrive_http._transport, answer)
    services.pipedrive_http._transport = endpoint
    caplog.set_level(logging.WARNING)

    response = await client.get(
        "/panel/deal/101/content",
        headers={
            **session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID),
            "HX-Target": "panel-content",
        },
    )
    assert endpoint.calls >= 1
    shown = BeautifulSoup(response.text, "html.parser").select_one("[data-error]")
    assert shown is not None and shown["data-error"] == code
    assert "authorize" not in shown.get_text().lower()

    async with db() as session:
        after = await session.scalar(select(Installation).where(Installation.user_id == ADMIN_ID))
    assert after is not None and after.needs_reauth is False
    assert after.refresh_token_enc == before.refresh_token_enc
    assert after.access_token_enc == before.access_token_enc
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    if case == "invalid_client":
        assert any("invalid_client" in r.getMessage() for r in errors)
    else:
        assert errors == []


async def test_invalid_grant_ends_the_grant(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    await _expire(db)
    services.pipedrive_http._transport = _TokenEndpoint(
        services.pipedrive_http._transport,
        _json(400, {"error": "invalid_grant", "message": "Invalid grant"}),
    )
    response = await client.get(
        "/panel/deal/101/content",
        headers=session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID),
    )
    assert BeautifulSoup(response.text, "html.parser").select_one(
        "[data-error=pipedrive-reauthorize]"
    )
    async with db() as session:
        row = await session.scalar(select(Installation).where(Installation.user_id == ADMIN_ID))
    assert row is not None and row.needs_reauth and row.refresh_token_enc is None
