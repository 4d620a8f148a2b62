"""The Pipedrive look-alike host page: a deal detail view that frames our panel as Pipedrive does.

The page builds each iframe URL with the exact query Pipedrive sends (reference/pipedrive.md
§1.2): a JWT signed with the configured JWT secret, ``userId``, ``companyId``, a fresh runtime
``id``, ``resource``, ``view``, ``selectedIds`` and ``theme``. Its script
(``static/js/sandbox-host.js``) answers the official SDK over postMessage/MessageChannel.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.pipedrive import data as pipedrive_data
from extension.sandbox.seed import COMPANY_ID, COMPANY_NAME, DEALS, USERS, deal_by_id, user_by_key
from extension.security.iframe_jwt import sign_iframe_token

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["routes", "discovery", "iframe_url"]


def iframe_url(sandbox: Sandbox, path: str, *, user_id: int, theme: str, **extra: str) -> str:
    """A custom-UI iframe URL exactly as Pipedrive builds it."""
    token = sign_iframe_token(
        str(sandbox.settings.pipedrive_jwt_secret), company_id=COMPANY_ID, user_id=user_id
    )
    query = {
        "token": token,
        "userId": str(user_id),
        "companyId": str(COMPANY_ID),
        "id": secrets.token_hex(8),
        **extra,
        "theme": theme,
    }
    return f"{sandbox.settings.app_base_url}{path}?{urlencode(query)}"


def _theme(request: Request) -> str:
    return "dark" if request.query_params.get("theme") == "dark" else "light"


def _init_timeout_ms(request: Request) -> int:
    raw = request.query_params.get("init_timeout_ms", "")
    return int(raw) if raw.isdigit() else 10_000


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    manifest = sandbox.manifest

    async def home(request: Request) -> Response:
        return RedirectResponse(
            request.url_for("sandbox:deal", deal_id=DEALS[0].id), status_code=303
        )

    def _page(request: Request, template_context: dict[str, Any]) -> Response:
        user = user_by_key(request.query_params.get("user", "admin"))
        context = {
            "user": user,
            "users": USERS,
            "deals": DEALS,
            "company_name": COMPANY_NAME,
            "theme": _theme(request),
            "modals": {m.id: m.url for m in manifest.modals},
            "app_base_url": sandbox.settings.app_base_url,
            "init_timeout_ms": _init_timeout_ms(request),
            **template_context,
        }
        return sandbox.templates.TemplateResponse(request, "sandbox/host.html", context)

    async def deal_page(request: Request) -> Response:
        deal = deal_by_id(request.path_params["deal_id"])
        if deal is None:
            return RedirectResponse(request.url_for("sandbox:home"), status_code=303)
        user = user_by_key(request.query_params.get("user", "admin"))
        panel = manifest.panel("deal")
        panel_url = None
        if panel is not None:
            panel_url = iframe_url(
                sandbox,
                panel.url,
                user_id=user.id,
                theme=_theme(request),
                resource="deal",
                view="details",
                selectedIds=str(deal.id),
            )
        return _page(
            request,
            {
                "view": "deal",
                "deal": deal,
                "panel": panel,
                "panel_url": panel_url,
                **deal_view(deal.id),
            },
        )

    async def settings_view(request: Request) -> Response:
        user = user_by_key(request.query_params.get("user", "admin"))
        # redirect_to settings passes its ``context`` on as query parameters.
        context = {k: v for k, v in request.query_params.items() if k not in {"user", "theme"}}
        url = iframe_url(
            sandbox, manifest.settings_url, user_id=user.id, theme=_theme(request), **context
        )
        return _page(request, {"view": "settings", "settings_url": url})

    async def signed_token(request: Request) -> Response:
        """What the host's get_signed_token answers with: a fresh 5-minute JWT."""
        user = user_by_key(request.query_params.get("user", "admin"))
        token = sign_iframe_token(
            str(sandbox.settings.pipedrive_jwt_secret), company_id=COMPANY_ID, user_id=user.id
        )
        return JSONResponse({"token": token}, headers={"Cache-Control": "no-store"})

    async def modal_url(request: Request) -> Response:
        """The URL Pipedrive loads for ``open_modal`` with a custom modal's id or name."""
        user = user_by_key(request.query_params.get("user", "admin"))
        # As Pipedrive: a custom modal is known by its Developer Hub ID or its name only.
        modal = manifest.modal_for_action(
            request.query_params.get("action_id", ""), sandbox.settings.pipedrive_modal_ids
        )
        if modal is None:
            return JSONResponse({"error": "Custom modal not found"}, status_code=404)
        extra = {}
        if "data" in request.query_params:
            extra["data"] = request.query_params["data"]
        url = iframe_url(sandbox, modal.url, user_id=user.id, theme=_theme(request), **extra)
        return JSONResponse({"url": url, "name": modal.name}, headers={"Cache-Control": "no-store"})

    async def discovery_document(request: Request) -> Response:
        return JSONResponse(sandbox.discovery())

    return [
        Route("/", home, name="home"),
        Route("/deals/{deal_id:int}", deal_page, name="deal"),
        Route("/settings", settings_view, name="settings"),
        Route("/host/token", signed_token, name="token"),
        Route("/host/modal-url", modal_url, name="modal_url"),
        Route("/.well-known/sandbox.json", discovery_document, name="discovery"),
    ]


_FREQUENCIES = {
    "weekly": "Weekly",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "semi-annually": "Every six months",
    "annually": "Yearly",
}


def deal_view(deal_id: int) -> dict[str, Any]:
    """What Pipedrive's deal view shows beside the app: the organization, the person and the
    products (with their discounts, tax and billing), from the stand-in's own data."""
    deal = pipedrive_data.DEALS_V2[deal_id]
    org = pipedrive_data.ORGANIZATIONS.get(deal["org_id"])
    person = pipedrive_data.PERSONS.get(deal["person_id"])
    products = []
    for line in pipedrive_data.DEAL_PRODUCTS.get(deal_id, []):
        frequency = line["billing_frequency"]
        products.append(
            {
                **line,
                "code": pipedrive_data.PRODUCTS[line["product_id"]]["code"],
                "billing": _FREQUENCIES.get(frequency, ""),
            }
        )
    vat = org["custom_fields"].get(pipedrive_data.VAT_NUMBER_KEY) if org else None
    return {
        "organization": org,
        "person": person,
        "products": products,
        "vat_number": vat,
        "products_total": sum(line["sum"] for line in products),
    }


def discovery(sandbox: Sandbox) -> dict[str, Any]:
    base = sandbox.base_url
    return {
        "app_base_url": sandbox.settings.app_base_url,
        "host": {
            "base_url": base,
            "deal_page": base + "/deals/{deal_id}?user={user_key}&theme={theme}",
            "company_id": COMPANY_ID,
            "company_name": COMPANY_NAME,
            "users": [
                {
                    "key": u.key,
                    "id": u.id,
                    "name": u.name,
                    "is_admin": u.is_admin,
                    "language": u.language_code,
                }
                for u in USERS
            ],
            "deals": [
                {
                    "id": d.id,
                    "title": d.title,
                    "currency": d.currency,
                    "visible_to_rep": d.visible_to_rep,
                }
                for d in DEALS
            ],
        },
    }
