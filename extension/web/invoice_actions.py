"""Handlers for what a person does to one invoice, in the deal panel or the all-invoices modal.

Each one is thin: the session, the domain action (which checks the role, the deal and the
invoice), then the invoice's row again — only that row is swapped (``hx-swap`` on the row), and
the panel's summary or the modal's totals come along out of band — with the outcome in an SDK
snackbar. ``view=modal`` in the form says the row lives in the modal; the modal also sends its
filter, so its totals are recomputed for the same range.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from urllib.parse import parse_qsl, quote, urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route

from extension.accounts.users import session_user
from extension.htmx import trigger_client_event
from extension.invoicing import actions
from extension.invoicing.all_invoices import RangeFilter, modal_row, modal_totals
from extension.invoicing.deal_scope import DealScope, InvoiceOutOfScope
from extension.invoicing.invoice_rows import InvoiceRow, LinkBlocker
from extension.invoicing.live_panel import LiveScope
from extension.invoicing.panel import panel_view
from extension.security.downloads import DownloadGrant, DownloadSigner, InvalidDownload
from extension.services import Services, get_services
from extension.web import invoice_messages as say
from extension.web.body import read_limited
from extension.web.errors import render_message
from extension.web.iframe import require_user
from extension.web.invoice_contexts import (
    INVOICE_SLOT,
    AllRowContext,
    PanelRowContext,
    RowTools,
)
from extension.web.rendering import render

__all__ = ["routes", "row_tools", "invoice_errors", "snackbar", "read_form"]

Handler = Callable[[Request], Awaitable[Response]]
_FORM_LIMIT = 4096
_ROW_ACTIONS = ("pdf", "send", "copy_link", "void", "delete", "unlink", "link")


def invoice_errors(handler: Handler) -> Handler:
    """An invoice that is not this deal's answers 404; a refused action 409 (worded)."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except InvoiceOutOfScope:
            return render_message(request, say.not_found())
        except actions.InvoiceActionRefused as exc:
            return render_message(request, say.refused(exc))

    return wrapped


async def read_form(request: Request) -> dict[str, str]:
    body = await read_limited(request, _FORM_LIMIT)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def snackbar(response: Response, message: str, **extra: str) -> Response:
    return trigger_client_event(response, "app:snackbar", {"message": message, **extra})


def _signer(services: Services) -> DownloadSigner:
    return DownloadSigner(str(services.settings.secret_key))


def row_tools(
    request: Request,
    scope: DealScope | LiveScope,
    variant: str,
    rows: Iterable[InvoiceRow],
    *,
    show_customer: bool = False,
) -> RowTools:
    """The row controls' context, with a signed PDF link for each row that has a PDF."""
    signer = _signer(get_services(request))
    urls = {
        action: str(
            request.url_for(f"invoices:{action}", deal_id=scope.deal_id, invoice_id=INVOICE_SLOT)
        )
        for action in _ROW_ACTIONS
    }
    links: dict[str, str] = {}
    for row in rows:
        if row.read and row.state.value != "deleted":
            token = signer.issue(
                DownloadGrant(scope.company_id, scope.user.user_id, scope.deal_id, row.invoice_id)
            )
            pdf = urls["pdf"].replace(INVOICE_SLOT, row.invoice_id)
            links[row.invoice_id] = f"{pdf}?{urlencode({'t': token})}"
    return RowTools(
        deal_id=scope.deal_id,
        allowed=scope.grants.allowed,
        status=scope.status,
        variant=variant,
        pdf_links=links,
        link_texts={blocker.value: say.link_blocked(blocker) for blocker in LinkBlocker},
        show_customer=show_customer,
        action_urls=urls,
    )


async def _row_response(
    request: Request,
    scope: DealScope,
    invoice_id: str,
    form: dict[str, str],
    message: str | None,
) -> Response:
    services = get_services(request)
    if form.get("view") == "modal":
        row = await modal_row(services, scope, invoice_id)
        totals = await modal_totals(services, scope, RangeFilter.parse(form))
        # The filter names a customer only when the deal has several.
        tools = row_tools(
            request, scope, "modal", [row] if row else [], show_customer="customer" in form
        )
        context = AllRowContext(tools=tools, invoice_id=invoice_id, row=row, totals=totals)
        response = render(request, "modal_all.html", context, block="row_update")
    else:
        view = await panel_view(services, scope)
        row = next((r for r in view.rows if r.invoice_id == invoice_id), None)
        tools = row_tools(request, scope, "panel", [row] if row else [])
        response = render(
            request,
            "panel.html",
            PanelRowContext(view=view, tools=tools, invoice_id=invoice_id, row=row),
            block="row_update",
        )
    return snackbar(response, message) if message else response


def _ids(request: Request) -> tuple[int, str]:
    return request.path_params["deal_id"], request.path_params["invoice_id"]


