"""The deal panel: the deal's invoices from the mirror at once, and a refresh from QuickBooks.

Opening the panel asks QuickBooks nothing: it shows the mirror with the time it was last read.
When that is older than :data:`STALE_AFTER`, or a linked invoice was never read, the page asks
for a refresh by itself right after it shows (so statuses are current without anybody pressing
anything, where the integration we replace waited for a click). A refresh reads every invoice of
the deal in one query and swaps the list; when QuickBooks cannot be reached, is throttling us or
needs a reconnect, the list stays as the mirror has it, marked as possibly out of date.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from extension.accounts.permissions import Action
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser, list_users
from extension.invoicing.company_clock import load_clock
from extension.invoicing.deal_scope import DealScope, deal_customer_links, open_deal
from extension.invoicing.invoice_rows import InvoiceRow, row_from_mirror, unread_row
from extension.invoicing.mirror_sync import Staleness, read_by_ids, staleness_of
from extension.invoicing.status import load_company_status
from extension.invoicing.summaries import CurrencySummary, summarize_invoices
from extension.quickbooks.errors import QuickBooksError
from extension.services import Services
from extension.store.deal_links import deal_links
from extension.store.invoice_mirror import deal_invoices, deal_last_read
from extension.store.link_models import ContactLink
from extension.store.models import utcnow

__all__ = [
    "STALE_AFTER",
    "PanelView",
    "open_panel",
    "refresh_panel",
    "panel_view",
]

# How old the mirror may be before the panel refreshes itself when it opens.
STALE_AFTER = timedelta(minutes=5)


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
    settings, status = services.settings, scope.status
    async with services.sessionmaker() as session:
        pairs = await deal_invoices(session, scope.company_id, scope.realm_id, scope.deal.id)
        last_read = await deal_last_read(session, scope.company_id, scope.realm_id, scope.deal.id)
        clock = await load_clock(session, scope.company_id, scope.realm_id)
        customers = await deal_customer_links(session, scope)
    today = clock.today(now)
    rows: list[InvoiceRow] = []
    unread = False
    for link, mirrored in pairs:
        if mirrored is None:
            deleted = link.invoice_id in gone
            unread = unread or not deleted
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
    moment = now or utcnow()
    old = last_read is None or moment - last_read > STALE_AFTER
    return PanelView(
        scope=scope,
        rows=rows,
        summaries=summarize_invoices(row for row in rows if row.read),
        last_read=last_read,
        stale=stale,
        needs_refresh=stale is None and bool(rows) and (unread or old),
        admins=admins,
        customers=customers,
    )


async def open_panel(services: Services, user: SessionUser, deal_id: int) -> PanelView:
    """The panel from the mirror alone (no request to QuickBooks)."""
    return await panel_view(services, await open_deal(services, user, deal_id, Action.VIEW))


async def refresh_panel(services: Services, user: SessionUser, deal_id: int) -> PanelView:
    """Read all of the deal's invoices from QuickBooks, then the panel from the mirror."""
    scope = await open_deal(services, user, deal_id, Action.VIEW)
    if not scope.status.connected:
        return await panel_view(services, scope)
    async with services.sessionmaker() as session:
        links = await deal_links(session, scope.company_id, scope.realm_id, deal_id)
    if not links:
        return await panel_view(services, scope)
    try:
        client = await client_for_company(services, scope.company_id)
        _, gone = await read_by_ids(
            services, scope.company_id, client, [link.invoice_id for link in links]
        )
    except QuickBooksError as exc:
        stale = staleness_of(exc)
        if stale is None:
            raise
        # The connection may just have been found lost: show that state, not the old one.
        async with services.sessionmaker() as session:
            status = await load_company_status(session, scope.company_id)
        return await panel_view(services, replace(scope, status=status), stale=stale)
    return await panel_view(services, scope, gone=gone)
