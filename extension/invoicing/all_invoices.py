"""The all-invoices modal: every invoice of the customer(s) the deal's contact is linked to.

Invoices created in QuickBooks directly, or from other deals, count too. Choosing a range (or
opening the modal) reads that range of each customer from QuickBooks into the mirror (a query
by ``CustomerRef`` and ``TxnDate``), then the rows are paged from the mirror newest first, with
totals per currency for the whole range; "more" pages come from the mirror alone. When
QuickBooks cannot be asked, the mirror is shown, marked as possibly out of date.

A customer id in the request (the filter when the organization and the person are linked to
different customers) must be one of this deal's: anything else is not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from extension.accounts.permissions import Action
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.invoicing.company_clock import load_clock
from extension.invoicing.deal_scope import (
    DealScope,
    InvoiceOutOfScope,
    deal_customer_links,
    open_deal,
)
from extension.invoicing.invoice_rows import InvoiceRow, row_from_mirror
from extension.invoicing.mirror_sync import Staleness, read_customer_range, staleness_of
from extension.invoicing.problems import Problem
from extension.invoicing.time_ranges import DateRange, RangeKind, custom_range, date_range
from extension.quickbooks.errors import QuickBooksError
from extension.services import Services
from extension.store.deal_links import links_for_invoices
from extension.store.invoice_mirror import mirrored_invoices
from extension.store.invoice_pages import (
    PageCursor,
    RangeTotals,
    customer_invoice_page,
    customer_range_totals,
)
from extension.store.link_models import ContactLink

__all__ = [
    "PAGE_SIZE",
    "RangeFilter",
    "RangeTotals",
    "AllInvoicesView",
    "all_invoices",
    "modal_row",
    "modal_totals",
]

PAGE_SIZE = 25
DEFAULT_RANGE = RangeKind.THIS_YEAR


@dataclass(frozen=True, slots=True)
class RangeFilter:
    """The modal's filter as the request gave it (unsigned input, checked here)."""

    kind: RangeKind = DEFAULT_RANGE
    first: str = ""  # custom range, as typed (yyyy-mm-dd from a date input)
    last: str = ""
    customer: str = ""  # "" = every customer of the deal
    cursor: str = ""

    @classmethod
    def parse(cls, values: dict[str, str]) -> RangeFilter:
        try:
            kind = RangeKind(values.get("range", ""))
        except ValueError:
            kind = DEFAULT_RANGE
        return cls(
            kind=kind,
            first=values.get("from", "").strip(),
            last=values.get("to", "").strip(),
            customer=values.get("customer", "").strip(),
            cursor=values.get("after", "").strip(),
        )


@dataclass(frozen=True, slots=True)
class AllInvoicesView:
    scope: DealScope
    filter: RangeFilter
    customers: list[ContactLink] = field(default_factory=list)
    range: DateRange | None = None
    problem: Problem | None = None
    rows: list[InvoiceRow] = field(default_factory=list)
    totals: list[RangeTotals] = field(default_factory=list)
    next_cursor: str | None = None
    stale: Staleness | None = None

    @property
    def linked(self) -> bool:
        return bool(self.customers)

    @property
    def deal_id(self) -> int:
        return self.scope.deal.id


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _range(filt: RangeFilter, today: date) -> DateRange | Problem:
    if filt.kind is RangeKind.CUSTOM:
        first, last = _day(filt.first), _day(filt.last)
        if filt.first and first is None:
            return Problem("range-from", "date_invalid")
        if filt.last and last is None:
            return Problem("range-to", "date_invalid")
        return custom_range(first, last)
    return date_range(filt.kind, today)


def _in_home_currency(totals: list[RangeTotals], home: str) -> list[RangeTotals]:
    """Invoices of a company without multicurrency carry no currency: they are in its home
    currency."""
    return [
        RangeTotals(t.currency or home, t.count, t.invoiced, t.open_balance, t.overdue)
        for t in totals
    ]


def _chosen(customers: list[ContactLink], filt: RangeFilter) -> list[str]:
    ids = [link.customer_id for link in customers]
    if filt.customer:
        if filt.customer not in ids:
            raise InvoiceOutOfScope(filt.customer)
        return [filt.customer]
    return ids