@invoice_errors
async def send(request: Request) -> Response:
    """Email the invoice from QuickBooks to the address the person confirmed."""
    user = await require_user(request)
    form = await read_form(request)
    deal_id, invoice_id = _ids(request)
    done = await actions.send_invoice(
        get_services(request),
        user,
        deal_id,
        invoice_id,
        to=form.get("to", ""),
        shown_sent_at=form.get("sent", ""),
    )
    return await _row_response(request, done.target.scope, invoice_id, form, say.sent(done))


@invoice_errors
async def copy_link(request: Request) -> Response:
    """Ask QuickBooks for the invoice's payment link; the page copies it to the clipboard."""
    user = await require_user(request)
    form = await read_form(request)
    deal_id, invoice_id = _ids(request)
    done = await actions.copy_invoice_link(get_services(request), user, deal_id, invoice_id)
    scope = done.target.scope
    if done.link is None:
        message = say.link_blocked(done.link_blocker)
        return await _row_response(request, scope, invoice_id, form, message)
    response = await _row_response(request, scope, invoice_id, form, None)
    # The snackbar comes from the page once the clipboard took the link (or offers the link).
    return trigger_client_event(
        response,
        "app:copy",
        {"text": done.link, "message": say.link_copied(done), "fallback": say.link_fallback(done)},
    )


async def _close(request: Request, action: str) -> Response:
    user = await require_user(request)
    form = await read_form(request)
    deal_id, invoice_id = _ids(request)
    run = actions.void_invoice if action == "void" else actions.delete_invoice
    try:
        done = await run(get_services(request), user, deal_id, invoice_id)
    except actions.CloseFailed as exc:
        return render_message(request, say.close_failed(exc))
    text = say.voided(done) if action == "void" else say.deleted(done)
    return await _row_response(request, done.target.scope, invoice_id, form, text)


@invoice_errors
async def void(request: Request) -> Response:
    """Void the invoice in QuickBooks (its payments stay as the customer's credit)."""
    return await _close(request, "void")


@invoice_errors
async def delete(request: Request) -> Response:
    """Delete the invoice in QuickBooks and here (its payments stay as credit)."""
    return await _close(request, "delete")


@invoice_errors
async def unlink(request: Request) -> Response:
    """Unlink the invoice from this deal; QuickBooks keeps it."""
    user = await require_user(request)
    form = await read_form(request)
    deal_id, invoice_id = _ids(request)
    done = await actions.unlink_from_deal(get_services(request), user, deal_id, invoice_id)
    return await _row_response(request, done.target.scope, invoice_id, form, say.unlinked(done))


@invoice_errors
async def link(request: Request) -> Response:
    """Link an invoice of the deal's customer to this deal (``move=1``: from another deal)."""
    user = await require_user(request)
    form = await read_form(request)
    deal_id, invoice_id = _ids(request)
    done = await actions.link_to_deal(
        get_services(request), user, deal_id, invoice_id, move=form.get("move") == "1"
    )
    return await _row_response(request, done.target.scope, invoice_id, form, say.linked(done))


@invoice_errors
async def pdf(request: Request) -> Response:
    """The invoice's PDF, streamed from QuickBooks, opened from a signed link."""
    services = get_services(request)
    deal_id, invoice_id = _ids(request)
    try:
        grant = _signer(services).verify(request.query_params.get("t"))
    except InvalidDownload:
        return render_message(request, say.download_expired())
    if (grant.deal_id, grant.invoice_id) != (deal_id, invoice_id):
        return render_message(request, say.not_found())
    user = await session_user(services, grant.company_id, grant.user_id)
    if user is None:
        return render_message(request, say.download_expired())
    stack = contextlib.AsyncExitStack()
    try:
        download = await stack.enter_async_context(
            actions.invoice_pdf(services, user, deal_id, invoice_id)
        )
    except BaseException:
        await stack.aclose()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in download.chunks:
                yield chunk
        finally:
            await stack.aclose()

    return StreamingResponse(
        body(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": _attachment(download.filename),
            "Cache-Control": "no-store",
        },
        # Also when the browser goes away before the body was read.
        background=BackgroundTask(stack.aclose),
    )


def _attachment(filename: str) -> str:
    """An ASCII file name for every browser, and the exact one (RFC 6266 ``filename*``)."""
    plain = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in filename
    )
    exact = quote(filename, safe="")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}"


routes = [
    Mount(
        "/deals/{deal_id:int}/invoices/{invoice_id}",
        routes=[
            Route("/pdf", pdf, methods=["GET"], name="pdf"),
            Route("/send", send, methods=["POST"], name="send"),
            Route("/copy-link", copy_link, methods=["POST"], name="copy_link"),
            Route("/void", void, methods=["POST"], name="void"),
            Route("/delete", delete, methods=["POST"], name="delete"),
            Route("/unlink", unlink, methods=["POST"], name="unlink"),
            Route("/link", link, methods=["POST"], name="link"),
        ],
        name="invoices",
    )
]
