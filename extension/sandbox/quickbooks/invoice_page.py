"""An invoice's page in place of QuickBooks' own (where "Open in QuickBooks" leads, at the path
QuickBooks uses: ``/app/invoice?txnId=``), with what a bookkeeper does there: receive a
payment, void the invoice or delete it.

Void and Delete go through the stand-in's own rules (an invoice with payments applied is
refused, as QuickBooks refuses it) and notify the app by webhook as QuickBooks does, unless
the sandbox's switch (``POST /app/webhooks``) drops webhooks: then only the app's reconciler,
asking for changes by itself, finds out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.quickbooks import rules
from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.seed import US_REALM_ID

if TYPE_CHECKING:
    from extension.sandbox import Sandbox
    from extension.sandbox.quickbooks.standin import QuickBooksStandIn
    from extension.sandbox.quickbooks.webhooks_out import WebhookSender

__all__ = ["invoice_routes"]

_FORM_LIMIT = 4096


def invoice_routes(
    sandbox: Sandbox, stand_in: QuickBooksStandIn, webhooks: WebhookSender
) -> list[BaseRoute]:
    def _page(request: Request, realm_id: str, txn_id: str, message: str = "") -> Response:
        company = stand_in.company(realm_id)
        invoice = company.get("Invoice", txn_id) if company else None
        deleted = company is not None and ("Invoice", txn_id) in company.deleted
        context = {
            "realm_id": realm_id,
            "company_name": company.company_info.get("CompanyName", "") if company else "",
            "invoice": invoice,
            "txn_id": txn_id,
            "deleted": deleted,
            "payments": list(invoice.get("_payments", [])) if invoice else [],
            "message": message,
            "webhooks_enabled": stand_in.config.webhooks_enabled,
        }
        status = 422 if message else 200 if invoice or deleted else 404
        return sandbox.templates.TemplateResponse(
            request, "sandbox/quickbooks_invoice.html", context, status_code=status
        )

    async def invoice_page(request: Request) -> Response:
        # QuickBooks opens the invoice in the company the person is signed in to; here that
        # is the realm asked for, else the default (US) one.
        query = request.query_params
        return _page(request, query.get("realm", US_REALM_ID), query.get("txnId", ""))

    async def change_invoice(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4, max_part_size=_FORM_LIMIT)
        realm_id, txn_id = str(form.get("realm_id", US_REALM_ID)), str(form.get("txn_id", ""))
        action = request.path_params["action"]
        company = stand_in.company(realm_id)
        invoice = company.get("Invoice", txn_id) if company else None
        if company is None or invoice is None:
            return _page(request, realm_id, txn_id, "There is no such invoice.")
        before = len(company.changes)
        body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
        try:
            if action == "void":
                rules.void_invoice(company, body)
            else:
                rules.delete_invoice(company, body)
        except Fault as fault:
            return _page(request, realm_id, txn_id, f"{fault.message}: {fault.detail}")
        webhooks.notify(realm_id, company.changes[before:])
        target = request.url_for("sandbox:quickbooks:invoice_page").include_query_params(
            realm=realm_id, txnId=txn_id
        )
        return RedirectResponse(str(target), status_code=303)

    async def switch_webhooks(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4, max_part_size=_FORM_LIMIT)
        stand_in.config.webhooks_enabled = form.get("enabled") == "1"
        back = str(form.get("next", ""))
        parts = urlsplit(back)
        # Back to the stand-in page the switch was on; nowhere else.
        if parts.scheme or parts.netloc or not parts.path.startswith("/sandbox/quickbooks/"):
            back = str(request.url_for("sandbox:quickbooks:payment_new"))
        return RedirectResponse(back, status_code=303)

    return [
        Route("/app/invoice", invoice_page, methods=["GET"], name="invoice_page"),
        Route(
            "/app/invoice/{action:str}",
            change_invoice,
            methods=["POST"],
            name="invoice_change",
        ),
        Route("/app/webhooks", switch_webhooks, methods=["POST"], name="webhooks_switch"),
    ]
