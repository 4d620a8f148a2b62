"""What the sandbox host page does on Pipedrive's behalf: install, uninstall, settings link.

- "Install app" signs the chosen sandbox user in to the stand-in (a cookie, like a Pipedrive
  session) and sends the browser to the app's installation URL, so the real OAuth flow runs:
  app → authorize consent page → app callback → app settings page inside "Pipedrive".
- "Uninstall app" forgets the user's grant and sends the ``DELETE`` to the app's callback URL
  exactly as Pipedrive documents it: JSON ``{client_id, company_id, user_id, timestamp}`` with
  HTTP Basic ``client_id:client_secret``.
- The deep link ``/settings/marketplace/app/{client_id}/app-settings`` (on the company's
  Pipedrive host in real life) opens the host's settings view for the signed-in user.
- ``POST /config`` adjusts latency and the rate limits for demos and outside test drivers.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.pipedrive.oauth import USER_COOKIE
from extension.sandbox.pipedrive.state import PipedriveStandIn
from extension.sandbox.seed import USERS, user_by_key

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["routes", "send_uninstall"]


async def send_uninstall(sandbox: Sandbox, state: PipedriveStandIn, user_id: int) -> int:
    """Pipedrive's uninstall callback; returns the app's status code (Pipedrive ignores it)."""
    state.uninstall(user_id)
    credentials = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
    response = await sandbox.app_http.request(
        "DELETE",
        sandbox.settings.app_base_url + sandbox.manifest.callback_url,
        json={
            "client_id": state.client_id,
            "company_id": state.company_id,
            "user_id": user_id,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        },
        headers={"Authorization": f"Basic {credentials}"},
    )
    return response.status_code


def routes(sandbox: Sandbox, state: PipedriveStandIn) -> list[BaseRoute]:
    settings = sandbox.settings

    def _back(request: Request, raw: str, user_key: str) -> str:
        # Only ever back to a sandbox page of this host: never an open redirect.
        if raw.startswith("/sandbox/") and "//" not in raw and "\\" not in raw:
            return f"{raw}?user={user_key}"
        return str(request.url_for("sandbox:home"))

    async def install(request: Request) -> Response:
        user = user_by_key(request.query_params.get("user", "admin"))
        response = RedirectResponse(
            settings.app_base_url + sandbox.manifest.installation_url, status_code=303
        )
        response.set_cookie(USER_COOKIE, str(user.id), httponly=True, samesite="lax")
        return response

    async def uninstall(request: Request) -> Response:
        form = await request.form()
        user = user_by_key(str(form.get("user", "admin")))
        await send_uninstall(sandbox, state, user.id)
        return RedirectResponse(_back(request, str(form.get("next", "")), user.key), 303)

    async def app_settings(request: Request) -> Response:
        raw = request.cookies.get(USER_COOKIE, "")
        user = next((u for u in USERS if str(u.id) == raw), USERS[0])
        url = request.url_for("sandbox:settings").include_query_params(user=user.key)
        return RedirectResponse(str(url), status_code=303)

    async def configure(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        if "latency" in body:
            state.latency = max(float(body["latency"]), 0.0)
        if "burst_limit" in body:
            state.limiter.burst_limit = max(int(body["burst_limit"]), 1)
        if "daily_budget" in body:
            state.limiter.daily_budget = max(int(body["daily_budget"]), 0)
        if body.get("reset_usage"):
            state.limiter.reset()
        return JSONResponse(
            {
                "latency": state.latency,
                "burst_limit": state.limiter.burst_limit,
                "daily_budget": state.limiter.daily_budget,
            }
        )

    return [
        Route("/host/install", install, methods=["GET"], name="host_install"),
        Route("/host/uninstall", uninstall, methods=["POST"], name="host_uninstall"),
        Route(
            "/settings/marketplace/app/{client_id}/app-settings",
            app_settings,
            name="app_settings",
        ),
        Route("/config", configure, methods=["POST"], name="config"),
    ]
