"""The deal panel: a light shell that initializes the SDK at once, then loads its content.

The content is the mirror's copy of the deal's invoices (no request to QuickBooks); "Refresh"
(or the page itself, when the copy is old) swaps in the list read again from QuickBooks.
While the panel is visible it asks ``/live`` every few seconds what changed in the mirror
(``extension.invoicing.live_panel``): ``304`` when nothing did, else only the changed rows.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.htmx import trigger_client_event
from extension.invoicing import actions
from extension.invoicing.live_panel import POLL_SECONDS, parse_known, watch_deal
from extension.invoicing.panel import PanelView, open_panel, refresh_panel
from extension.manifest import load_manifest
from extension.security.watch import WATCH_HEADER, DealWatch, InvalidWatch, WatchSigner
from extension.services import Services, get_services
from extension.web import invoice_messages as say
from extension.web.contexts import ShellContext
from extension.web.errors import render_message
from extension.web.iframe import first_id, open_iframe, require_user
from extension.web.invoice_actions import invoice_errors, row_tools, snackbar
from extension.web.invoice_contexts import PanelContentContext, PanelLiveContext
from extension.web.messages import http_message
from extension.web.rendering import render

__all__ = ["routes"]


def _modal_actions(services: Services) -> dict[str, str]:
    return load_manifest().modal_action_ids(services.settings.pipedrive_modal_ids)


def _signer(services: Services) -> WatchSigner:
    return WatchSigner(str(services.settings.secret_key))


def _content(request: Request, view: PanelView, block: str) -> Response:
    services = get_services(request)
    scope = view.scope
    watch = DealWatch(scope.company_id, scope.user.user_id, scope.deal_id)
    context = PanelContentContext(
        view=view,
        tools=row_tools(request, view.scope, "panel", view.rows),
        modal_actions=_modal_actions(services),
        watch=_signer(services).issue(watch),
        poll_ms=int(POLL_SECONDS * 1000),
    )
    return render(request, "panel.html", context, block=block, vary=True)


def _reload(reason: str) -> Response:
    """The panel reloads its content (from the mirror; Pipedrive is asked for the deal)."""
    response = Response(status_code=200, headers={"Cache-Control": "no-store"})
    return trigger_client_event(response, "app:refresh", {"reason": reason})


async def deal_panel(request: Request) -> Response:
    """Shell page Pipedrive frames in the deal sidebar."""
    iframe = await open_iframe(request)
    return render(request, "panel.html", ShellContext(iframe, first_id(iframe.selected_ids)))


async def deal_panel_content(request: Request) -> Response:
    """Fragment: the panel's body for one deal (fetched as the viewing user), from the mirror."""
    user = await require_user(request)
    view = await open_panel(get_services(request), user, request.path_params["deal_id"])
    return _content(request, view, "content")


async def deal_panel_refresh(request: Request) -> Response:
    """Fragment: the invoice list read again from QuickBooks (or marked possibly stale)."""
    user = await require_user(request)
    view = await refresh_panel(get_services(request), user, request.path_params["deal_id"])
    return _content(request, view, "list")


async def deal_panel_live(request: Request) -> Response:
    """What changed in the mirror since the panel's last look: 304, or the changed rows."""
    user = await require_user(request)
    services = get_services(request)
    deal_id: int = request.path_params["deal_id"]
    try:
        watch = _signer(services).verify(request.headers.get(WATCH_HEADER))
    except InvalidWatch as exc:
        if exc.expired:
            return _reload("watch-expired")
        return render_message(request, http_message(403))
    if watch != DealWatch(user.company_id, user.user_id, deal_id):
        return render_message(request, http_message(403))
    live = await watch_deal(
        services, user, deal_id, known=parse_known(request.query_params.get("known", ""))
    )
    if live.reshaped:
        return _reload("reshaped")
    etag = f'"{live.etag}"'
    headers = {"ETag": etag, "Cache-Control": "no-store"}
    if request.headers.get("If-None-Match") == etag:
        return Response(status_code=304, headers=headers)
    tools = row_tools(request, live.scope, "panel", live.changed)
    response = render(
        request, "panel.html", PanelLiveContext(live=live, tools=tools), block="live_update"
    )
    response.headers.update(headers)
    return response


@invoice_errors
async def unlink_contact(request: Request) -> Response:
    """Forget the deal's contact ↔ QuickBooks customer link (after the SDK confirmation)."""
    user = await require_user(request)
    services = get_services(request)
    deal_id: int = request.path_params["deal_id"]
    names = await actions.unlink_contact(services, user, deal_id)
    view = await open_panel(services, user, deal_id)
    return snackbar(_content(request, view, "content"), say.contact_unlinked(names))


routes = [
    Mount(
        "/panel",
        routes=[
            Route("/deal", deal_panel, name="deal"),
            Route("/deal/{deal_id:int}/content", deal_panel_content, name="deal_content"),
            Route("/deal/{deal_id:int}/live", deal_panel_live, name="live"),
            Route(
                "/deal/{deal_id:int}/refresh",
                deal_panel_refresh,
                methods=["POST"],
                name="refresh",
            ),
            Route(
                "/deal/{deal_id:int}/unlink-contact",
                unlink_contact,
                methods=["POST"],
                name="unlink_contact",
            ),
        ],
        name="panel",
    )
]
