"""The deal panel: a light shell that initializes the SDK at once, then loads its content.

The content is the mirror's copy of the deal's invoices (no request to QuickBooks); "Refresh"
(or the page itself, when the copy is old) swaps in the list read again from QuickBooks.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.invoicing import actions
from extension.invoicing.panel import PanelView, open_panel, refresh_panel
from extension.manifest import load_manifest
from extension.services import Services, get_services
from extension.web import invoice_messages as say
from extension.web.contexts import ShellContext
from extension.web.iframe import first_id, open_iframe, require_user
from extension.web.invoice_actions import invoice_errors, row_tools, snackbar
from extension.web.invoice_contexts import PanelContentContext
from extension.web.rendering import render

__all__ = ["routes"]


def _modal_actions(services: Services) -> dict[str, str]:
    return load_manifest().modal_action_ids(services.settings.pipedrive_modal_ids)


def _content(request: Request, view: PanelView, block: str) -> Response:
    services = get_services(request)
    context = PanelContentContext(
        view=view,
        tools=row_tools(request, view.scope, "panel", view.rows),
        modal_actions=_modal_actions(services),
    )
    return render(request, "panel.html", context, block=block, vary=True)


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
