"""Security headers on every response, and every manifest URL really served."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx

from extension.manifest import MANIFEST_PATH, load_manifest
from tests.support import BASE_URL, PipedriveFrames, install_user


async def test_security_headers_allow_framing_only_by_pipedrive(
    client: httpx.AsyncClient, frames: PipedriveFrames
) -> None:
    for url in ["/healthz", frames.url("/panel/deal", company_id=1, user_id=2), "/panel/deal"]:
        response = await client.get(url)
        csp = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        # Sandbox mode adds the app's own origin, where the Pipedrive look-alike host lives.
        assert directives["frame-ancestors"] == "https://*.pipedrive.com http://127.0.0.1:8000"
        assert directives["script-src"] == "'self'"
        assert "X-Frame-Options" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_outside_sandbox_only_pipedrive_may_frame(database_url: str) -> None:
    from extension.app import create_app
    from tests.support import make_settings

    settings = make_settings(
        database_url,
        SANDBOX="0",
        PIPEDRIVE_CLIENT_ID="id",
        PIPEDRIVE_CLIENT_SECRET="secret-secret-secret-secret-secret",
        QBO_CLIENT_ID="q",
        QBO_CLIENT_SECRET="q",
        QBO_WEBHOOK_VERIFIER_TOKEN="v",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope, receive, send):  # type: ignore[no-untyped-def]
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            response = await http.get("/healthz")
            assert (
                "frame-ancestors https://*.pipedrive.com;"
                in response.headers["Content-Security-Policy"] + ";"
            )
            assert (await http.get("/sandbox/")).status_code == 404


async def test_manifest_urls_are_served(
    client: httpx.AsyncClient, frames: PipedriveFrames, db
) -> None:
    """Every URL Pipedrive and Intuit are configured with answers as its caller expects."""
    raw = json.loads(MANIFEST_PATH.read_text())
    assert raw["pipedrive"]["panels"][0]["resource"] == "deal"
    manifest = load_manifest()
    await install_user(db, company_id=3, user_id=4, is_admin=True)
    framed = (
        [p.url for p in manifest.panels]
        + [m.url for m in manifest.modals]
        + [manifest.settings_url]
    )
    for path in framed:
        response = await client.get(frames.url(path, company_id=3, user_id=4, selectedIds="1"))
        assert response.status_code == 200, path
        forged = await client.get(frames.url(path, company_id=3, user_id=4, token="forged"))
        assert forged.status_code == 401, path

    # Installation URL: off to Pipedrive's consent page with our client id and callback.
    install = await client.get(manifest.installation_url)
    assert install.status_code == 303
    assert install.headers["location"].startswith(f"{BASE_URL}/sandbox/pipedrive/oauth/authorize?")
    assert (
        f"redirect_uri={quote(BASE_URL + manifest.callback_url, safe='')}"
        in (install.headers["location"])
    )
    # Callback URL: the OAuth redirect (GET), the uninstall notice (DELETE), sharing (POST).
    denied = await client.get(manifest.callback_url, params={"error": "user_denied"})
    assert denied.status_code == 200 and "was not installed" in denied.text
    unsigned = await client.request("DELETE", manifest.callback_url, json={})
    assert unsigned.status_code == 401
    sharing = await client.post(manifest.callback_url, json={"company_id": 3, "isShared": True})
    assert sharing.status_code == 200 and sharing.json()["recorded"] is True
    # QuickBooks redirect URI and webhook endpoint.
    redirect = await client.get(manifest.quickbooks_redirect_url, params={"state": "x"})
    assert redirect.status_code == 400 and "expired" in redirect.text
    webhook = await client.post(manifest.quickbooks_webhook_url, content=b"[]")
    assert webhook.status_code == 401  # unsigned: refused before anything is read
    for path in (manifest.installation_url, manifest.callback_url):
        assert (await client.get(path)).status_code != 404, path


async def test_static_assets_come_from_our_origin(client: httpx.AsyncClient) -> None:
    for path in [
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/sdk/index.umd.js",
        "/static/js/app.js",
        "/static/css/app.css",
    ]:
        response = await client.get(path)
        assert response.status_code == 200, path
    assert (await client.get("/static/vendor/htmx/../../package.json")).status_code == 404


async def test_sandbox_discovery_lists_seeded_ids(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/sandbox/.well-known/sandbox.json")).json()
    assert doc["host"]["company_id"] == 7001001
    assert {u["key"]: u["language"] for u in doc["host"]["users"]} == {
        "admin": "en",
        "rep": "en",
        "fi": "fi",
        "ru": "ru",
    }
    assert "pipedrive" in doc and "quickbooks" in doc
    home = await client.get("/")
    assert home.status_code == 303 and home.headers["location"].endswith("/sandbox/")
