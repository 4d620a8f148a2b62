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

Each stored version also replaces the payments the invoice names (``InvoicePayment``), so a
payment that later changes or disappears leads back to every invoice it paid.

Rows are written in invoice-id order (QuickBooks' ids are numbers, so also the order it created
them in): two writers storing overlapping invoices lock them in the same order and never
deadlock each other on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.invoice_models import InvoicePayment, MirroredInvoice
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
    "invoices_paid_by",
    "linked_invoices_of_customers",
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
    # The payments its LinkedTxn names (kept beside the mirror, not in it).
    payment_ids: tuple[str, ...] = ()


def _numeric(invoice_id: str) -> tuple[int, str]:
    return len(invoice_id), invoice_id


def _row(version: InvoiceVersion, read_at: datetime) -> dict[str, Any]:
    values = asdict(version)
    values.pop("payment_ids")
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
    ordered = [newest[invoice_id] for invoice_id in sorted(newest, key=_numeric)]
    rows = [{"company_id": company_id, "realm_id": realm_id, **_row(v, at)} for v in ordered]
    stored: set[str] = set()
    if rows:
        # The rows go as parameters of one statement (SQLAlchemy batches them into multi-row
        # INSERTs itself), so the statement is compiled once per process and then cached:
        # rows written into ``.values()`` made a new statement, compiled anew, for every call.
        stmt = insert_for(session, MirroredInvoice)
        changes = {
            key: stmt.excluded[key] for key in rows[0] if key not in ("company_id", "realm_id")
        }
        upsert = stmt.on_conflict_do_update(
            index_elements=["company_id", "realm_id", "invoice_id"],
            set_=changes,
            where=MirroredInvoice.qbo_updated_at <= stmt.excluded.qbo_updated_at,
        ).returning(MirroredInvoice.invoice_id)
        stored.update(await session.scalars(upsert, rows))
    await _replace_payments(
        session, company_id, realm_id, [v for v in ordered if v.invoice_id in stored]
    )
    return stored


async def _replace_payments(
    session: AsyncSession, company_id: int, realm_id: str, versions: list[InvoiceVersion]
) -> None:
    """The stored versions' payments replace what those invoices named before."""
    for start in range(0, len(versions), _BATCH):
        chunk = versions[start : start + _BATCH]
        await session.execute(
            delete(InvoicePayment).where(
                InvoicePayment.company_id == company_id,
                InvoicePayment.realm_id == realm_id,
                InvoicePayment.invoice_id.in_([v.invoice_id for v in chunk]),
            )
        )
        links = sorted(
            {
                (payment_id, v.invoice_id)
                for v in chunk
                for payment_id in v.payment_ids
                if payment_id
            }
        )
        if links:
            await session.execute(
                insert_for(session, InvoicePayment).on_conflict_do_nothing(),
                [
                    {
                        "company_id": company_id,
                        "realm_id": realm_id,
                        "payment_id": payment_id,
                        "invoice_id": invoice_id,
                    }
                    for payment_id, invoice_id in links
                ],
            )


async def invoices_paid_by(
    session: AsyncSession, company_id: int, realm_id: str, payment_ids: Iterable[str]
) -> dict[str, set[str]]:
    """For each of these payments, the invoices that named it when they were last read."""
    wanted = sorted(set(payment_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(InvoicePayment.payment_id, InvoicePayment.invoice_id).where(
            InvoicePayment.company_id == company_id,
            InvoicePayment.realm_id == realm_id,
            InvoicePayment.payment_id.in_(wanted),
        )
    )
    paid: dict[str, set[str]] = {}
    for payment_id, invoice_id in rows:
        paid.setdefault(payment_id, set()).add(invoice_id)
    return paid


async def linked_invoices_of_customers(
    session: AsyncSession, company_id: int, realm_id: str, customer_ids: Iterable[str]
) -> set[str]:
    """Invoices linked to a deal whose mirrored copy bills one of these customers (a merge
    moves them to the customer they were merged into)."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(MirroredInvoice.invoice_id)
        .join(
            DealInvoiceLink,
            (DealInvoiceLink.company_id == MirroredInvoice.company_id)
            & (DealInvoiceLink.realm_id == MirroredInvoice.realm_id)
            & (DealInvoiceLink.invoice_id == MirroredInvoice.invoice_id),
        )
        .where(
            MirroredInvoice.company_id == company_id,
            MirroredInvoice.realm_id == realm_id,
            MirroredInvoice.customer_id.in_(wanted),
        )
    )
    return set(rows)


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
