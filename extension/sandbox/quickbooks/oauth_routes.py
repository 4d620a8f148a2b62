"""Intuit's OAuth endpoints, stood in: consent page, token endpoint, revoke (reference §1)."""

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

    return [
        Route("/connect/oauth2", consent, methods=["GET"], name="consent"),
        Route("/connect/oauth2", decide, methods=["POST"], name="consent_decide"),
        Route("/oauth2/v1/tokens/bearer", token, methods=["POST"], name="token"),
        Route("/oauth2/v1/tokens/revoke", revoke, methods=["POST"], name="revoke"),
    ]
