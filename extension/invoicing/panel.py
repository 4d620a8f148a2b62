"""The deal panel: the deal's invoices from the mirror at once, and a refresh from QuickBooks.

Opening the panel asks QuickBooks nothing: it shows the mirror with the time it was last read.
When that is older than :data:`STALE_AFTER`, or a linked invoice was never read, the page asks
for a refresh by itself right after it shows (so statuses are current without anybody pressing
anything, where the integration we replace waited for a click). A refresh reads every invoice of
the deal in one query and swaps the list; when QuickBooks cannot be reached, is throttling us or
needs a reconnect, the list stays as the mirror has it, marked as possibly out of date.

The rows themselves (``deal_rows``) and the list's tag (``list_etag``) are shared with the live
updates an open panel asks for every few seconds (``extension.invoicing.live_panel``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from extension.accounts.permissions import Action, grants_for
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser, list_users
from extension.invoicing.company_clock import load_clock
from extension.invoicing.deal_scope import DealScope, deal_customer_links, open_deal
from extension.invoicing.invoice_rows import InvoiceRow, row_from_mirror, unread_row
from extension.invoicing.mirror_sync import Staleness, read_by_ids, staleness_of
from extension.invoicing.status import CompanyStatus, load_company_status
from extension.invoicing.summaries import CurrencySummary, summarize_invoices
from extension.quickbooks.errors import QuickBooksError
from extension.services import Services
from extension.settings import Settings
from extension.store.deal_links import deal_links
from extension.store.invoice_mirror import deal_invoices, deal_last_read
from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import ContactLink, DealInvoiceLink
from extension.store.models import utcnow

__all__ = [
    "STALE_AFTER",
    "PanelView",
    "DealRows",
    "deal_rows",
    "list_etag",
    "open_panel",
    "refresh_panel",
    "panel_view",
]

# How old the mirror may be before the panel refreshes itself when it opens.
STALE_AFTER = timedelta(minutes=5)


def list_etag(
    rows: Sequence[InvoiceRow], summaries: Sequence[CurrencySummary], last_read: datetime | None
) -> str:
    """One tag for everything the invoice list shows: its rows (in order), the totals and
    when it was read. An open panel sends it back (``If-None-Match``) to learn whether
    anything changed; every process computes the same tag from the same mirror."""
    digest = hashlib.blake2b(digest_size=10)
    for row in rows:
        digest.update(f"{row.invoice_id}:{row.version};".encode())
    digest.update(repr(tuple(summaries)).encode())
    digest.update((last_read.isoformat() if last_read else "").encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class PanelView:
    scope: DealScope
    rows: list[InvoiceRow] = field(default_factory=list)
    summaries: tuple[CurrencySummary, ...] = ()
    last_read: datetime | None = None
    stale: Staleness | None = None
    needs_refresh: bool = False
    admins: list[str] = field(default_factory=list)
    customers: list[ContactLink] = field(default_factory=list)

    @property
    def deal_id(self) -> int:
        return self.scope.deal.id

    @property
    def etag(self) -> str:
        return list_etag(self.rows, self.summaries, self.last_read)


@dataclass(frozen=True, slots=True)
class DealRows:
    """The deal's invoice rows as the mirror has them."""

    rows: list[InvoiceRow]
    summaries: tuple[CurrencySummary, ...]
    last_read: datetime | None
    unread: bool  # a linked invoice has never been read


async def deal_rows(
    services: Services,
    company_id: int,
    status: CompanyStatus,
    deal_id: int,
    *,
    gone: Collection[str] = (),
    now: datetime | None = None,
) -> DealRows:
    """The rows of the deal's linked invoices, newest first (``gone``: linked ids a read just
    found deleted), their totals and when they were read. Asks nothing of anyone but the
    database."""
    async with services.sessionmaker() as session:
        pairs = await deal_invoices(session, company_id, status.realm_id, deal_id)
        last_read = await deal_last_read(session, company_id, status.realm_id, deal_id)
        clock = await load_clock(session, company_id, status.realm_id)
    rows = _rows(pairs, services.settings, status, clock.today(now), gone)
    unread = any(not row.read for row in rows)
    summaries = summarize_invoices(row for row in rows if row.read)
    return DealRows(rows=rows, summaries=summaries, last_read=last_read, unread=unread)


