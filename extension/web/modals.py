"""Custom modals opened by the panel through the SDK (no entry point in Pipedrive)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.invoicing.deals import DealUnavailable, load_visible_deal
from extension.invoicing.status import load_company_status
from extension.services import get_services
from extension.web.iframe import open_iframe, require_session

__all__ = ["routes"]


def _deal_id(data: dict[str, object]) -> int | None:
    # ``data`` is the unsigned JSON the panel passed to open_modal.
    raw = data.get("deal_id")
    text = str(raw) if raw is not None else ""
    return int(text) if text.isdigit() else None


async def _shell(request: Request, template: str) -> Response:
    iframe = await open_iframe(request)
    return get_services(request).templates.TemplateResponse(
        request, template, {"iframe": iframe, "deal_id": _deal_id(iframe.data)}
    )


async def _content(request: Request, template: str) -> Response:
    app_session = require_session(request)
    services = get_services(request)
    deal_id = request.path_params["deal_id"]
    context: dict[str, object] = {"deal_id": deal_id}
    try:
        context["deal"] = await load_visible_deal(
            services, app_session.company_id, app_session.user_id, deal_id
        )
    except DealUnavailable as exc:
        context["unavailable"] = exc
    async with services.sessionmaker() as session:
        context["status"] = await load_company_status(session, app_session.company_id)
    return services.templates.TemplateResponse(request, template, context, block_name="content")


async def create_invoice(request: Request) -> Response:
    """Shell of the create-invoice modal."""
    return await _shell(request, "modal_create.html")


async def create_invoice_content(request: Request) -> Response:
    """Fragment: the create-invoice form (or why it cannot be shown yet)."""
    return await _content(request, "modal_create.html")


async def all_invoices(request: Request) -> Response:
    """Shell of the all-invoices modal."""
    return await _shell(request, "modal_all.html")


async def all_invoices_content(request: Request) -> Response:
    """Fragment: every invoice of the deal's linked customer."""
    return await _content(request, "modal_all.html")


routes = [
    Mount(
        "/modals",
        routes=[
            Route("/create-invoice", create_invoice, name="create_invoice"),
            Route(
                "/create-invoice/{deal_id:int}/content",
                create_invoice_content,
                name="create_invoice_content",
            ),
            Route("/all-invoices", all_invoices, name="all_invoices"),
            Route(
                "/all-invoices/{deal_id:int}/content",
                all_invoices_content,
                name="all_invoices_content",
            ),
        ],
        name="modals",
    )
]
