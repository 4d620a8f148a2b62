"""The Marketplace install: installation URL → Pipedrive consent → callback, and every refusal."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import itsdangerous
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from extension.pipedrive.oauth import api_domain_allowed
from extension.services import Services
from extension.store.models import AuditEvent, Company, Installation
from tests.support import (
    ADMIN_ID,
    API,
    BASIC,
    CALLBACK,
    CLIENT_ID,
    COMPANY_ID,
    REP_ID,
    ConsentFlow,
    form_of,
    pipedrive,
    query_of,
    record,
)

SETTINGS_DEEP_LINK = (
    f"http://127.0.0.1:8000/sandbox/pipedrive/settings/marketplace/app/{CLIENT_ID}/app-settings"
)


async def _installations(db) -> list[Installation]:
    async with db() as session:
        return list(await session.scalars(select(Installation).order_by(Installation.user_id)))


async def _count(db, model) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _outcome(response: httpx.Response) -> str:
    main = BeautifulSoup(response.text, "html.parser").select_one("main[data-install-outcome]")
    assert main is not None, response.text
    return str(main["data-install-outcome"])


async def test_installation_url_redirects_to_authorize_with_signed_state(
    client: httpx.AsyncClient,
) -> None:
    location = await ConsentFlow(client).start()
    assert location.startswith("http://127.0.0.1:8000/sandbox/pipedrive/oauth/authorize?")
    query = query_of(location)
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert len(query["state"]) > 20
    assert "scope" not in query  # scopes are fixed in Developer Hub


async def test_admin_installs_and_lands_on_app_settings_inside_pipedrive(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    sent = record(services)
    response = await ConsentFlow(client).install(user_id=ADMIN_ID)

    assert response.status_code == 303
    assert response.headers["location"] == SETTINGS_DEEP_LINK
    settings_view = await client.get(response.headers["location"])
    assert settings_view.headers["location"] == "http://127.0.0.1:8000/sandbox/settings?user=admin"

    token_request, me_request = sent.requests
    assert token_request.method == "POST"
    assert str(token_request.url) == "http://127.0.0.1:8000/sandbox/pipedrive/oauth/token"
    assert token_request.headers["authorization"] == BASIC
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = form_of(token_request)
    assert form.keys() == {"grant_type", "code", "redirect_uri"}
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == CALLBACK
    # /users/me on the api_domain from the token response, with the new token.
    assert str(me_request.url) == f"{API}/api/v1/users/me"
    access_token = me_request.headers["authorization"].removeprefix("Bearer ")

    async with db() as session:
        company = await session.get(Company, COMPANY_ID)
        assert company is not None
        assert (company.name, company.domain) == ("Northwind Sandbox Ltd", "northwind-sandbox")
    [installation] = await _installations(db)
    assert (installation.company_id, installation.user_id) == (COMPANY_ID, ADMIN_ID)
    assert installation.is_admin is True
    assert (installation.name, installation.email) == ("Ada Admin", "ada.admin@northwind.example")
    assert installation.api_domain == API
    assert installation.needs_reauth is False
    # Encrypted at rest: the stored value is not the token but decrypts to it.
    assert installation.access_token_enc and access_token not in installation.access_token_enc
    assert services.cipher.decrypt(installation.access_token_enc) == access_token
    assert installation.refresh_token_enc
    assert services.cipher.decrypt(installation.refresh_token_enc).startswith("r:")
    assert installation.token_expires_at is not None
    async with db() as session:
        [event] = await session.scalars(select(AuditEvent))
    assert (event.action, event.user_id, event.detail["company_created"]) == (
        "pipedrive.installed",
        ADMIN_ID,
        True,
    )
    # The stand-in now knows the user installed the app.
    assert ADMIN_ID in pipedrive(services).installed


async def test_second_user_joins_the_company(client: httpx.AsyncClient, db) -> None:
    flow = ConsentFlow(client)
    await flow.install(user_id=ADMIN_ID)
    response = await flow.install(user_id=REP_ID)
    assert response.status_code == 303

    assert await _count(db, Company) == 1
    admin, rep = await _installations(db)
    assert (admin.user_id, admin.is_admin) == (ADMIN_ID, True)
    assert (rep.user_id, rep.is_admin, rep.name) == (REP_ID, False, "Rex Rep")
    async with db() as session:
        events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.detail["company_created"] for e in events] == [True, False]


async def test_installing_again_updates_never_duplicates(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    flow = ConsentFlow(client)
    await flow.install(user_id=REP_ID)
    [first] = await _installations(db)
    async with db() as session, session.begin():
        row = await session.get(Installation, first.id)
        assert row is not None
        row.needs_reauth = True

    await flow.install(user_id=REP_ID)
    [again] = await _installations(db)
    assert again.id == first.id
    assert again.needs_reauth is False
    assert services.cipher.decrypt(again.access_token_enc or "") != services.cipher.decrypt(
        first.access_token_enc or ""
    )
    async with db() as session:
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["pipedrive.installed", "pipedrive.reinstalled"]


async def _callback_without_exchange(
    client: httpx.AsyncClient, services: Services, db, query: dict[str, str]
) -> httpx.Response:
    sent = record(services)
    response = await client.get("/pipedrive/callback?" + urlencode(query))
    assert sent.requests == []  # nothing was sent to Pipedrive
    assert await _count(db, Installation) == 0
    assert await _count(db, Company) == 0
    return response


async def test_missing_state_is_refused(client: httpx.AsyncClient, services: Services, db) -> None:
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=ADMIN_ID, decision="allow")
    query = query_of(callback)
    del query["state"]
    response = await _callback_without_exchange(client, services, db, query)
    assert response.status_code == 400
    assert _outcome(response) == "bad_state"
    assert "not valid" in response.text


async def test_forged_state_is_refused(client: httpx.AsyncClient, services: Services, db) -> None:
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=ADMIN_ID, decision="allow")
    query = query_of(callback)
    forged = itsdangerous.URLSafeTimedSerializer(
        "another-key-" * 4, salt="pipedrive-oauth-state.v1"
    )
    for state in (forged.dumps({"n": "x"}), query["state"][:-2] + "AA", "plain-text"):
        response = await _callback_without_exchange(client, services, db, {**query, "state": state})
        assert response.status_code == 400
        assert _outcome(response) == "bad_state"
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.select_one("[data-reason=forged]") is not None


async def test_expired_state_is_refused(
    client: httpx.AsyncClient, services: Services, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=ADMIN_ID, decision="allow")
    eleven_minutes_later = time.time() + 660
    monkeypatch.setattr(time, "time", lambda: eleven_minutes_later)
    response = await _callback_without_exchange(client, services, db, query_of(callback))
    assert response.status_code == 400
    assert "has expired" in response.text


async def test_user_denies_on_the_consent_page(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=ADMIN_ID, decision="deny")
    query = query_of(callback)
    assert query["error"] == "user_denied" and "code" not in query and query["state"]
    response = await _callback_without_exchange(client, services, db, query)
    assert response.status_code == 200
    assert _outcome(response) == "denied"
    assert "not installed" in response.text


async def test_reused_code_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=ADMIN_ID, decision="allow")
    assert (await client.get(callback)).status_code == 303
    [before] = await _installations(db)

    replay = await client.get(callback)
    assert replay.status_code == 400
    assert _outcome(replay) == "code_refused"
    [after] = await _installations(db)
    assert after.access_token_enc == before.access_token_enc


async def test_code_older_than_five_minutes_is_refused(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    stand_in = pipedrive(services)
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=ADMIN_ID, decision="allow")
    issued = time.time()
    stand_in.clock = lambda: issued + 301
    response = await client.get(callback)
    assert response.status_code == 400
    assert _outcome(response) == "code_refused"
    assert await _count(db, Installation) == 0


async def test_wrong_client_secret_installs_nothing(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    # Pipedrive knows another secret than the one we are configured with.
    pipedrive(services).client_secret = "rotated-in-developer-hub-0123456789"
    response = await ConsentFlow(client).install()
    assert response.status_code == 400
    assert _outcome(response) == "code_refused"
    assert await _count(db, Installation) == 0
    assert await _count(db, Company) == 0


@pytest.mark.parametrize(
    "api_domain",
    [
        "https://evil.example.com",
        "https://pipedrive.com.evil.example",
        "http://northwind.pipedrive.com",  # Pipedrive's, but not over https
        "http://127.0.0.1:9999",  # another local port than the OAuth server's
    ],
)
async def test_an_api_domain_we_would_not_send_tokens_to_is_refused(
    api_domain: str, client: httpx.AsyncClient, services: Services, db
) -> None:
    pipedrive(services).api_domain = api_domain
    response = await ConsentFlow(client).install(user_id=ADMIN_ID)
    assert response.status_code == 502
    assert "could not be reached" in response.text
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Installation)) == 0


def test_where_an_api_domain_may_live() -> None:
    pipedrive_oauth = "https://oauth.pipedrive.com"
    assert api_domain_allowed("https://northwind.pipedrive.com", pipedrive_oauth)
    assert not api_domain_allowed("https://northwind.pipedrive.com.evil.io", pipedrive_oauth)
    assert not api_domain_allowed("https://test-server.example.com", pipedrive_oauth)
    outside = "https://pd-compatible.example.com/oauth-root"  # PIPEDRIVE_OAUTH_URL elsewhere
    assert api_domain_allowed("https://pd-compatible.example.com/api/company/x", outside)
    assert api_domain_allowed("https://acme.pipedrive.com", outside)
    assert not api_domain_allowed("https://other.example.com", outside)
    assert not api_domain_allowed("http://pd-compatible.example.com", outside)
