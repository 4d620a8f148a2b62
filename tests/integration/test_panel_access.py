"""The deal panel and every framed surface: who gets a page, who gets 401, who gets a prompt."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from bs4 import BeautifulSoup

from extension.security.iframe_jwt import sign_iframe_token
from extension.security.session import SESSION_HEADER
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    REP_ID,
    ConsentFlow,
    PipedriveFrames,
    install_user,
    session_headers,
)

COMPANY, ADMIN, REP = 5001, 61, 62
SURFACES = ["/panel/deal", "/modals/create-invoice", "/modals/all-invoices", "/settings/"]


def _session_token(html: str) -> str:
    body = BeautifulSoup(html, "html.parser").body
    assert body is not None
    import json

    return str(json.loads(str(body["hx-headers"]))[SESSION_HEADER])


@pytest.mark.parametrize("path", SURFACES)
async def test_installed_user_gets_shell_with_session(
    client: httpx.AsyncClient, frames: PipedriveFrames, db, path: str
) -> None:
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)
    response = await client.get(
        frames.url(
            path, company_id=COMPANY, user_id=ADMIN, selectedIds="7", data='{"deal_id": "7"}'
        )
    )
    assert response.status_code == 200
    assert _session_token(response.text)
    soup = BeautifulSoup(response.text, "html.parser")
    # The SDK and our glue load from our own origin, never a CDN.
    sources = [s["src"] for s in soup.find_all("script")]
    assert sources and all(str(src).startswith("http://127.0.0.1:8000/static/") for src in sources)


@pytest.mark.parametrize("path", SURFACES)
async def test_not_installed_user_gets_prompt_and_no_session(
    client: httpx.AsyncClient, frames: PipedriveFrames, path: str
) -> None:
    response = await client.get(frames.url(path, company_id=COMPANY, user_id=REP))
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert "Authorize" in soup.get_text()
    assert _session_token(response.text) == ""
    assert soup.select("[hx-get]") == []


def _forged_tokens(secret: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"userId": ADMIN, "companyId": COMPANY, "iat": now, "exp": now + 300}
    header, _payload, signature = jwt.encode(claims, secret, algorithm="HS256").split(".")
    other_payload = jwt.utils.base64url_encode(b'{"userId":1,"companyId":5001}').decode()
    none_token = jwt.encode(claims, None, algorithm="none")
    return {
        "wrong secret": jwt.encode(
            claims, "another-secret-of-sufficient-length-123", algorithm="HS256"
        ),
        "expired": jwt.encode(
            {**claims, "iat": now - 900, "exp": now - 600}, secret, algorithm="HS256"
        ),
        "alg none": none_token,
        "HS512": jwt.encode(claims, secret + "x" * 40, algorithm="HS512"),
        "tampered payload": f"{header}.{other_payload}.{signature}",
        "no exp": jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"}, secret, algorithm="HS256"
        ),
        "no iat": jwt.encode(
            {k: v for k, v in claims.items() if k != "iat"}, secret, algorithm="HS256"
        ),
        "other company": jwt.encode(
            {**claims, "companyId": COMPANY + 1}, secret, algorithm="HS256"
        ),
        "other user": jwt.encode({**claims, "userId": REP}, secret, algorithm="HS256"),
        "garbage": "not-a-jwt",
        "empty": "",
    }


@pytest.mark.parametrize("path", SURFACES)
async def test_every_forged_token_is_refused_with_401(
    client: httpx.AsyncClient, frames: PipedriveFrames, db, path: str
) -> None:
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)
    for label, token in _forged_tokens(frames.secret).items():
        response = await client.get(
            frames.url(path, company_id=COMPANY, user_id=ADMIN, token=token)
        )
        assert response.status_code == 401, label
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.select_one("[data-error=unverified]") is not None, label
        assert SESSION_HEADER not in response.text, label


async def test_fragment_requires_session_header(
    client: httpx.AsyncClient, frames: PipedriveFrames
) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    shell = await client.get(
        frames.url("/panel/deal", company_id=COMPANY_ID, user_id=ADMIN_ID, selectedIds="101")
    )
    token = _session_token(shell.text)

    missing = await client.get("/panel/deal/101/content", headers={"HX-Request": "true"})
    assert missing.status_code == 401
    assert "X-Session-Expired" not in missing.headers

    forged = await client.get("/panel/deal/101/content", headers={SESSION_HEADER: token + "x"})
    assert forged.status_code == 401

    ok = await client.get(
        "/panel/deal/101/content",
        headers={SESSION_HEADER: token, "HX-Request": "true", "HX-Target": "panel-content"},
    )
    assert ok.status_code == 200
    fragment = BeautifulSoup(ok.text, "html.parser")
    assert fragment.find("html") is None  # a fragment, not a page
    assert fragment.select_one("[data-sdk-open-modal]") is not None


async def test_a_url_that_answers_page_or_fragment_varies_on_hx_request(
    client: httpx.AsyncClient, services, db
) -> None:
    """A failure answers an htmx call with a fragment and anything else with a page, from the
    same URL: caches must keep the two apart."""
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)  # no tokens
    headers = session_headers(services, company_id=COMPANY, user_id=ADMIN)
    fragment = await client.get(
        "/panel/deal/7/content", headers={**headers, "HX-Target": "panel-content"}
    )
    page = await client.get(
        "/panel/deal/7/content", headers={SESSION_HEADER: headers[SESSION_HEADER]}
    )
    for response in (fragment, page):
        assert response.headers["Vary"] == "HX-Request"
        assert BeautifulSoup(response.text, "html.parser").select_one(
            "[data-error=pipedrive-reauthorize]"
        )
    assert BeautifulSoup(fragment.text, "html.parser").find("html") is None
    assert BeautifulSoup(page.text, "html.parser").find("html") is not None
    # Without the Vary header a shared cache could hand the fragment to a page load.
    monkey_free = await client.get("/panel/deal/7/content", headers={**headers})
    assert monkey_free.headers["Vary"] == "HX-Request"


async def test_expired_session_asks_the_page_to_renew(
    client: httpx.AsyncClient, services, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extension.security.session import AppSession

    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)
    an_hour_ago = time.time() - 3600
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: an_hour_ago)
        stale = services.session_signer.issue(AppSession(company_id=COMPANY, user_id=ADMIN))
    response = await client.get("/panel/deal/7/content", headers={SESSION_HEADER: stale})
    assert response.status_code == 401
    assert response.headers["X-Session-Expired"] == "true"


async def test_session_renewal_with_fresh_pipedrive_token(
    client: httpx.AsyncClient, frames: PipedriveFrames, db
) -> None:
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)
    fresh = sign_iframe_token(frames.secret, company_id=COMPANY, user_id=ADMIN)
    ok = await client.post(
        "/session/renew", json={"token": fresh, "userId": str(ADMIN), "companyId": str(COMPANY)}
    )
    assert ok.status_code == 200
    renewed = ok.json()["session"]
    content = await client.get("/settings/due-example", headers={SESSION_HEADER: renewed})
    assert content.status_code == 200

    mismatched = await client.post(
        "/session/renew", json={"token": fresh, "userId": str(REP), "companyId": str(COMPANY)}
    )
    assert mismatched.status_code == 401
    not_installed = await client.post(
        "/session/renew",
        json={
            "token": sign_iframe_token(frames.secret, company_id=COMPANY, user_id=REP),
            "userId": str(REP),
            "companyId": str(COMPANY),
        },
    )
    assert not_installed.status_code == 401


async def test_panel_shows_a_deal_only_if_pipedrive_shows_it_to_that_user(
    client: httpx.AsyncClient, services
) -> None:
    flow = ConsentFlow(client)
    await flow.install(user_id=ADMIN_ID)
    await flow.install(user_id=REP_ID)

    def fragment(response: httpx.Response, status: int = 200) -> BeautifulSoup:
        # A failure is a fragment htmx swaps, with its real status.
        assert response.status_code == status
        return BeautifulSoup(response.text, "html.parser")

    rep = session_headers(services, company_id=COMPANY_ID, user_id=REP_ID)
    admin = session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID)
    visible = fragment(await client.get("/panel/deal/101/content", headers=rep))
    assert visible.select_one("[data-modal=create-invoice]") is not None
    assert "QuickBooks is not connected" in visible.get_text()

    # Deal 104 is hidden from the rep in Pipedrive: no toolbar, no data, just why.
    hidden = fragment(await client.get("/panel/deal/104/content", headers=rep), 403)
    assert hidden.select_one("[data-error=pipedrive-hidden]") is not None
    assert "not available to you in Pipedrive" in hidden.get_text()
    assert hidden.select_one("[data-sdk-open-modal]") is None
    for path in ("/modals/create-invoice/104/content", "/modals/all-invoices/104/content"):
        shown = fragment(await client.get(path, headers=rep), 403)
        assert shown.select_one("[data-error=pipedrive-hidden]")
    assert fragment(await client.get("/panel/deal/104/content", headers=admin)).select_one(
        "[data-modal=create-invoice]"
    )
    missing = fragment(await client.get("/panel/deal/999999/content", headers=admin), 404)
    assert missing.select_one("[data-error=pipedrive-not-found]") is not None


async def test_user_without_tokens_is_asked_to_authorize_again(
    client: httpx.AsyncClient, services, db
) -> None:
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)  # no tokens stored
    response = await client.get(
        "/panel/deal/7/content",
        headers=session_headers(services, company_id=COMPANY, user_id=ADMIN),
    )
    notice = BeautifulSoup(response.text, "html.parser").select_one(
        "[data-error=pipedrive-reauthorize]"
    )
    assert notice is not None and notice.select_one("a")["href"].endswith("/pipedrive/install")
