"""Connecting a company's QuickBooks, and receiving Intuit's webhooks.

Connect runs in a new top-level window (Intuit's consent page refuses to be framed, and no
session header exists there): the settings page links to ``connect_url(...)``, a short-lived
signed ticket issued only to admins. ``/quickbooks/connect`` turns it into a signed, expiring
OAuth ``state`` bound to this browser by a nonce cookie, and redirects to Intuit.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.connection import StaticTokens, oauth_client, store_connection
from extension.quickbooks.errors import QuickBooksError
from extension.quickbooks.webhooks import SIGNATURE_HEADER, parse_notifications, verify_signature
from extension.services import Services, get_services
from extension.store.installations import get_installation
from extension.store.quickbooks_models import QuickBooksConnection, QuickBooksWebhookEvent

__all__ = ["routes", "connect_url", "TICKET_MAX_AGE", "STATE_MAX_AGE"]

logger = logging.getLogger(__name__)
TICKET_MAX_AGE = 300
STATE_MAX_AGE = 600
_NONCE_COOKIE = "qbo_oauth_nonce"


def _signer(services: Services, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(services.settings.secret_key), salt=f"quickbooks.{purpose}")


def connect_url(request_or_services: Request | Services, company_id: int, user_id: int) -> str:
    """Where the settings page sends an admin (in a new window) to connect QuickBooks.

    The caller checks ``Installation.is_admin`` first; ``/quickbooks/connect`` checks again.
    """
    services = (
        get_services(request_or_services)
        if isinstance(request_or_services, Request)
        else request_or_services
    )
    ticket = _signer(services, "connect").dumps({"c": company_id, "u": user_id})
    return f"{services.settings.app_base_url}/quickbooks/connect?ticket={ticket}"


def _page(request: Request, status: int, **context: Any) -> Response:
    return get_services(request).templates.TemplateResponse(
        request, "quickbooks_connected.html", context, status_code=status
    )


async def _is_admin(services: Services, company_id: int, user_id: int) -> bool:
    async with services.sessionmaker() as session:
        installation = await get_installation(session, company_id, user_id)
    return installation is not None and installation.is_admin


async def connect(request: Request) -> Response:
    services = get_services(request)
    try:
        ticket = _signer(services, "connect").loads(
            request.query_params.get("ticket", ""), max_age=TICKET_MAX_AGE
        )
        company_id, user_id = int(ticket["c"]), int(ticket["u"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return _page(request, 400, outcome="expired")
    if not await _is_admin(services, company_id, user_id):
        return _page(request, 403, outcome="forbidden")
    nonce = secrets.token_urlsafe(16)
    state = _signer(services, "state").dumps({"c": company_id, "u": user_id, "n": nonce})
    response = RedirectResponse(oauth_client(services).authorize_url(state), status_code=302)
    response.set_cookie(
        _NONCE_COOKIE,
        nonce,
        max_age=STATE_MAX_AGE,
        httponly=True,
        secure=services.settings.app_base_url.startswith("https://"),
        samesite="lax",
        path="/quickbooks",
    )
    return response


async def callback(request: Request) -> Response:
    services = get_services(request)
    query = request.query_params
    try:
        state = _signer(services, "state").loads(query.get("state", ""), max_age=STATE_MAX_AGE)
        company_id, user_id, nonce = int(state["c"]), int(state["u"]), str(state["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return _page(request, 400, outcome="expired")
    if not secrets.compare_digest(nonce, request.cookies.get(_NONCE_COOKIE, "")):
        return _page(request, 400, outcome="expired")
    if query.get("error"):
        return _page(request, 200, outcome="cancelled")
    code, realm_id = query.get("code", ""), query.get("realmId", "")
    if not code or not realm_id:
        return _page(request, 400, outcome="expired")
    if not await _is_admin(services, company_id, user_id):
        return _page(request, 403, outcome="forbidden")
    try:
        tokens = await oauth_client(services).exchange_code(code)
        client = QuickBooksClient(
            services.quickbooks_http,
            api_url=services.settings.qbo_api_url,
            realm_id=realm_id,
            tokens=StaticTokens(tokens.access_token),
        )
        company = await client.get_company_info()
        preferences = await client.get_preferences()
    except QuickBooksError as exc:
        logger.warning(
            "QuickBooks connect failed: %s intuit_tid=%s", type(exc).__name__, exc.intuit_tid
        )
        return _page(request, 502, outcome="failed")
    await store_connection(
        services,
        company_id=company_id,
        user_id=user_id,
        realm_id=realm_id,
        tokens=tokens,
        company=company,
        preferences=preferences,
    )
    response = _page(request, 200, outcome="connected", company_name=company.company_name)
    response.delete_cookie(_NONCE_COOKIE, path="/quickbooks")
    return response


async def webhooks(request: Request) -> Response:
    services = get_services(request)
    body = await request.body()
    verifier = str(services.settings.qbo_webhook_verifier_token)
    if not verify_signature(verifier, body, request.headers.get(SIGNATURE_HEADER)):
        return Response(status_code=401)
    events = parse_notifications(body)
    if events:
        await _store_events(services, events)
    # Always 200 once the signature is good: a 4xx makes Intuit retry the whole batch.
    return Response(status_code=200)


async def _store_events(services: Services, events: list[Any]) -> None:
    from sqlalchemy import select

    realms = {e.realm_id for e in events}
    async with services.sessionmaker() as session, session.begin():
        rows = await session.execute(
            select(QuickBooksConnection.realm_id, QuickBooksConnection.company_id).where(
                QuickBooksConnection.realm_id.in_(realms)
            )
        )
        companies: dict[str, list[int]] = {}
        for realm_id, company_id in rows:
            companies.setdefault(realm_id, []).append(company_id)
        values = [
            {
                "company_id": company_id,
                "dedup_key": e.dedup_key[:255],
                "realm_id": e.realm_id,
                "entity_name": e.entity_name[:64],
                "entity_id": e.entity_id[:64],
                "operation": e.operation[:32],
                "occurred_at": e.occurred_at[:64],
                "payload_format": e.payload_format,
            }
            for e in events
            for company_id in companies.get(e.realm_id, [])
        ]
        if not values:
            return  # events for realms nobody here is connected to
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        statement = insert(QuickBooksWebhookEvent).values(values)
        await session.execute(
            statement.on_conflict_do_nothing(index_elements=["company_id", "dedup_key"])
        )


routes = [
    Route("/quickbooks/connect", connect, methods=["GET"], name="quickbooks_connect"),
    Route("/quickbooks/callback", callback, methods=["GET"], name="quickbooks_callback"),
    Route("/quickbooks/webhooks", webhooks, methods=["POST"], name="quickbooks_webhooks"),
]