async def all_invoices(
    services: Services, user: SessionUser, deal_id: int, filt: RangeFilter
) -> AllInvoicesView:
    """The modal's content for one filter; reads the range from QuickBooks first unless the
    request is for a further page."""
    scope = await open_deal(services, user, deal_id, Action.VIEW)
    if not scope.status.connected:
        return AllInvoicesView(scope=scope, filter=filt)
    async with services.sessionmaker() as session:
        customers = await deal_customer_links(session, scope)
        clock = await load_clock(session, scope.company_id, scope.realm_id)
    view = AllInvoicesView(scope=scope, filter=filt, customers=customers)
    if not customers:
        return view
    chosen = _chosen(customers, filt)
    bounds = _range(filt, clock.today())
    if isinstance(bounds, Problem):
        return AllInvoicesView(scope=scope, filter=filt, customers=customers, problem=bounds)
    after = PageCursor.parse(filt.cursor) if filt.cursor else None
    stale: Staleness | None = None
    if after is None:
        try:
            client = await client_for_company(services, scope.company_id)
            await read_customer_range(
                services, scope.company_id, client, chosen, start=bounds.start, end=bounds.end
            )
        except QuickBooksError as exc:
            stale = staleness_of(exc)
            if stale is None:
                raise
    async with services.sessionmaker() as session:
        clock = await load_clock(session, scope.company_id, scope.realm_id)
        today = clock.today()
        page = await customer_invoice_page(
            session,
            scope.company_id,
            scope.realm_id,
            chosen,
            bounds.start,
            bounds.end,
            after=after,
            limit=PAGE_SIZE,
        )
        totals = await customer_range_totals(
            session, scope.company_id, scope.realm_id, chosen, bounds.start, bounds.end, today=today
        )
        links = await links_for_invoices(
            session, scope.company_id, scope.realm_id, [row.invoice_id for row in page.rows]
        )
    status = scope.status
    rows = [
        row_from_mirror(
            row,
            today=today,
            home_currency=status.home_currency,
            online_payments=status.online_payments,
            settings=services.settings,
            link=links.get(row.invoice_id),
        )
        for row in page.rows
    ]
    return AllInvoicesView(
        scope=scope,
        filter=filt,
        customers=customers,
        range=bounds,
        rows=rows,
        totals=_in_home_currency(totals, status.home_currency),
        next_cursor=page.next_cursor.token if page.next_cursor else None,
        stale=stale,
    )


async def modal_row(services: Services, scope: DealScope, invoice_id: str) -> InvoiceRow | None:
    """One row as the modal shows it, from the mirror (after an action changed it)."""
    async with services.sessionmaker() as session:
        mirrored = (
            await mirrored_invoices(session, scope.company_id, scope.realm_id, [invoice_id])
        ).get(invoice_id)
        links = await links_for_invoices(session, scope.company_id, scope.realm_id, [invoice_id])
        clock = await load_clock(session, scope.company_id, scope.realm_id)
    if mirrored is None:
        return None
    return row_from_mirror(
        mirrored,
        today=clock.today(),
        home_currency=scope.status.home_currency,
        online_payments=scope.status.online_payments,
        settings=services.settings,
        link=links.get(invoice_id),
    )


async def modal_totals(
    services: Services, scope: DealScope, filt: RangeFilter
) -> list[RangeTotals] | None:
    """The range totals for the filter, from the mirror (after an action changed a row);
    None when the filter names no valid range."""
    async with services.sessionmaker() as session:
        customers = await deal_customer_links(session, scope)
        clock = await load_clock(session, scope.company_id, scope.realm_id)
        try:
            chosen = _chosen(customers, filt)
        except InvoiceOutOfScope:
            return None
        bounds = _range(filt, clock.today())
        if isinstance(bounds, Problem) or not chosen:
            return None
        totals = await customer_range_totals(
            session,
            scope.company_id,
            scope.realm_id,
            chosen,
            bounds.start,
            bounds.end,
            today=clock.today(),
        )
    return _in_home_currency(totals, scope.status.home_currency)
