"""The app's custom settings page inside Pipedrive (content arrives with the settings issue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.invoicing.status import load_company_status
from extension.services import get_services
from extension.web.iframe import open_iframe, require_session

__all__ = ["routes"]


async def settings_page(request: Request) -> Response:
    """Shell of the settings page."""
    iframe = await open_iframe(request)
    return get_services(request).templates.TemplateResponse(
        request, "settings.html", {"iframe": iframe}
    )


async def settings_content(request: Request) -> Response:
    """Fragment: the settings form."""
    app_session = require_session(request)
    services = get_services(request)
    async with services.sessionmaker() as session:
        status = await load_company_status(session, app_session.company_id)
    return services.templates.TemplateResponse(
        request, "settings.html", {"status": status}, block_name="content"
    )


routes = [
    Mount(
        "/settings",
        routes=[
            Route("/", settings_page, name="page"),
            Route("/content", settings_content, name="content"),
        ],
        name="settings",
    )
]
