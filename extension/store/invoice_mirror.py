"""The local mirror of QuickBooks invoices: what the deal panel shows without calling QuickBooks.

Versions of one invoice reach us in any order: a refresh, a webhook re-read, a change-data-capture
batch and our own writes can overlap. QuickBooks' ``MetaData.LastUpdatedTime`` decides: an
upsert applies only if its version is at least as new as the stored one, inside the same
``INSERT … ON CONFLICT DO UPDATE … WHERE`` statement, so no interleaving of writers can put an
older version over a newer one. "At least as new", not "newer": reading the same version again
still records that it was read (``read_at``).

Deletion is final in QuickBooks, so marking an invoice deleted moves its time forward to the
deletion and no older version can bring it back; a newer version (QuickBooks says it exists)
would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import case, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import DealInvoiceLink
from extension.store.models import utcnow
from extension.store.upsert import insert_for

__all__ = [
    "InvoiceVersion",
    "upsert_invoices",
    "mark_deleted",
    "mirrored_invoices",
    "deal_invoices",
    "deal_last_read",
]

# Rows per statement: 19 bound columns each stays far below SQLite's 32,766 variables.
_BATCH = 500


@dataclass(frozen=True, slots=True)
class InvoiceVersion:
    """One invoice as QuickBooks returned it, reduced to what the mirror keeps.

    ``voided`` is the domain's verdict (QuickBooks has no flag: zeroed amounts and a "Voided"
    note, or a Void event); ``updated_at`` is ``MetaData.LastUpdatedTime`` as an aware instant.
    """

    invoice_id: str
    customer_id: str
    txn_date: date
    currency: str
    total: Decimal
    balance: Decimal
    updated_at: datetime
    customer_name: str = ""
    doc_number: str = ""
    due_date: date | None = None
    email_status: str = ""
    delivered_at: datetime | None = None
    bill_email: str = ""
    online_payment_allowed: bool = False
    voided: bool = False
    sync_token: str = ""


def _row(version: InvoiceVersion, read_at: datetime) -> dict[str, Any]:
    values = asdict(version)
    values["qbo_updated_at"] = values.pop("updated_at")
    return {**values, "deleted": False, "read_at": read_at}


async def upsert_invoices(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    versions: Iterable[InvoiceVersion],
    *,
    read_at: datetime | None = None,
) -> set[str]:
    """Store each version unless a newer one is stored; returns the ids that were stored."""
    newest: dict[str, InvoiceVersion] = {}
    for version in versions:
        # One statement may not touch a row twice (PostgreSQL refuses): keep the newest.
        seen = newest.get(version.invoice_id)
        if seen is None or seen.updated_at <= version.updated_at:
            newest[version.invoice_id] = version
    at = read_at or utcnow()
    rows = [
        {"company_id": company_id, "realm_id": realm_id, **_row(v, at)} for v in newest.values()
    ]
    stored: set[str] = set()
    for start in range(0, len(rows), _BATCH):
        stmt = insert_for(session, MirroredInvoice).values(rows[start : start + _BATCH])
        changes = {
            key: stmt.excluded[key] for key in rows[0] if key not in ("company_id", "realm_id")
        }
        stmt = stmt.on_conflict_do_update(
            index_elements=["company_id", "realm_id", "invoice_id"],
            set_=changes,
            where=MirroredInvoice.qbo_updated_at <= stmt.excluded.qbo_updated_at,
        ).returning(MirroredInvoice.invoice_id)
        stored.update(await session.scalars(stmt))
    return stored


async def mark_deleted(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    invoice_id: str,
    *,
    deleted_at: datetime,
    read_at: datetime | None = None,
) -> bool:
    """Mark a mirrored invoice deleted (a Delete event, a deleted CDC stub, or 610 on read).

    False when the invoice was never mirrored: there is no row to keep its amounts for the
    panel, and nothing to hide.
    """
    result = await session.execute(
        update(MirroredInvoice)
        .where(
            MirroredInvoice.company_id == company_id,
            MirroredInvoice.realm_id == realm_id,
            MirroredInvoice.invoice_id == invoice_id,
        )
        .values(
            deleted=True,
            qbo_updated_at=case(
                (MirroredInvoice.qbo_updated_at < deleted_at, deleted_at),
                else_=MirroredInvoice.qbo_updated_at,
            ),
            read_at=read_at or utcnow(),
        )
    )
    return bool(cast(CursorResult[Any], result).rowcount)


async def mirrored_invoices(
    session: AsyncSession, company_id: int, realm_id: str, invoice_ids: Iterable[str]
) -> dict[str, MirroredInvoice]:
    """The mirrored copies of these invoices (e.g. the last known amounts of a deleted one)."""
    wanted = list(dict.fromkeys(invoice_ids))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(MirroredInvoice).where(
            MirroredInvoice.company_id == company_id,
            MirroredInvoice.realm_id == realm_id,
            MirroredInvoice.invoice_id.in_(wanted),
        )
    )
    return {row.invoice_id: row for row in rows}


def _deal_join(company_id: int, realm_id: str, deal_id: int) -> Any:
    return (
        select(DealInvoiceLink, MirroredInvoice)
        .outerjoin(
            MirroredInvoice,
            (MirroredInvoice.company_id == DealInvoiceLink.company_id)
            & (MirroredInvoice.realm_id == DealInvoiceLink.realm_id)
            & (MirroredInvoice.invoice_id == DealInvoiceLink.invoice_id),
        )
        .where(
            DealInvoiceLink.company_id == company_id,
            DealInvoiceLink.realm_id == realm_id,
            DealInvoiceLink.deal_id == deal_id,
        )
    )


async def deal_invoices(
    session: AsyncSession, company_id: int, realm_id: str, deal_id: int
) -> Sequence[tuple[DealInvoiceLink, MirroredInvoice | None]]:
    """The deal's invoices, newest first by invoice date; a linked invoice not mirrored yet
    comes last with ``None`` (the panel's refresh reads it)."""
    rows = await session.execute(
        _deal_join(company_id, realm_id, deal_id).order_by(
            MirroredInvoice.txn_date.desc().nulls_last(),
            MirroredInvoice.id.desc().nulls_last(),
            DealInvoiceLink.id.desc(),
        )
    )
    return [(link, mirrored) for link, mirrored in rows]


async def deal_last_read(
    session: AsyncSession, company_id: int, realm_id: str, deal_id: int
) -> datetime | None:
    """When the least recently read of the deal's mirrored invoices was read from QuickBooks:
    the panel's "last read" time. None when none is mirrored."""
    oldest = await session.scalar(
        _deal_join(company_id, realm_id, deal_id).with_only_columns(
            func.min(MirroredInvoice.read_at)
        )
    )
    return cast(datetime | None, oldest)
