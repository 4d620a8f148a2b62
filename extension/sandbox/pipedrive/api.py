"""The stand-in's REST API under the company's ``api_domain`` (reference/pipedrive.md §3).

API v2 (``/api/v2/...``) for deals, deal products (cursor pagination), persons, organizations
and products; v1 (``/api/v1/...`` and ``/v1/...``, both documented) for ``users/me``, the
field definitions and currencies, which have no v2 endpoint in Pipedrive's OpenAPI description.
Every request needs ``Authorization: Bearer <access token>``, costs its ``x-token-cost`` from
the daily budget, counts towards the burst limit, and waits the configured latency.

Visibility: an item the user may not see answers 403, as Pipedrive documents for deals
("will return HTTP 403 if the deal is not visible"); an unknown id answers 404.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from extension.sandbox.pipedrive import data
from extension.sandbox.pipedrive.state import ApiRequest, PipedriveStandIn
from extension.sandbox.seed import COMPANY_DOMAIN, COMPANY_ID, COMPANY_NAME

__all__ = ["routes"]

Handler = Callable[[Request, int], Awaitable[Response]]


def _error(status: int, error: str, info: str = "") -> JSONResponse:
    body: dict[str, Any] = {"success": False, "error": error, "error_info": info}
    body.update({"data": None, "additional_data": None})
    return JSONResponse(body, status_code=status)


def _ok(payload: Any, additional: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "data": payload}
    if additional is not None:
        body["additional_data"] = additional
    return JSONResponse(body)


def _offset(zone: str) -> str:
    """``timezone_offset`` as Pipedrive writes it (``+03:00``), for the zone now."""
    raw = datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%z")
    return f"{raw[:3]}:{raw[3:]}"


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_cursor(raw: str) -> int | None:
    try:
        offset = json.loads(base64.urlsafe_b64decode(raw.encode()))["offset"]
    except (ValueError, KeyError, TypeError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


def routes(state: PipedriveStandIn) -> list[BaseRoute]:
    def guarded(cost: int, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            await state.delay()
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            user_id = state.authenticate(token) if scheme.lower() == "bearer" else None
            if user_id is None:
                state.requests.append(ApiRequest(request.method, request.url.path, 0, 401))
                return JSONResponse(
                    {"success": False, "error": "unauthorized access", "errorCode": 401},
                    status_code=401,
                )
            decision = state.limiter.check(
                company_id=COMPANY_ID, token=token, cost=cost, now=state.clock()
            )
            if not decision.allowed:
                response: Response = _error(429, "Request over limit")
            else:
                response = await handler(request, user_id)
            response.headers.update(decision.headers)
            spent = cost if decision.allowed else 0
            state.requests.append(
                ApiRequest(request.method, request.url.path, spent, response.status_code)
            )
            return response

        return endpoint

    def _entity(table: dict[int, dict[str, Any]], name: str) -> Handler:
        async def get(request: Request, user_id: int) -> Response:
            item = table.get(request.path_params["id"])
            if item is None:
                return _error(404, f"{name} not found")
            if not data.visible_to_user(item, user_id):
                return _error(403, "You do not have permission to view this " + name.lower())
            return _ok(item)

        return get

    async def deal_products(request: Request, user_id: int) -> Response:
        deal_id = request.path_params["id"]
        deal = data.DEALS_V2.get(deal_id)
        if deal is None:
            return _error(404, "Deal not found")
        if not data.visible_to_user(deal, user_id):
            return _error(403, "You do not have permission to view this deal")
        raw_limit = request.query_params.get("limit", "100")
        limit = int(raw_limit) if raw_limit.isdigit() else 0
        if not 1 <= limit <= 500:
            return _error(400, "Validation failed: limit: Must be between 1 and 500")
        offset = 0
        if "cursor" in request.query_params:
            decoded = _decode_cursor(request.query_params["cursor"])
            if decoded is None:
                return _error(400, "Validation failed: cursor: Invalid cursor")
            offset = decoded
        lines = data.DEAL_PRODUCTS[deal_id]
        page = lines[offset : offset + limit]
        more = offset + limit < len(lines)
        return _ok(page, {"next_cursor": _encode_cursor(offset + limit) if more else None})

    async def users_me(request: Request, user_id: int) -> Response:
        user = state.user(user_id)
        assert user is not None  # tokens are only issued to seeded users
        admin = state.is_admin(user_id)
        return _ok(
            {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "default_currency": "USD",
                "locale": user.locale,
                "lang": 1,
                "phone": None,
                "activated": True,
                "last_login": "2025-09-01 09:00:00",
                "created": "2024-01-10 08:00:00",
                "modified": "2025-09-01 09:00:00",
                "has_created_company": user.is_admin,
                "access": [
                    {"app": "sales", "admin": admin, "permission_set_id": "ps-sales"},
                    {"app": "global", "admin": admin, "permission_set_id": "ps-global"},
                ],
                "active_flag": True,
                "timezone_name": user.timezone_name,
                "timezone_offset": _offset(user.timezone_name),
                "role_id": 1,
                "icon_url": None,
                "is_you": True,
                "is_deleted": False,
                "company_id": COMPANY_ID,
                "company_name": COMPANY_NAME,
                "company_domain": COMPANY_DOMAIN,
                "company_country": "EE",
                "company_industry": "Consulting",
                "language": {
                    "language_code": user.language_code,
                    "country_code": user.country_code,
                },
            }
        )

    def _fields(entity: str) -> Handler:
        async def get(request: Request, user_id: int) -> Response:
            fields = data.FIELDS[entity]
            start = request.query_params.get("start", "0")
            offset = int(start) if start.isdigit() else 0
            raw_limit = request.query_params.get("limit", "100")
            limit = min(int(raw_limit), 500) if raw_limit.isdigit() and raw_limit != "0" else 100
            page = fields[offset : offset + limit]
            more = offset + limit < len(fields)
            pagination = {"start": offset, "limit": limit, "more_items_in_collection": more}
            if more:
                pagination["next_start"] = offset + limit
            return _ok(page, {**pagination, "pagination": pagination})

        return get

    async def currencies(request: Request, user_id: int) -> Response:
        term = request.query_params.get("term", "").lower()
        rows = [
            c for c in data.CURRENCIES if term in c["code"].lower() or term in c["name"].lower()
        ]
        return _ok(rows)

    v1 = [
        Route("/users/me", guarded(2, users_me), name="users_me"),
        Route("/dealFields", guarded(20, _fields("deal")), name="deal_fields"),
        Route("/personFields", guarded(20, _fields("person")), name="person_fields"),
        Route("/organizationFields", guarded(20, _fields("organization")), name="org_fields"),
        Route("/currencies", guarded(20, currencies), name="currencies"),
    ]
    v2 = [
        Route("/deals/{id:int}", guarded(1, _entity(data.DEALS_V2, "Deal")), name="deal"),
        Route("/deals/{id:int}/products", guarded(10, deal_products), name="deal_products"),
        Route("/persons/{id:int}", guarded(1, _entity(data.PERSONS, "Person")), name="person"),
        Route(
            "/organizations/{id:int}",
            guarded(1, _entity(data.ORGANIZATIONS, "Organization")),
            name="organization",
        ),
        Route("/products/{id:int}", guarded(1, _entity(data.PRODUCTS, "Product")), name="product"),
    ]

    async def deal_web_page(request: Request) -> Response:
        """``https://{company}.pipedrive.com/deal/{id}``, the deal in Pipedrive's web app: here
        the host's deal page (links to a deal, e.g. in an invoice's private note, land there)."""
        host = state.api_domain.split("/pipedrive/", 1)[0]
        return RedirectResponse(f"{host}/deals/{request.path_params['id']}", status_code=302)

    return [
        Mount(
            f"/company/{COMPANY_DOMAIN}",
            routes=[
                Route("/deal/{id:int}", deal_web_page, name="deal_web_page"),
                Mount("/api/v2", routes=v2, name="v2"),
                Mount("/api/v1", routes=v1, name="v1"),
                Mount("/v1", routes=list(v1), name="v1_short"),
            ],
            name="api",
        )
    ]
