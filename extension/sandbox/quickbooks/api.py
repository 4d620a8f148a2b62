"""The accounting API under ``/v3/company/{realmId}/...`` (reference §2–4).

Every request passes, in order: record → concurrency/rate throttle → hold/latency → injected
fault → bearer token → realm → requestid replay → the operation → webhook notification.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.quickbooks import customers, items, payments, rules
from extension.sandbox.quickbooks.bulk_ops import run_batch, run_cdc
from extension.sandbox.quickbooks.faults import (
    Fault,
    fault_body,
    gateway_401,
    intuit_tid,
    json_response,
    throttle_response,
)
from extension.sandbox.quickbooks.pdf import invoice_pdf
from extension.sandbox.quickbooks.properties import ENTITIES
from extension.sandbox.quickbooks.query_engine import prepare, run_query
from extension.sandbox.quickbooks.query_language import parse_query
from extension.sandbox.quickbooks.state import CompanyState, RecordedRequest
from extension.sandbox.quickbooks.validation import unsupported
from extension.sandbox.quickbooks.webhooks_out import WebhookSender

if TYPE_CHECKING:
    from extension.sandbox.quickbooks.standin import QuickBooksStandIn

__all__ = ["api_routes", "render", "ENTITY_NAMES", "answer_query"]

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ENTITY_NAMES = {name.lower(): name for name in ENTITIES}
_CREATORS: dict[str, Callable[[CompanyState, Json], Json]] = {
    "Invoice": rules.create_invoice,
    "Customer": customers.create_customer,
    "Item": items.create_item,
    "Payment": payments.create_payment,
}
_UPDATERS: dict[str, Callable[[CompanyState, Json], Json]] = {
    "Invoice": rules.update_invoice,
    "Customer": customers.update_customer,
    "Payment": payments.update_payment,
}


def render(company: CompanyState, entity: str, record: Json, include: str = "") -> Json:
    """What QBO shows of a stored record: no private bookkeeping, a link only when allowed."""
    out = {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
    if entity == "Invoice" and "invoicelink" in include.lower().split(","):
        allowed = (
            company.pref("SalesFormsPrefs", "ETransactionPaymentEnabled")
            and (record.get("AllowOnlineCreditCardPayment") or record.get("AllowOnlineACHPayment"))
            and (record.get("BillEmail") or {}).get("Address")
        )
        if allowed:
            out["InvoiceLink"] = f"https://connect.intuit.example/t/scs-v1-{record['Id']}"
    return out


def answer_query(company: CompanyState, sql: str, include: str = "") -> Json:
    """The ``QueryResponse`` for one statement (also a batch item's answer)."""
    parsed = prepare(parse_query(sql))
    records = company.table(parsed.entity).values()
    rows = [render(company, parsed.entity, record, include) for record in records]
    return run_query(parsed, rows, company.zone)


def _decode(raw: bytes) -> Json:
    try:
        body = json.loads(raw, parse_float=Decimal) if raw else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise unsupported(f"Unexpected character: {exc}") from exc
    if not isinstance(body, dict):
        raise unsupported("Can not deserialize instance out of START_ARRAY token")
    return body


def _no_resource(request: Request) -> Fault:
    """What QBO answers for a URL it has no resource for (recorded bodies: HTTP 400, code 500)."""
    relative = request.url.path[request.url.path.index("/v3/company/") :]
    return Fault(
        "500",
        "Unsupported Operation",
        f"Operation Could not find resource for relative : {relative} of full path: "
        f"{request.url} is not supported.",
        element=None,
    )


def _operation(company: CompanyState, request: Request, parts: list[str], raw: bytes) -> Any:
    """The answer body for a request the realm may make, or a Fault."""
    method, query = request.method, request.query_params
    include = query.get("include", "")
    time = company.time()
    head = parts[0].lower() if parts else ""
    if head == "query":
        sql = query.get("query") or raw.decode("utf-8", "replace")
        return {"QueryResponse": answer_query(company, sql, include), "time": time}
    if head == "batch" and method == "POST":
        return {"BatchItemResponse": run_batch(company, _decode(raw)), "time": time}
    if head == "cdc" and method == "GET":
        return run_cdc(company, query.get("entities", ""), query.get("changedSince", ""))
    if head == "preferences" and method == "GET":
        return {"Preferences": render(company, "Preferences", company.preferences), "time": time}
    if head == "companyinfo" and method == "GET":
        return {"CompanyInfo": render(company, "CompanyInfo", company.company_info), "time": time}
    entity = ENTITY_NAMES.get(head)
    if entity is None:
        raise _no_resource(request)
    if method == "GET" and len(parts) == 2:
        record = company.get(entity, parts[1])
        if record is None:
            raise rules.not_found(entity, parts[1])
        return {entity: render(company, entity, record, include), "time": time}
    if entity == "Invoice" and len(parts) == 3:
        record = company.get(entity, parts[1])
        if record is None:
            raise rules.not_found(entity, parts[1])
        if parts[2] == "pdf" and method == "GET":
            name = str(company.company_info.get("CompanyName", ""))
            return Response(invoice_pdf(name, record), media_type="application/pdf")
        if parts[2] == "send" and method == "POST":
            return {"Invoice": render(company, entity, _send(company, record, query)), "time": time}
    if method == "POST" and len(parts) == 1:
        body = _decode(raw)
        operation = query.get("operation", "")
        if entity == "Invoice" and operation == "void":
            saved = rules.void_invoice(company, body)
        elif entity == "Invoice" and operation == "delete":
            return {"Invoice": rules.delete_invoice(company, body), "time": time}
        elif operation in ("", "update") and body.get("Id") and entity in _UPDATERS:
            saved = _UPDATERS[entity](company, body)
        elif operation == "" and entity in _CREATORS:
            saved = _CREATORS[entity](company, body)
        else:
            raise Fault(
                "500",
                "Unsupported Operation",
                f"Operation {operation or 'create'} is not supported for {entity}",
                fault_type="ValidationFault",
            )
        return {entity: render(company, entity, saved, include), "time": time}
    raise _no_resource(request)


def _send(company: CompanyState, record: Json, query: Any) -> Json:
    to = query.get("sendTo")
    if to:
        record["BillEmail"] = {"Address": to}
    if not (record.get("BillEmail") or {}).get("Address"):
        rules.required(record, "BillEmail")
    record["EmailStatus"] = "EmailSent"
    record["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": company.stamp()}
    company.emails_sent += 1
    return company.touch("Invoice", record, "Emailed")


def api_routes(stand_in: QuickBooksStandIn, webhooks: WebhookSender) -> list[BaseRoute]:
    config = stand_in.config

    async def api(request: Request) -> Response:
        raw = await request.body()
        realm_id = request.path_params["realm_id"]
        path = request.path_params["rest"]
        stand_in.requests.append(
            RecordedRequest(
                method=request.method,
                path=f"/v3/company/{realm_id}/{path}",
                query=dict(request.query_params),
                authorization=request.headers.get("authorization", ""),
                content_type=request.headers.get("content-type", ""),
                body=raw,
            )
        )
        stand_in.in_flight += 1
        stand_in.max_in_flight_seen = max(stand_in.max_in_flight_seen, stand_in.in_flight)
        try:
            if stand_in.in_flight > config.max_concurrent or stand_in.over_rate_limit():
                return throttle_response(stand_in.clock.stamp())
            if config.hold is not None:
                await config.hold.wait()
            if config.latency:
                await asyncio.sleep(config.latency)
            return await _answer(request, realm_id, path, raw)
        finally:
            stand_in.in_flight -= 1

    async def _answer(request: Request, realm_id: str, path: str, raw: bytes) -> Response:
        fault = next((f for f in config.faults if f.matches(request.method, path)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                config.faults.remove(fault)
        elif config.random_faults is not None:
            fault = config.random_faults.draw(request.method)
        if fault is not None:
            if fault.kind == "timeout":
                raise httpx.ReadTimeout("stand-in: injected timeout")
            if fault.kind == "throttle":
                return throttle_response(stand_in.clock.stamp())
            if fault.kind in ("500", "503"):
                return Response(status_code=int(fault.kind), headers={"intuit_tid": intuit_tid()})
        token = request.headers.get("authorization", "")
        token_realm = stand_in.realm_for_access_token(token.removeprefix("Bearer ").strip())
        epoch_ms = int(stand_in.clock.now().timestamp() * 1000)
        if token_realm is None:
            return gateway_401(epoch_ms)
        company = stand_in.company(realm_id)
        if company is None or token_realm != realm_id:
            forbidden = Fault("100", "General Authentication Error", "Wrong realm",
                              fault_type="AuthenticationFault", status=403)  # fmt: skip
            return json_response(fault_body(forbidden, stand_in.clock.stamp()), status=403)
        requestid = request.query_params.get("requestid")
        if requestid and requestid in company.replays:
            status, body = company.replays[requestid]
            return json_response(body, status=status)
        changes_before = len(company.changes)
        try:
            result = _operation(company, request, [p for p in path.split("/") if p], raw)
            status = 200
        except Fault as exc:
            result, status = fault_body(exc, company.time()), exc.status
        except Exception:  # a stand-in bug: answer as QBO's SystemFault, never a bare 500
            logger.exception("QuickBooks stand-in failed on %s %s", request.method, path)
            failure = Fault("10000", "An application error has occurred while processing your "
                            "request", "System Failure Error: An unexpected error occurred",
                            fault_type="SystemFault", status=500)  # fmt: skip
            result, status = fault_body(failure, company.time()), 500
        if requestid and request.method == "POST":
            company.replays[requestid] = (status, result)
        webhooks.notify(realm_id, company.changes[changes_before:])
        if fault is not None and fault.kind == "timeout_after_commit":
            raise httpx.ReadTimeout("stand-in: injected timeout after the write was committed")
        if isinstance(result, Response):
            return result
        return json_response(result, status=status)

    return [Route("/v3/company/{realm_id}/{rest:path}", api, methods=["GET", "POST"], name="api")]
