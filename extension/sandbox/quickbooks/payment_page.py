"""A page in place of QuickBooks' "Receive payment" screen, so flows can be walked by hand:
record a payment against an invoice (the invoice's own page, with Void and Delete, is
``invoice_page``). Like every change in the stand-in, a payment notifies the app by webhook
unless the sandbox's switch drops them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.quickbooks import payments
from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.seed import US_REALM_ID

if TYPE_CHECKING:
    from extension.sandbox import Sandbox
    from extension.sandbox.quickbooks.standin import QuickBooksStandIn
    from extension.sandbox.quickbooks.webhooks_out import WebhookSender

__all__ = ["payment_routes"]


def payment_routes(
    sandbox: Sandbox, stand_in: QuickBooksStandIn, webhooks: WebhookSender
) -> list[BaseRoute]:
    def _page(request: Request, realm_id: str, message: str = "", status: int = 200) -> Response:
        company = stand_in.company(realm_id) or stand_in.companies[US_REALM_ID]
        open_invoices = [
            inv for inv in company.table("Invoice").values() if Decimal(inv["Balance"]) > 0
        ]
        return sandbox.templates.TemplateResponse(
            request,
            "sandbox/quickbooks_payment.html",
            {
                "realm_id": company.realm_id,
                "company_name": company.company_info.get("CompanyName", ""),
                "invoices": open_invoices,
                "all_invoices": list(company.table("Invoice").values()),
                "selected": request.query_params.get("invoice", ""),
                "message": message,
                "webhooks_enabled": stand_in.config.webhooks_enabled,
            },
            status_code=status,
        )

    async def new_payment(request: Request) -> Response:
        return _page(request, request.query_params.get("realm", US_REALM_ID))

    async def record_payment(request: Request) -> Response:
        form = await request.form()
        realm_id = str(form.get("realm_id", US_REALM_ID))
        company = stand_in.company(realm_id)
        invoice = company.get("Invoice", str(form.get("invoice_id", ""))) if company else None
        if company is None or invoice is None:
            return _page(request, realm_id, "Choose an open invoice.", 422)
        try:
            amount = Decimal(str(form.get("amount", "")))
        except InvalidOperation:
            return _page(request, realm_id, "The amount must be a number.", 422)
        before = len(company.changes)
        try:
            payments.create_payment(
                company,
                {
                    "CustomerRef": invoice["CustomerRef"],
                    "TotalAmt": amount,
                    "Line": [
                        {
                            "Amount": amount,
                            "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                        }
                    ],
                },
            )
        except Fault as fault:
            return _page(request, realm_id, f"{fault.message}: {fault.detail}", 422)
        webhooks.notify(realm_id, company.changes[before:])
        target = request.url_for("sandbox:quickbooks:payment_new").include_query_params(
            realm=realm_id
        )
        return RedirectResponse(str(target), status_code=303)

    return [
        Route("/payments/new", new_payment, methods=["GET"], name="payment_new"),
        Route("/payments", record_payment, methods=["POST"], name="payment_record"),
    ]