def _rows(
    pairs: Sequence[tuple[DealInvoiceLink, MirroredInvoice | None]],
    settings: Settings,
    status: CompanyStatus,
    today: date,
    gone: Collection[str],
) -> list[InvoiceRow]:
    rows: list[InvoiceRow] = []
    for link, mirrored in pairs:
        if mirrored is None:
            deleted = link.invoice_id in gone
            rows.append(
                unread_row(
                    link, home_currency=status.home_currency, settings=settings, deleted=deleted
                )
            )
            continue
        rows.append(
            row_from_mirror(
                mirrored,
                today=today,
                home_currency=status.home_currency,
                online_payments=status.online_payments,
                settings=settings,
                link=link,
            )
        )
    return rows


async def _admin_names(services: Services, company_id: int) -> list[str]:
    return [u.name for u in await list_users(services, company_id) if u.is_admin]


async def panel_view(
    services: Services,
    scope: DealScope,
    *,
    stale: Staleness | None = None,
    gone: Collection[str] = (),
    now: datetime | None = None,
) -> PanelView:
    """The panel as the mirror has it (``gone``: linked ids a read just found deleted)."""
    admins = await _admin_names(services, scope.company_id)
    if not scope.status.connected:
        return PanelView(scope=scope, admins=admins)
    found = await deal_rows(
        services, scope.company_id, scope.status, scope.deal.id, gone=gone, now=now
    )
    async with services.sessionmaker() as session:
        customers = await deal_customer_links(session, scope)
    moment = now or utcnow()
    old = found.last_read is None or moment - found.last_read > STALE_AFTER
    return PanelView(
        scope=scope,
        rows=found.rows,
        summaries=found.summaries,
        last_read=found.last_read,
        stale=stale,
        needs_refresh=stale is None and bool(found.rows) and (found.unread or old),
        admins=admins,
        customers=customers,
    )


async def open_panel(services: Services, user: SessionUser, deal_id: int) -> PanelView:
    """The panel from the mirror alone (no request to QuickBooks)."""
    return await panel_view(services, await open_deal(services, user, deal_id, Action.VIEW))


async def refresh_panel(services: Services, user: SessionUser, deal_id: int) -> PanelView:
    """Read all of the deal's invoices from QuickBooks, then the panel from the mirror.

    The deal is read as the user (hidden deals stop here) beside QuickBooks' read of its
    invoices: neither needs the other, so the refresh waits one round trip, not two. The role
    is checked first, so only a user who may view the deal starts a read; a hidden deal cancels
    it, and nothing it read is shown."""
    await grants_for(services, user, Action.VIEW)
    async with services.sessionmaker() as session:
        status = await load_company_status(session, user.company_id)
        links = (
            await deal_links(session, user.company_id, status.realm_id, deal_id)
            if status.connected
            else []
        )
    if not links:
        return await panel_view(services, await open_deal(services, user, deal_id, Action.VIEW))
    read = asyncio.ensure_future(
        _read_deal_invoices(services, user.company_id, [link.invoice_id for link in links])
    )
    try:
        scope = await open_deal(services, user, deal_id, Action.VIEW)
    except BaseException:
        read.cancel()
        await asyncio.gather(read, return_exceptions=True)
        raise
    outcome = await read
    if isinstance(outcome, Staleness):
        # The connection may just have been found lost: show that state, not the old one.
        async with services.sessionmaker() as session:
            status = await load_company_status(session, scope.company_id)
        return await panel_view(services, replace(scope, status=status), stale=outcome)
    return await panel_view(services, scope, gone=outcome)


async def _read_deal_invoices(
    services: Services, company_id: int, invoice_ids: list[str]
) -> set[str] | Staleness:
    """The ids found deleted, or why the mirror may be out of date; raises a QuickBooks
    failure the mirror cannot stand in for."""
    try:
        client = await client_for_company(services, company_id)
        _, gone = await read_by_ids(services, company_id, client, invoice_ids)
    except QuickBooksError as exc:
        stale = staleness_of(exc)
        if stale is None:
            raise
        return stale
    return gone
