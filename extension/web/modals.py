"""Custom modals opened by the panel through the SDK (no entry point in Pipedrive)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.accounts.permissions import Action, require
from extension.ids import parse_id
from extension.invoicing.deals import load_visible_deal
from extension.invoicing.status import company_status
from extension.manifest import load_manifest
from extension.services import Services, get_services
from extension.web import all_invoices
from extension.web.contexts import DealContentContext, ShellContext
from extension.web.iframe import open_iframe, require_user
from extension.web.rendering import render

__all__ = ["routes"]


def _modal_actions(services: Services) -> dict[str, str]:
    return load_manifest().modal_action_ids(services.settings.pipedrive_modal_ids)


async def _shell(request: Request, template: str) -> Response:
    iframe = await open_iframe(request)
    # ``data`` is the unsigned JSON the panel passed to open_modal.
    return render(request, template, ShellContext(iframe, parse_id(iframe.data.get("deal_id"))))


async def _content(request: Request, template: str, action: Action) -> Response:
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, action)
    deal_id: int = request.path_params["deal_id"]
    deal = await load_visible_deal(services, user.company_id, user.user_id, deal_id)
    status = await company_status(services, user.company_id)
    return render(
        request,
        template,
        DealContentContext(deal_id, deal, status, _modal_actions(services)),
        block="content",
        vary=True,
    )


async def create_invoice(request: Request) -> Response:
    """Shell of the create-invoice modal (its fragments: ``extension.web.create_invoice``)."""
    return await _shell(request, "modal_create.html")


routes = [
    Mount(
        "/modals",
        routes=[
            Route("/create-invoice", create_invoice, name="create_invoice"),
            # The all-invoices modal (extension.web.all_invoices).
            Route("/all-invoices", all_invoices.shell, name="all_invoices"),
            Route(
                "/all-invoices/{deal_id:int}/content",
                all_invoices.content,
                name="all_invoices_content",
            ),
            *all_invoices.routes,
        ],
        name="modals",
    )
]
