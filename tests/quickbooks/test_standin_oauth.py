"""Intuit's OAuth URLs on the stand-in: the discovery documents and revoke under /v2."""

from __future__ import annotations

import base64

import httpx
import pytest

from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.services import Services

STANDIN = "/sandbox/quickbooks"


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid_sandbox_configuration/",  # intuit-oauth's spelling
        "/.well-known/openid_configuration",  # Intuit's discovery page
        "/.well-known/openid-sandbox-configuration",
    ],
)
async def test_discovery_document_names_the_stand_in_endpoints(
    client: httpx.AsyncClient, services: Services, path: str
) -> None:
    response = await client.get(STANDIN + path)
    assert response.status_code == 200
    document = response.json()
    base = services.settings.sandbox_base_url + "/quickbooks"
    assert document["authorization_endpoint"] == base + "/connect/oauth2"
    assert document["token_endpoint"] == base + "/oauth2/v1/tokens/bearer"
    assert document["revocation_endpoint"] == base + "/v2/oauth2/tokens/revoke"
    assert document["token_endpoint_auth_methods_supported"] == [
        "client_secret_post",
        "client_secret_basic",
    ]
    assert {"issuer", "jwks_uri", "userinfo_endpoint", "scopes_supported"} <= set(document)


async def test_revoke_lives_where_intuit_has_it(
    client: httpx.AsyncClient, services: Services, qbo: QuickBooksStandIn, connected: int
) -> None:
    assert services.settings.qbo_revoke_url.endswith("/v2/oauth2/tokens/revoke")
    secret = f"{services.settings.qbo_client_id}:{services.settings.qbo_client_secret}"
    headers = {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    old = await client.post(
        STANDIN + "/oauth2/v1/tokens/revoke", json={"token": "x"}, headers=headers
    )
    assert old.status_code == 404
    unknown = await client.post(
        STANDIN + "/v2/oauth2/tokens/revoke", json={"token": "not-a-token"}, headers=headers
    )
    assert unknown.status_code == 400
