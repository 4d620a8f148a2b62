"""The stand-in itself, checked against Pipedrive's documents: every response the client uses
validates against the OpenAPI schema copied into tests/data/pipedrive/, and the OAuth server
refuses what Pipedrive documents it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from extension.sandbox.pipedrive import data
from extension.services import Services
from tests.support import (
    ADMIN_ID,
    API,
    BASIC,
    CALLBACK,
    CLIENT_ID,
    REP_ID,
    ConsentFlow,
    pipedrive,
    query_of,
)

SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "pipedrive"
TOKEN_URL = "/sandbox/pipedrive/oauth/token"


def _validate(schema_name: str, body: Any) -> None:
    schema = json.loads((SCHEMAS / f"{schema_name}.json").read_text())
    jsonschema.validate(body, schema)


async def _token(client: httpx.AsyncClient, user_id: int) -> tuple[str, str]:
    flow = ConsentFlow(client)
    callback = await flow.consent(await flow.start(), user_id=user_id, decision="allow")
    code = query_of(callback)["code"]
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        headers={"Authorization": BASIC},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["api_domain"] == API
    return body["access_token"], body["refresh_token"]


DEAL_IDS = sorted(data.DEALS_V2)
CASES = [
    ("v2_deal", "/api/v2/deals/{}", DEAL_IDS),
    ("v2_deal_products", "/api/v2/deals/{}/products", DEAL_IDS),
    ("v2_person", "/api/v2/persons/{}", sorted(data.PERSONS)),
    ("v2_organization", "/api/v2/organizations/{}", sorted(data.ORGANIZATIONS)),
    ("v2_product", "/api/v2/products/{}", sorted(data.PRODUCTS)),
    ("v1_users_me", "/api/v1/users/me", [None]),
    ("v1_users_me", "/v1/users/me", [None]),
    ("v1_deal_fields", "/api/v1/dealFields", [None]),
    ("v1_person_fields", "/api/v1/personFields", [None]),
    ("v1_organization_fields", "/api/v1/organizationFields", [None]),
    ("v1_currencies", "/api/v1/currencies", [None]),
]


@pytest.mark.parametrize(("schema", "path", "ids"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
async def test_every_response_the_client_uses_matches_pipedrives_schema(
    client: httpx.AsyncClient, schema: str, path: str, ids: list[int | None]
) -> None:
    access, _ = await _token(client, ADMIN_ID)
    assert len(ids) >= 1
    for item_id in ids:
        url = API + (path.format(item_id) if item_id is not None else path)
        response = await client.get(url, headers={"Authorization": f"Bearer {access}"})
        assert response.status_code == 200, url
        assert response.headers["x-ratelimit-limit"] and response.headers["x-ratelimit-remaining"]
        body = response.json()
        assert body["success"] is True and body["data"] is not None
        _validate(schema, body)


async def test_paged_deal_products_match_the_schema(client: httpx.AsyncClient) -> None:
    access, _ = await _token(client, ADMIN_ID)
    headers = {"Authorization": f"Bearer {access}"}
    first = (await client.get(f"{API}/api/v2/deals/101/products?limit=2", headers=headers)).json()
    _validate("v2_deal_products", first)
    cursor = first["additional_data"]["next_cursor"]
    last = await client.get(
        f"{API}/api/v2/deals/101/products", params={"limit": "2", "cursor": cursor}, headers=headers
    )
    _validate("v2_deal_products", last.json())
    assert last.json()["additional_data"]["next_cursor"] is None


async def test_users_me_says_who_and_which_company(client: httpx.AsyncClient) -> None:
    access, _ = await _token(client, REP_ID)
    me = (
        await client.get(f"{API}/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    ).json()
    assert (me["data"]["id"], me["data"]["company_domain"]) == (REP_ID, "northwind-sandbox")
    assert all(a["admin"] is False for a in me["data"]["access"])


async def test_without_a_valid_token_the_api_answers_401_as_documented(
    client: httpx.AsyncClient,
) -> None:
    for headers in ({}, {"Authorization": "Bearer v1u:forged"}):
        response = await client.get(f"{API}/api/v1/users/me", headers=headers)
        assert response.status_code == 401
        _validate("v1_users_me_401", response.json())


async def test_each_request_is_logged_with_its_published_token_cost(
    client: httpx.AsyncClient, services: Services
) -> None:
    """reference/pipedrive.md §3.3: deal 1, deal products 10, person 1, users/me 2, fields 20;
    a refused request (401, 403) is logged too, a 401 costing nothing."""
    access, _ = await _token(client, REP_ID)
    log = pipedrive(services).requests
    log.clear()
    headers = {"Authorization": f"Bearer {access}"}
    for path in (
        "/api/v2/deals/101",
        "/api/v2/deals/101/products",
        "/api/v2/persons/301",
        "/v1/users/me",
        "/api/v1/dealFields",
        "/api/v2/deals/104",
    ):
        await client.get(API + path, headers=headers)
    await client.get(f"{API}/api/v2/deals/101", headers={"Authorization": "Bearer v1u:forged"})
    prefix = "/sandbox/pipedrive/company/northwind-sandbox"
    assert [(r.method, r.path.removeprefix(prefix), r.token_cost, r.status) for r in log] == [
        ("GET", "/api/v2/deals/101", 1, 200),
        ("GET", "/api/v2/deals/101/products", 10, 200),
        ("GET", "/api/v2/persons/301", 1, 200),
        ("GET", "/v1/users/me", 2, 200),
        ("GET", "/api/v1/dealFields", 20, 200),
        ("GET", "/api/v2/deals/104", 1, 403),
        ("GET", "/api/v2/deals/101", 0, 401),
    ]


async def test_hidden_deal_is_403_for_the_rep(client: httpx.AsyncClient) -> None:
    access, _ = await _token(client, REP_ID)
    response = await client.get(
        f"{API}/api/v2/deals/104", headers={"Authorization": f"Bearer {access}"}
    )
    assert response.status_code == 403
    assert response.json()["success"] is False and response.json()["data"] is None


async def test_token_endpoint_refusals(client: httpx.AsyncClient, services: Services) -> None:
    access, refresh = await _token(client, ADMIN_ID)

    async def token(data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        return await client.post(
            TOKEN_URL, data=data, headers={"Authorization": BASIC} if headers is None else headers
        )

    no_credentials = await token({"grant_type": "refresh_token", "refresh_token": refresh}, {})
    assert (no_credentials.status_code, no_credentials.json()["error"]) == (400, "invalid_client")
    json_body = await client.post(
        TOKEN_URL,
        json={"grant_type": "refresh_token", "refresh_token": refresh},
        headers={"Authorization": BASIC},
    )
    assert json_body.status_code == 400
    unsupported = await token({"grant_type": "password"})
    assert unsupported.json()["error"] == "unsupported_grant_type"
    bad_refresh = await token({"grant_type": "refresh_token", "refresh_token": "r:nope"})
    assert bad_refresh.json()["message"] == "Invalid grant: refresh_token is invalid"

    refreshed = await token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] == refresh  # documented: the same refresh token
    assert refreshed.json()["access_token"] != access

    # Revoking the refresh token uninstalls: every token of the user dies.
    revoke = await client.post(
        "/sandbox/pipedrive/oauth/revoke",
        data={"token": refresh, "token_type_hint": "refresh_token"},
        headers={"Authorization": BASIC},
    )
    assert revoke.status_code == 200
    again = await token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert again.json()["error"] == "invalid_grant"
    assert ADMIN_ID not in pipedrive(services).installed


async def test_authorize_refuses_an_unregistered_redirect(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/sandbox/pipedrive/oauth/authorize",
        params={"client_id": CLIENT_ID, "redirect_uri": "https://evil.example/cb", "state": "x"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid redirect URL"}


async def test_discovery_lists_the_stand_in(client: httpx.AsyncClient) -> None:
    document = (await client.get("/sandbox/.well-known/sandbox.json")).json()["pipedrive"]
    assert document["oauth"]["token_url"] == "http://127.0.0.1:8000" + TOKEN_URL
    assert document["api_v2_base"] == API + "/api/v2"
    assert len(document["custom_fields"]["organization_vat_number"]) == 40
    config = await client.post("/sandbox/pipedrive/config", json={"latency": 0.2, "burst_limit": 5})
    assert config.json()["burst_limit"] == 5
    document = (await client.get("/sandbox/.well-known/sandbox.json")).json()["pipedrive"]
    assert (document["latency_seconds"], document["rate_limits"]["burst_limit"]) == (0.2, 5)
