"""The deal panel: a light shell that initializes the SDK at once, then loads its content."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.accounts.permissions import Action, require
from extension.invoicing.deals import load_visible_deal
from extension.invoicing.status import company_status
from extension.manifest import load_manifest
from extension.services import Services, get_services
from extension.web.contexts import DealContentContext, ShellContext
from extension.web.iframe import first_id, open_iframe, require_user
from extension.web.rendering import render

__all__ = ["routes"]


def _modal_actions(services: Services) -> dict[str, str]:
    return load_manifest().modal_action_ids(services.settings.pipedrive_modal_ids)


async def deal_panel(request: Request) -> Response:
    """Shell page Pipedrive frames in the deal sidebar."""
    iframe = await open_iframe(request)
    return render(request, "panel.html", ShellContext(iframe, first_id(iframe.selected_ids)))


async def deal_panel_content(request: Request) -> Response:
    """Fragment: the panel's body for one deal (fetched as the viewing user)."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.VIEW)
    deal_id: int = request.path_params["deal_id"]
    deal = await load_visible_deal(services, user.company_id, user.user_id, deal_id)
    status = await company_status(services, user.company_id)
    return render(
        request,
        "panel.html",
        DealContentContext(deal_id, deal, status, _modal_actions(services)),
        block="content",
        vary=True,
    )


routes = [
    Mount(
        "/panel",
        routes=[
            Route("/deal", deal_panel, name="deal"),
            Route("/deal/{deal_id:int}/content", deal_panel_content, name="deal_content"),
        ],
        name="panel",
    )
]
