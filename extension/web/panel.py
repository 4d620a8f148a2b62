"""The deal panel: a light shell that initializes the SDK at once, then loads its content."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.htmx import vary_on_htmx
from extension.invoicing.deals import DealUnavailable, load_visible_deal
from extension.invoicing.status import load_company_status
from extension.services import get_services
from extension.web.iframe import open_iframe, require_session

__all__ = ["routes"]


def _deal_id(raw: str) -> int | None:
    # selectedIds is unsigned input: take the first id and trust nothing else about it.
    first = raw.split(",")[0].strip()
    return int(first) if first.isdigit() else None


async def deal_panel(request: Request) -> Response:
    """Shell page Pipedrive frames in the deal sidebar."""
    iframe = await open_iframe(request)
    services = get_services(request)
    return services.templates.TemplateResponse(
        request,
        "panel.html",
        {"iframe": iframe, "deal_id": _deal_id(iframe.selected_ids)},
    )


async def deal_panel_content(request: Request) -> Response:
    """Fragment: the panel's body for one deal."""
    app_session = require_session(request)
    deal_id = request.path_params["deal_id"]
    services = get_services(request)
    context: dict[str, object] = {"deal_id": deal_id}
    try:
        context["deal"] = await load_visible_deal(
            services, app_session.company_id, app_session.user_id, deal_id
        )
    except DealUnavailable as exc:
        context["unavailable"] = exc
    async with services.sessionmaker() as session:
        context["status"] = await load_company_status(session, app_session.company_id)
    response = services.templates.TemplateResponse(
        request, "panel.html", context, block_name="content"
    )
    return vary_on_htmx(response)


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
