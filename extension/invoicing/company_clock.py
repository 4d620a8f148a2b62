"""What day it is where the QuickBooks company keeps its books.

An invoice is overdue once its due date has passed *in the company's time zone*
(``invoice_status``), and the all-invoices ranges are that company's calendar days. QuickBooks
names the zone in ``CompanyInfo.DefaultTimeZone`` (minor version 75); it is asked for once per
QuickBooks company and remembered. Until then, or when a company's answer has no zone, the
offset QuickBooks writes its own timestamps in (``MetaData.LastUpdatedTime`` is in the
company's offset, ``-07:00`` or ``-08:00`` for a Pacific company) stands in for it; only
without either is UTC used.

The clock is kept in the per-company reference cache next to the settings page's lists, keyed
by the realm it was learnt from, so a company that connects another QuickBooks company starts
afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError
from extension.quickbooks.invoice_models import Invoice
from extension.store.reference_cache import get_reference_list, save_reference_list

__all__ = ["CompanyClock", "load_clock", "ask_zone", "learn_clock"]

_SOURCE = "quickbooks_company_clock"


@dataclass(frozen=True, slots=True)
class CompanyClock:
    zone_name: str = ""
    offset_minutes: int | None = None
    asked_company: bool = False  # CompanyInfo was read (it may have named no zone)

    @property
    def zone(self) -> tzinfo:
        if self.zone_name:
            try:
                return ZoneInfo(self.zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        if self.offset_minutes is not None:
            return timezone(timedelta(minutes=self.offset_minutes))
        return UTC

    def today(self, now: datetime | None = None) -> date:
        return (now or datetime.now(UTC)).astimezone(self.zone).date()

    def _payload(self, realm_id: str) -> dict[str, Any]:
        return {
            "realm_id": realm_id,
            "zone": self.zone_name,
            "offset_minutes": self.offset_minutes,
            "asked_company": self.asked_company,
        }


def _offset_of(invoices: Iterable[Invoice]) -> int | None:
    stamped = [i.updated_at for i in invoices if i.updated_at is not None]
    offsets = [(stamp, stamp.utcoffset()) for stamp in stamped]
    known = [(stamp, offset) for stamp, offset in offsets if offset is not None]
    if not known:
        return None
    _, offset = max(known, key=lambda pair: pair[0])
    return int(offset.total_seconds() // 60)


async def load_clock(session: AsyncSession, company_id: int, realm_id: str) -> CompanyClock:
    cached = await get_reference_list(session, company_id, _SOURCE)
    payload = cached.payload if cached is not None else {}
    if not isinstance(payload, dict) or payload.get("realm_id") != realm_id:
        return CompanyClock()
    offset = payload.get("offset_minutes")
    return CompanyClock(
        zone_name=str(payload.get("zone") or ""),
        offset_minutes=offset if isinstance(offset, int) else None,
        asked_company=bool(payload.get("asked_company")),
    )


async def ask_zone(client: QuickBooksClient, clock: CompanyClock) -> str | None:
    """The zone CompanyInfo names, asked once per realm (None: not asked, or it failed).

    A failure is not worth failing a refresh for: the offset stands in, and the next refresh
    asks again. Call it outside any transaction (it is a request to QuickBooks).
    """
    if clock.asked_company:
        return None
    try:
        return (await client.get_company_info()).default_time_zone
    except QuickBooksError:
        return None


async def learn_clock(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    clock: CompanyClock,
    *,
    zone: str | None,
    invoices: Iterable[Invoice] = (),
) -> CompanyClock:
    """The clock completed from what was just read (``zone`` from :func:`ask_zone`), stored
    when it changed."""
    offset = _offset_of(invoices)
    learnt = CompanyClock(
        zone_name=zone if zone is not None else clock.zone_name,
        offset_minutes=offset if offset is not None else clock.offset_minutes,
        asked_company=clock.asked_company or zone is not None,
    )
    if learnt != clock:
        await save_reference_list(session, company_id, _SOURCE, learnt._payload(realm_id))
    return learnt
