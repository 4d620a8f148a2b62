"""The all-invoices modal: every invoice of the deal contact's QuickBooks customer(s).

Routes are registered in ``extension.web.modals`` (they live under ``/modals``). The content
and each filter change read the range from QuickBooks into the mirror first; "Show more"
pages from the mirror. Row actions are the panel's (``extension.web.invoice_actions``) with
``view=modal``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from extension.ids import parse_id
from extension.invoicing.all_invoices import RangeFilter, all_invoices
from extension.services import get_services
from extension.web.contexts import ShellContext
from extension.web.iframe import open_iframe, require_user
from extension.web.invoice_actions import invoice_errors, row_tools
from extension.web.invoice_contexts import AllInvoicesContext
from extension.web.rendering import render

__all__ = ["shell", "content", "routes"]


async def shell(request: Request) -> Response:
    """Shell of the all-invoices modal."""
    iframe = await open_iframe(request)
    # ``data`` is the unsigned JSON the panel passed to open_modal.
    deal_id = parse_id(iframe.data.get("deal_id"))
    return render(request, "modal_all.html", ShellContext(iframe, deal_id))


async def _view(request: Request, block: str) -> Response:
    user = await require_user(request)
    filt = RangeFilter.parse(dict(request.query_params))
    view = await all_invoices(get_services(request), user, request.path_params["deal_id"], filt)
    tools = row_tools(
        request, view.scope, "modal", view.rows, show_customer=len(view.customers) > 1
    )
    context = AllInvoicesContext(view=view, tools=tools)
    return render(request, "modal_all.html", context, block=block, vary=True)


@invoice_errors
async def content(request: Request) -> Response:
    """Fragment: the filter, the totals and the first page of the customer's invoices."""
    return await _view(request, "content")


@invoice_errors
async def rows(request: Request) -> Response:
    """Fragment: the totals and first page for another filter."""
    return await _view(request, "list")


@invoice_errors
async def more(request: Request) -> Response:
    """Fragment: the next page of rows (from the mirror)."""
    return await _view(request, "more")


# Under the /modals mount, next to the shell and content routes.
routes: list[BaseRoute] = [
    Route("/all-invoices/{deal_id:int}/rows", rows, name="all_invoices_rows"),
    Route("/all-invoices/{deal_id:int}/more", more, name="all_invoices_more"),
]
