"""Small pages in place of QuickBooks' own screens, so flows can be walked by hand: record a
payment against an invoice, and an invoice's page (where "Open in QuickBooks" leads, at the
path QuickBooks uses: ``/app/invoice?txnId=``)."""

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
                "selected": request.query_params.get("invoice", ""),
                "message": message,
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

    async def invoice_page(request: Request) -> Response:
        # QuickBooks opens the invoice in the company the person is signed in to; here that
        # is the realm asked for, else the default (US) one.
        realm_id = request.query_params.get("realm", US_REALM_ID)
        company = stand_in.company(realm_id)
        txn_id = request.query_params.get("txnId", "")
        invoice = company.get("Invoice", txn_id) if company else None
        context = {
            "realm_id": realm_id,
            "company_name": company.company_info.get("CompanyName", "") if company else "",
            "invoice": invoice,
            "txn_id": txn_id,
            "payments": list(invoice.get("_payments", [])) if invoice else [],
        }
        return sandbox.templates.TemplateResponse(
            request,
            "sandbox/quickbooks_invoice.html",
            context,
            status_code=200 if invoice else 404,
        )

    return [
        Route("/app/invoice", invoice_page, methods=["GET"], name="invoice_page"),
        Route("/payments/new", new_payment, methods=["GET"], name="payment_new"),
        Route("/payments", record_payment, methods=["POST"], name="payment_record"),
    ]
