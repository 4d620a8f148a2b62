"""The root URL: in sandbox mode it leads straight to the Pipedrive look-alike."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from extension.services import get_services

__all__ = ["routes"]


async def home(request: Request) -> Response:
    services = get_services(request)
    if services.sandbox is not None:
        return RedirectResponse(request.url_for("sandbox:home"), status_code=303)
    return services.templates.TemplateResponse(request, "home.html", {})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


routes = [Route("/", home, name="home"), Route("/healthz", healthz, name="healthz")]
