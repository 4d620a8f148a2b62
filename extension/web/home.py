"""The root URL (in sandbox mode it leads straight to the Pipedrive look-alike) and the health
check that load balancers poll."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from extension.health import check_database
from extension.services import get_services

__all__ = ["routes"]


async def home(request: Request) -> Response:
    services = get_services(request)
    if services.sandbox is not None:
        return RedirectResponse(request.url_for("sandbox:home"), status_code=303)
    return services.templates.TemplateResponse(request, "home.html", {})


async def healthz(request: Request) -> Response:
    """200 when this process reaches its database, 503 when not; JSON for machines.

    ``pid`` tells which worker answered (several serve one port); no upstream is asked.
    """
    health = await check_database(get_services(request))
    return JSONResponse(
        {
            "status": "ok" if health.reachable else "unavailable",
            "database": {"reachable": health.reachable, "elapsed_ms": health.elapsed_ms},
            "pid": health.pid,
        },
        status_code=200 if health.reachable else 503,
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/", home, name="home"), Route("/healthz", healthz, name="healthz")]
