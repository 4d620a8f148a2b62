"""Intuit's OAuth endpoints, stood in: discovery, consent page, token endpoint, revoke (§1).

Paths follow Intuit's: the discovery documents at ``/.well-known/openid_sandbox_configuration``
and ``/.well-known/openid_configuration`` (the spellings intuit-oauth and Intuit's discovery
page use; the hyphenated one Intuit also serves), the token endpoint at
``/oauth2/v1/tokens/bearer`` and revoke at ``/v2/oauth2/tokens/revoke``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.quickbooks.faults import intuit_tid, json_response
from extension.sandbox.quickbooks.standin import OAuthFailure, QuickBooksStandIn

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["oauth_routes"]


def _oauth_error(failure: OAuthFailure) -> Response:
    body = {"error": failure.error, "error_description": failure.description}
    return json_response(body, status=failure.status)


def oauth_routes(sandbox: Sandbox, stand_in: QuickBooksStandIn) -> list[BaseRoute]:
    registered_redirect = sandbox.settings.app_base_url + sandbox.manifest.quickbooks_redirect_url

    def _consent_problem(query: dict[str, str]) -> str:
        if query.get("client_id") != stand_in.client_id:
            return "Unknown client_id."
        if query.get("redirect_uri") != registered_redirect:
            return "The redirect_uri is not registered for this app."
        if query.get("response_type") != "code":
            return "response_type must be code."
        if "com.intuit.quickbooks.accounting" not in query.get("scope", "").split():
            return "invalid_scope"
        return ""

    async def consent(request: Request) -> Response:
        query = dict(request.query_params)
        problem = _consent_problem(query)
        companies = [
            (realm, company.company_info["CompanyName"], company.country)
            for realm, company in stand_in.companies.items()
        ]
        return sandbox.templates.TemplateResponse(
            request,
            "sandbox/quickbooks_consent.html",
            {"query": query, "problem": problem, "companies": companies},
            status_code=400 if problem else 200,
        )

    async def decide(request: Request) -> Response:
        form = await request.form()
        query = {k: str(v) for k, v in form.items()}
        if _consent_problem(query):
            return Response("Bad request", status_code=400)
        params = {"state": query.get("state", "")}
        if query.get("decision") != "connect":
            params["error"] = "access_denied"
        else:
            realm = query.get("realm_id", "")
            if stand_in.company(realm) is None:
                return Response("Unknown company", status_code=400)
            params.update(code=stand_in.issue_code(realm, query["redirect_uri"]), realmId=realm)
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode(params)}", status_code=302)

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not stand_in.client_authenticated(request.headers.get("authorization", ""), form):
            return _oauth_error(OAuthFailure("invalid_client", "Client authentication failed", 401))
        grant_type = form.get("grant_type", "")
        stand_in.token_requests.append(grant_type)
        try:
            if grant_type == "authorization_code":
                body = stand_in.exchange_code(form.get("code", ""), form.get("redirect_uri", ""))
            elif grant_type == "refresh_token":
                body = stand_in.refresh(form.get("refresh_token", ""))
            else:
                raise OAuthFailure("unsupported_grant_type", grant_type or "missing grant_type")
        except OAuthFailure as failure:
            return _oauth_error(failure)
        wants_hard = request.headers.get("x-include-refresh-token-hard-expires-in") == "true"
        if wants_hard:
            body["x_refresh_token_hard_expires_in"] = 157680000
        return json_response(body)

    async def discovery(request: Request) -> Response:
        base = str(request.url_for("sandbox:quickbooks:consent")).removesuffix("/connect/oauth2")
        # Intuit's document, its endpoints pointed at the stand-in. The stand-in issues no
        # id_token (no openid scope), so userinfo and jwks are named but not served.
        document = {
            "issuer": base + "/op/v1",
            "authorization_endpoint": base + "/connect/oauth2",
            "token_endpoint": base + "/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base + "/v2/oauth2/tokens/revoke",
            "jwks_uri": base + "/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
        return json_response(document)

    async def revoke(request: Request) -> Response:
        if not stand_in.client_authenticated(request.headers.get("authorization", ""), {}):
            return _oauth_error(OAuthFailure("invalid_client", "Client authentication failed", 401))
        try:
            token_value = str(json.loads(await request.body()).get("token", ""))
        except (ValueError, AttributeError):
            token_value = ""
        if not stand_in.revoke(token_value):
            return Response(status_code=400, headers={"intuit_tid": intuit_tid()})
        return Response(status_code=200, headers={"intuit_tid": intuit_tid()})

    discovery_paths = [
        f"/.well-known/{name}{slash}"
        for name in ("openid_sandbox_configuration", "openid_configuration",
                     "openid-sandbox-configuration", "openid-configuration")
        for slash in ("", "/")
    ]  # fmt: skip
    return [
        *(Route(path, discovery, methods=["GET"]) for path in discovery_paths),
        Route("/connect/oauth2", consent, methods=["GET"], name="consent"),
        Route("/connect/oauth2", decide, methods=["POST"], name="consent_decide"),
        Route("/oauth2/v1/tokens/bearer", token, methods=["POST"], name="token"),
        Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"], name="revoke"),
    ]
