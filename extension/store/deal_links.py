"""Deal ↔ invoice links: which QuickBooks invoices a Pipedrive deal shows.

An invoice belongs to one deal of a company at most (a unique key on company, realm and
invoice). Linking it to a second deal fails loudly with :class:`InvoiceLinkedElsewhere`, naming
the deal that has it, unless the caller asks to move it; nothing is ever silently taken from
another deal.

Every step is a single conditional statement, so two users linking the same invoice at the same
moment cannot both succeed: the insert is ``ON CONFLICT DO NOTHING``, and a move is an
``UPDATE … WHERE deal_id = <the deal we saw>`` that does nothing if someone moved it meanwhile
(then we look again).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.installations import record_audit
from extension.store.link_models import DealInvoiceLink, LinkOrigin
from extension.store.models import utcnow
from extension.store.upsert import insert_for

__all__ = [
    "InvoiceLinkedElsewhere",
    "LinkContention",
    "link_invoice",
    "unlink_invoice",
    "deal_links",
    "links_for_invoices",
    "linked_invoice_ids",
]

# A move retries when another writer changed the link between our look and our update; each
# round means someone else committed, so a few rounds only fail under a pathological storm.
_MAX_ROUNDS = 5


class InvoiceLinkedElsewhere(Exception):
    """The invoice is linked to another deal; ``move=True`` would take it from there.

    It carries plain values, not the row: the caller's transaction usually rolls back on it.
    """

    def __init__(self, invoice_id: str, deal_id: int, deal_title: str) -> None:
        super().__init__(f"invoice {invoice_id} is linked to deal {deal_id}")
        self.invoice_id = invoice_id
        self.deal_id = deal_id
        self.deal_title = deal_title


class LinkContention(Exception):
    """Other writers kept changing the invoice's link; nothing was changed by this call."""


def _invoice_key(company_id: int, realm_id: str, invoice_id: str) -> tuple[Any, ...]:
    return (
        DealInvoiceLink.company_id == company_id,
        DealInvoiceLink.realm_id == realm_id,
        DealInvoiceLink.invoice_id == invoice_id,
    )


async def link_invoice(
    session: AsyncSession,
    company_id: int,
    *,
    realm_id: str,
    invoice_id: str,
    deal_id: int,
    deal_title: str,
    origin: LinkOrigin,
    user_id: int,
    move: bool = False,
    now: datetime | None = None,
) -> DealInvoiceLink:
    """Link the invoice to the deal and return the link.

    Already linked to this deal: the link stays as it was (its origin and who linked it), only
    the deal's title is refreshed. Linked to another deal: :class:`InvoiceLinkedElsewhere`,
    unless ``move``, which relinks it here and audits where it came from.
    """
    at = now or utcnow()
    for _ in range(_MAX_ROUNDS):
        inserted = await session.scalar(
            insert_for(session, DealInvoiceLink)
            .values(
                company_id=company_id,
                realm_id=realm_id,
                invoice_id=invoice_id,
                deal_id=deal_id,
                deal_title=deal_title,
                origin=origin.value,
                linked_by_user_id=user_id,
                linked_at=at,
            )
            .on_conflict_do_nothing(index_elements=["company_id", "realm_id", "invoice_id"])
            .returning(DealInvoiceLink)
            .execution_options(populate_existing=True)
        )
        if inserted is not None:
            await _audit(session, inserted, "invoice.linked", at)
            return cast(DealInvoiceLink, inserted)
        current = await session.scalar(
            select(DealInvoiceLink)
            .where(*_invoice_key(company_id, realm_id, invoice_id))
            .execution_options(populate_existing=True)
        )
        if current is None:
            continue  # unlinked since our insert met it: insert again
        if current.deal_id == deal_id:
            if current.deal_title != deal_title:
                current.deal_title = deal_title
                await session.flush()
            return current
        if not move:
            raise InvoiceLinkedElsewhere(invoice_id, current.deal_id, current.deal_title)
        from_deal = current.deal_id
        moved = await session.scalar(
            update(DealInvoiceLink)
            .where(
                *_invoice_key(company_id, realm_id, invoice_id),
                DealInvoiceLink.deal_id == from_deal,
            )
            .values(
                deal_id=deal_id,
                deal_title=deal_title,
                origin=origin.value,
                linked_by_user_id=user_id,
                linked_at=at,
            )
            .returning(DealInvoiceLink)
            .execution_options(populate_existing=True)
        )
        if moved is not None:
            await _audit(session, moved, "invoice.moved", at, from_deal_id=from_deal)
            return moved
    raise LinkContention(f"invoice {invoice_id} kept changing deals")


async def _audit(
    session: AsyncSession, link: DealInvoiceLink, action: str, at: datetime, **extra: int
) -> None:
    detail = {"invoice_id": link.invoice_id, "deal_id": link.deal_id, "origin": link.origin}
    await record_audit(
        session, link.company_id, link.linked_by_user_id, action, {**detail, **extra}, at=at
    )


async def unlink_invoice(
    session: AsyncSession,
    company_id: int,
    *,
    realm_id: str,
    invoice_id: str,
    deal_id: int,
    user_id: int,
) -> bool:
    """Unlink the invoice from this deal (QuickBooks keeps it); False if this deal had not it.

    The deal is part of the condition: a stale panel cannot unlink an invoice that someone has
    moved to another deal since.
    """
    result = await session.execute(
        delete(DealInvoiceLink).where(
            *_invoice_key(company_id, realm_id, invoice_id), DealInvoiceLink.deal_id == deal_id
        )
    )
    unlinked = bool(cast(CursorResult[Any], result).rowcount)
    if unlinked:
        await record_audit(
            session,
            company_id,
            user_id,
            "invoice.unlinked",
            {"invoice_id": invoice_id, "deal_id": deal_id},
        )
    return unlinked


async def deal_links(
    session: AsyncSession, company_id: int, realm_id: str, deal_id: int
) -> list[DealInvoiceLink]:
    """The deal's links in this realm, most recently linked first."""
    rows = await session.scalars(
        select(DealInvoiceLink)
        .where(
            DealInvoiceLink.company_id == company_id,
            DealInvoiceLink.realm_id == realm_id,
            DealInvoiceLink.deal_id == deal_id,
        )
        .order_by(DealInvoiceLink.linked_at.desc(), DealInvoiceLink.id.desc())
    )
    return list(rows)


async def links_for_invoices(
    session: AsyncSession, company_id: int, realm_id: str, invoice_ids: Iterable[str]
) -> dict[str, DealInvoiceLink]:
    """Which deal each invoice is linked to; invoices linked to none are absent."""
    wanted = list(dict.fromkeys(invoice_ids))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(DealInvoiceLink).where(
            DealInvoiceLink.company_id == company_id,
            DealInvoiceLink.realm_id == realm_id,
            DealInvoiceLink.invoice_id.in_(wanted),
        )
    )
    return {row.invoice_id: row for row in rows}


async def linked_invoice_ids(session: AsyncSession, company_id: int, realm_id: str) -> list[str]:
    """Every invoice linked to a deal: what the reconciler re-reads when CDC cannot reach back."""
    rows = await session.scalars(
        select(DealInvoiceLink.invoice_id)
        .where(DealInvoiceLink.company_id == company_id, DealInvoiceLink.realm_id == realm_id)
        .order_by(DealInvoiceLink.id)
    )
    return list(rows)
