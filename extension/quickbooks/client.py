"""The typed async QuickBooks Online client, one per realm (``connection.client_for_company``).

Every method returns models (``extension.quickbooks.models``), never JSON or responses, and
raises only :class:`~extension.quickbooks.errors.QuickBooksError` subclasses. Writes carry a
``requestid`` made once per logical write (callers that persist it, e.g. invoice create
attempts, pass their own) and reused by the transport on retries.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from extension.ids import is_id_text
from extension.quickbooks.bulk import (
    BATCH_LIMIT,
    BatchOperation,
    BatchResult,
    ChangeSet,
    parse_batch_item,
    parse_cdc,
)
from extension.quickbooks.errors import QuickBooksRejected, QuickBooksUnavailable
from extension.quickbooks.invoice_models import (
    Invoice,
    InvoiceChanges,
    InvoiceDraft,
    Payment,
    PaymentLine,
    QueryPage,
)
from extension.quickbooks.limits import Limits
from extension.quickbooks.models import (
    Account,
    CompanyInfo,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Entity,
    Item,
    ItemDraft,
    Json,
    Preferences,
    TaxCode,
    TaxRate,
    Term,
)
from extension.quickbooks.query import MAX_RESULTS_LIMIT, Query
from extension.quickbooks.transport import QuickBooksTransport, TokenProvider
from extension.upstream_retry import RetryPolicy

__all__ = ["QuickBooksClient", "new_request_id"]

E = TypeVar("E", bound=Entity)


def new_request_id() -> str:
    return uuid.uuid4().hex  # 32 chars: within QBO's 50 (and batch's 36) limit


def _checked_id(entity_id: str) -> str:
    # Ids go into the URL path: digits only, so nothing can climb out of the entity's path.
    if not is_id_text(entity_id):
        raise ValueError(f"not a QuickBooks id: {entity_id!r}")
    return entity_id


def _envelope(body: Any, key: str, tid: str = "") -> Json:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise QuickBooksUnavailable(f"QuickBooks answer has no {key}", intuit_tid=tid)
    return value


class QuickBooksClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        realm_id: str,
        tokens: TokenProvider,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.realm_id = realm_id
        self._transport = QuickBooksTransport(
            http, api_url=api_url, realm_id=realm_id, tokens=tokens, limits=limits, retry=retry
        )

    def __repr__(self) -> str:
        return f"QuickBooksClient(realm_id={self.realm_id!r})"

    # ---- generic -------------------------------------------------------------------------

    async def read(self, cls: type[E], entity_id: str, *, include: str = "") -> E:
        params = {"include": include} if include else None
        path = f"{cls.ENTITY.lower()}/{_checked_id(entity_id)}"
        body = await self._transport.json("GET", path, params=params)
        return cls.from_api(_envelope(body, cls.ENTITY))

    async def query(self, cls: type[E], query: Query, *, include: str = "") -> QueryPage[E]:
        params = {"query": query.to_sql()}
        if include:
            params["include"] = include
        body = await self._transport.json("GET", "query", params=params)
        result = _envelope(body, "QueryResponse")
        rows = result.get(cls.ENTITY) or []
        total = result.get("totalCount")
        return QueryPage(
            items=[cls.from_api(row) for row in rows if isinstance(row, dict)],
            start_position=int(result.get("startPosition", query.start_position)),
            max_results=int(result.get("maxResults", len(rows))),
            total_count=int(total) if total is not None else None,
        )

    async def query_all(self, cls: type[E], query: Query, *, include: str = "") -> list[E]:
        """Every page: stop when a page comes back shorter than asked (not on totalCount)."""
        query = query.page(query.start_position, MAX_RESULTS_LIMIT)
        found: list[E] = []
        while True:
            page = await self.query(cls, query, include=include)
            found.extend(page.items)
            if len(page.items) < query.max_results:
                return found
            query = query.next_page()

    async def read_many(
        self, cls: type[E], entity_ids: Sequence[str], *, include: str = ""
    ) -> list[E]:
        """Many entities in one query per thousand ids (``Id IN (...)``); ids QuickBooks does
        not have (deleted transactions, inactive names) are simply absent."""
        found: list[E] = []
        ids = list(dict.fromkeys(entity_ids))
        for start in range(0, len(ids), MAX_RESULTS_LIMIT):
            chunk = ids[start : start + MAX_RESULTS_LIMIT]
            query = Query(cls.ENTITY).where_in("Id", chunk).page(1, MAX_RESULTS_LIMIT)
            found.extend((await self.query(cls, query, include=include)).items)
        return found

    async def count(self, query: Query) -> int:
        body = await self._transport.json(
            "GET", "query", params={"query": query.counting().to_sql()}
        )
        return int(_envelope(body, "QueryResponse").get("totalCount", 0))

    async def _write(
        self,
        cls: type[E],
        body: Json,
        *,
        requestid: str | None,
        operation: str = "",
        include: str = "",
    ) -> Json:
        params = {k: v for k, v in (("operation", operation), ("include", include)) if v}
        answer = await self._transport.json(
            "POST",
            cls.ENTITY.lower(),
            params=params,
            body=body,
            requestid=requestid or new_request_id(),
        )
        return _envelope(answer, cls.ENTITY)

    # ---- lists the settings page needs --------------------------------------------------

    async def get_company_info(self) -> CompanyInfo:
        body = await self._transport.json("GET", f"companyinfo/{self.realm_id}")
        return CompanyInfo.from_api(_envelope(body, "CompanyInfo"))

    async def get_preferences(self) -> Preferences:
        body = await self._transport.json("GET", "preferences")
        return Preferences.from_api(_envelope(body, "Preferences"))

    async def list_tax_codes(self) -> list[TaxCode]:
        return await self.query_all(TaxCode, Query("TaxCode"))

    async def list_tax_rates(self) -> list[TaxRate]:
        return await self.query_all(TaxRate, Query("TaxRate"))

    async def list_terms(self) -> list[Term]:
        return await self.query_all(Term, Query("Term"))

    async def list_income_accounts(self) -> list[Account]:
        return await self.query_all(Account, Query("Account").where("AccountType", "=", "Income"))

    async def list_items(self) -> list[Item]:
        return await self.query_all(Item, Query("Item").ordered_by("Name"))

    async def create_item(self, draft: ItemDraft, *, requestid: str | None = None) -> Item:
        return Item.from_api(await self._write(Item, draft.to_api(), requestid=requestid))

    # ---- customers -----------------------------------------------------------------------

    async def get_customer(self, customer_id: str) -> Customer:
        return await self.read(Customer, customer_id)

    async def get_customers(self, customer_ids: Sequence[str]) -> list[Customer]:
        """Many active customers in one query per thousand ids."""
        return await self.read_many(Customer, customer_ids)

    async def find_customers(self, name_prefix: str, *, limit: int = 20) -> list[Customer]:
        query = Query("Customer").where("DisplayName", "LIKE", f"{name_prefix}%")
        page = await self.query(Customer, query.ordered_by("DisplayName").page(1, limit))
        return page.items

    async def create_customer(
        self, draft: CustomerDraft, *, requestid: str | None = None
    ) -> Customer:
        return Customer.from_api(await self._write(Customer, draft.to_api(), requestid=requestid))

    async def update_customer(self, update: CustomerUpdate) -> Customer:
        """A sparse update with the SyncToken read before it; a stale one answers 5010."""
        return Customer.from_api(await self._write(Customer, update.to_api(), requestid=None))

    # ---- invoices ------------------------------------------------------------------------

    async def get_invoice(self, invoice_id: str, *, include_link: bool = False) -> Invoice:
        return await self.read(Invoice, invoice_id, include="invoiceLink" if include_link else "")

    async def get_invoices(
        self, invoice_ids: Sequence[str], *, include_link: bool = False
    ) -> list[Invoice]:
        """Many invoices in one query per thousand ids (``Id IN (...)``)."""
        return await self.read_many(
            Invoice, invoice_ids, include="invoiceLink" if include_link else ""
        )

    async def create_invoice(
        self, draft: InvoiceDraft, *, requestid: str | None = None, include_link: bool = False
    ) -> Invoice:
        data = await self._write(
            Invoice,
            draft.to_api(),
            requestid=requestid,
            include="invoiceLink" if include_link else "",
        )
        return Invoice.from_api(data)

    async def create_invoice_from_body(
        self, body: bytes, *, requestid: str, include_link: bool = False
    ) -> Invoice:
        """Send a create request whose body was stored before (exactly-once posting): the
        bytes go out unchanged, so a repeated requestid always carries its first body."""
        params = {"include": "invoiceLink"} if include_link else None
        answer = await self._transport.json(
            "POST", "invoice", params=params, content=body, requestid=requestid
        )
        return Invoice.from_api(_envelope(answer, "Invoice"))

    async def update_invoice(
        self, invoice_id: str, changes: InvoiceChanges, *, sync_token: str | None = None
    ) -> Invoice:
        return await self._with_sync_token(
            invoice_id, sync_token, {**changes.to_api(), "sparse": True}, ""
        )

    async def void_invoice(self, invoice_id: str, *, sync_token: str | None = None) -> Invoice:
        return await self._with_sync_token(invoice_id, sync_token, {}, "void")

    async def delete_invoice(self, invoice_id: str, *, sync_token: str | None = None) -> None:
        await self._with_sync_token(invoice_id, sync_token, {}, "delete")

    async def _with_sync_token(
        self, invoice_id: str, sync_token: str | None, extra: Json, operation: str
    ) -> Invoice:
        token = (
            sync_token
            if sync_token is not None
            else (await self.get_invoice(invoice_id)).sync_token
        )
        for attempt in (1, 2):
            body = {"Id": invoice_id, "SyncToken": token, **extra}
            try:
                # A fresh requestid per attempt: the retry has another SyncToken, and reusing
                # the id would make QBO replay the first (stale) answer.
                data = await self._write(Invoice, body, requestid=None, operation=operation)
            except QuickBooksRejected as exc:
                if not exc.is_stale_object or attempt == 2:
                    raise
                token = (await self.get_invoice(invoice_id)).sync_token
                continue
            if operation == "delete":
                return Invoice.from_api({"Id": invoice_id, **data})
            return Invoice.from_api(data)
        raise AssertionError("unreachable")

    async def customer_invoices(
        self, customer_id: str, *, first_day: date, end_day: date, include_link: bool = False
    ) -> list[Invoice]:
        """Every invoice of one customer with ``first_day <= TxnDate < end_day``, newest first
        (each page holds up to a thousand)."""
        query = (
            Query("Invoice")
            .where("CustomerRef", "=", customer_id)
            .where("TxnDate", ">=", first_day)
            .where("TxnDate", "<", end_day)
            .ordered_by("TxnDate", descending=True)
        )
        return await self.query_all(Invoice, query, include="invoiceLink" if include_link else "")

    @contextlib.asynccontextmanager
    async def invoice_pdf_stream(self, invoice_id: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """The invoice's PDF as QuickBooks sends it, chunk by chunk; raises the client's
        errors before the first chunk."""
        async with self._transport.stream(
            f"invoice/{_checked_id(invoice_id)}/pdf", accept="application/pdf, application/json"
        ) as response:
            yield response.aiter_bytes()

    async def invoice_pdf(self, invoice_id: str) -> bytes:
        response = await self._transport.request(
            "GET",
            f"invoice/{_checked_id(invoice_id)}/pdf",
            accept="application/pdf, application/json",
        )
        return response.content

    async def send_invoice(
        self, invoice_id: str, *, to: str | None = None, requestid: str | None = None
    ) -> Invoice:
        params = {"sendTo": to} if to else None
        body = await self._transport.json(
            "POST",
            f"invoice/{_checked_id(invoice_id)}/send",
            params=params,
            content=b"",
            content_type="application/octet-stream",
            requestid=requestid or new_request_id(),
        )
        return Invoice.from_api(_envelope(body, "Invoice"))

    async def invoice_link(self, invoice_id: str) -> str | None:
        """The customer-facing link; None unless online payments and a BillEmail allow one."""
        link = (await self.get_invoice(invoice_id, include_link=True)).invoice_link
        return link or None

    # ---- payments ------------------------------------------------------------------------

    async def get_payment(self, payment_id: str) -> Payment:
        return await self.read(Payment, payment_id)

    async def get_payments(self, payment_ids: Sequence[str]) -> list[Payment]:
        """Many payments in one query per thousand ids; deleted ones are absent."""
        return await self.read_many(Payment, payment_ids)

    async def update_payment_lines(
        self, payment: Payment, lines: Sequence[PaymentLine], *, sync_token: str
    ) -> Payment:
        """Replace what the payment is applied to (a sparse update: its lines are replaced
        wholesale, nothing else changes). What a removed line paid stays on the payment as
        unapplied credit for the customer. Raises QuickBooksRejected 5010 on a stale token."""
        body: Json = {
            "Id": payment.id,
            "SyncToken": sync_token,
            "sparse": True,
            "TotalAmt": payment.total,
            "Line": [line.to_api() for line in lines],
        }
        if payment.customer is not None:
            body["CustomerRef"] = {"value": payment.customer.value}
        return Payment.from_api(await self._write(Payment, body, requestid=None))

    # ---- batch and change data capture ---------------------------------------------------

    async def batch(self, operations: Sequence[BatchOperation]) -> list[BatchResult]:
        results: list[BatchResult] = []
        for start in range(0, len(operations), BATCH_LIMIT):
            chunk = operations[start : start + BATCH_LIMIT]
            body = await self._transport.json(
                "POST",
                "batch",
                body={"BatchItemRequest": [op.to_api() for op in chunk]},
                requestid=new_request_id(),
            )
            items = body.get("BatchItemResponse") if isinstance(body, dict) else None
            results.extend(parse_batch_item(i) for i in items or [] if isinstance(i, dict))
        return results

    async def change_data_capture(self, entities: Sequence[str], since: datetime) -> ChangeSet:
        if since.tzinfo is None:
            raise ValueError("changedSince needs a timezone-aware datetime")
        params = {
            "entities": ",".join(entities),
            "changedSince": since.isoformat(timespec="seconds"),
        }
        return parse_cdc(await self._transport.json("GET", "cdc", params=params))
