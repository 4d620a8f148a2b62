"""Reading invoices from QuickBooks into the local mirror, and what to say when it cannot.

- :func:`read_by_ids`: the deal panel's refresh. All of the deal's invoices in one query
  (``Id IN (…)``; QuickBooks returns at most 1000 rows a query, so only a deal with more than a
  thousand invoices takes a second one). An id the query does not return was deleted:
  QuickBooks' queries never return deleted transactions.
- :func:`read_customer_range`: the all-invoices modal. Every invoice of the customers in a
  TxnDate range, including those created in QuickBooks directly or from other deals. A
  mirrored invoice of theirs in that range that the query no longer returns was deleted, or
  moved to another date or customer: those few are read back by id to tell which.
Every read asks for ``include=invoiceLink``: whether QuickBooks gives an invoice a payment link
is part of what the panel shows (the link itself is asked for again when it is copied).

- :func:`mirror_read`: one transaction that stores what was read. A void we know of stays
  known (QuickBooks cannot un-void, but its only trace, the "Voided" note, can be edited).
- :func:`staleness_of`: QuickBooks unreachable, throttled or needing a reconnect: the screens
  keep showing the mirror, marked as possibly out of date, with the reason.

No request to QuickBooks is made while a transaction is open.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from extension.invoicing.company_clock import CompanyClock, ask_zone, learn_clock, load_clock
from extension.invoicing.mirroring import invoice_version
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksError,
    QuickBooksRateLimited,
    QuickBooksUnavailable,
)
from extension.quickbooks.invoice_models import Invoice
from extension.services import Services
from extension.store.invoice_mirror import mark_deleted, mirrored_invoices, upsert_invoices
from extension.store.invoice_pages import mirrored_ids_in_range
from extension.store.models import utcnow

__all__ = [
    "Staleness",
    "staleness_of",
    "mirror_read",
    "read_by_ids",
    "read_customer_range",
]


@dataclass(frozen=True, slots=True)
class Staleness:
    """Why what is shown may be out of date; ``retry_after`` in seconds when known."""

    reason: Literal["unavailable", "rate_limited", "reconnect"]
    retry_after: int | None = None


def staleness_of(error: QuickBooksError) -> Staleness | None:
    """The marker for a failure the mirror can stand in for; None for any other failure."""
    if isinstance(error, QuickBooksRateLimited):
        return Staleness("rate_limited", max(1, math.ceil(error.retry_after)))
    if isinstance(error, QuickBooksAuthError):
        return Staleness("reconnect")
    if isinstance(error, QuickBooksUnavailable):
        return Staleness("unavailable")
    return None


async def mirror_read(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    invoices: Iterable[Invoice],
    *,
    read_at: datetime,
    gone: Iterable[str] = (),
    voided: Iterable[str] = (),
) -> set[str]:
    """Store what was read (``gone``: ids QuickBooks no longer has); returns the ids stored."""
    invoices = list(invoices)
    known = await mirrored_invoices(session, company_id, realm_id, [i.id for i in invoices])
    voided_ids = set(voided) | {i for i, row in known.items() if row.voided}
    versions = [
        invoice_version(i, realm_id=realm_id, read_at=read_at, voided=i.id in voided_ids)
        for i in invoices
    ]
    stored = await upsert_invoices(session, company_id, realm_id, versions, read_at=read_at)
    for invoice_id in gone:
        await mark_deleted(
            session, company_id, realm_id, invoice_id, deleted_at=read_at, read_at=read_at
        )
    return stored


async def _store(
    services: Services,
    company_id: int,
    client: QuickBooksClient,
    clock: CompanyClock,
    zone: str | None,
    invoices: list[Invoice],
    gone: Iterable[str],
) -> CompanyClock:
    read_at = utcnow()
    async with services.sessionmaker() as session, session.begin():
        await mirror_read(
            session, company_id, client.realm_id, invoices, read_at=read_at, gone=gone
        )
        return await learn_clock(
            session, company_id, client.realm_id, clock, zone=zone, invoices=invoices
        )


async def _clock(services: Services, company_id: int, realm_id: str) -> CompanyClock:
    async with services.sessionmaker() as session:
        return await load_clock(session, company_id, realm_id)


async def read_by_ids(
    services: Services, company_id: int, client: QuickBooksClient, invoice_ids: Sequence[str]
) -> tuple[CompanyClock, set[str]]:
    """Read these invoices into the mirror; returns the clock and the ids found deleted.
    Raises the client's errors (nothing is stored then)."""
    clock = await _clock(services, company_id, client.realm_id)
    zone = await ask_zone(client, clock)
    invoices = await client.get_invoices(invoice_ids, include_link=True) if invoice_ids else []
    gone = set(invoice_ids) - {invoice.id for invoice in invoices}
    clock = await _store(services, company_id, client, clock, zone, invoices, gone)
    return clock, gone


async def read_customer_range(
    services: Services,
    company_id: int,
    client: QuickBooksClient,
    customer_ids: Sequence[str],
    *,
    start: date,
    end: date,
) -> CompanyClock:
    """Read every invoice of the customers with ``start <= TxnDate < end`` into the mirror."""
    clock = await _clock(services, company_id, client.realm_id)
    zone = await ask_zone(client, clock)
    invoices: list[Invoice] = []
    for customer_id in dict.fromkeys(customer_ids):
        invoices.extend(
            await client.customer_invoices(
                customer_id, first_day=start, end_day=end, include_link=True
            )
        )
    async with services.sessionmaker() as session:
        mirrored = await mirrored_ids_in_range(
            session, company_id, client.realm_id, customer_ids, start, end
        )
    vanished = sorted(set(mirrored) - {invoice.id for invoice in invoices})
    moved = await client.get_invoices(vanished, include_link=True) if vanished else []
    gone = set(vanished) - {invoice.id for invoice in moved}
    return await _store(services, company_id, client, clock, zone, [*invoices, *moved], gone)
