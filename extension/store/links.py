"""Contact and product links: which QuickBooks customer or item a Pipedrive contact or product
stands for, remembered for every later deal.

Linking is one upsert on the contact (or product): relinking replaces the link in the same
statement, so two users linking one contact at the same moment leave one row, the last
writer's, and neither sees an error. Every change is audited in the caller's transaction, so a
link and its audit entry commit together or not at all.

Lookups take the current realm: a link made under a former QuickBooks connection names a
customer of another company's books and is treated as no link.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.installations import record_audit
from extension.store.link_models import ContactKind, ContactLink, ProductLink
from extension.store.models import utcnow
from extension.store.upsert import insert_for

__all__ = [
    "link_contact",
    "contact_links",
    "forget_contact_link",
    "note_customer_seen",
    "linked_customer_ids",
    "follow_customer_merge",
    "link_product",
    "product_links",
    "forget_product_link",
    "note_item_seen",
]


async def link_contact(
    session: AsyncSession,
    company_id: int,
    *,
    kind: ContactKind,
    contact_id: int,
    realm_id: str,
    customer_id: str,
    customer_name: str,
    customer_currency: str,
    user_id: int,
    now: datetime | None = None,
) -> ContactLink:
    """Link the contact to the customer, replacing any link it had."""
    at = now or utcnow()
    values = {
        "realm_id": realm_id,
        "customer_id": customer_id,
        "customer_name": customer_name,
        "customer_currency": customer_currency,
        "linked_by_user_id": user_id,
        "linked_at": at,
    }
    stmt = (
        insert_for(session, ContactLink)
        .values(company_id=company_id, contact_kind=kind.value, contact_id=contact_id, **values)
        .on_conflict_do_update(
            index_elements=["company_id", "contact_kind", "contact_id"], set_=values
        )
        .returning(ContactLink)
        .execution_options(populate_existing=True)
    )
    link = cast(ContactLink, (await session.scalars(stmt)).one())
    await record_audit(
        session,
        company_id,
        user_id,
        "contact.linked",
        {"contact": kind.value, "contact_id": contact_id, "customer_id": customer_id},
        at=at,
    )
    return link


async def contact_links(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    contacts: Iterable[tuple[ContactKind, int]],
) -> dict[tuple[ContactKind, int], ContactLink]:
    """The links of the given contacts (a deal's organization and person) in this realm."""
    wanted = list(dict.fromkeys(contacts))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(ContactLink).where(
            ContactLink.company_id == company_id,
            ContactLink.realm_id == realm_id,
            or_(
                *(
                    and_(ContactLink.contact_kind == kind.value, ContactLink.contact_id == cid)
                    for kind, cid in wanted
                )
            ),
        )
    )
    return {(ContactKind(row.contact_kind), row.contact_id): row for row in rows}


async def forget_contact_link(
    session: AsyncSession, company_id: int, *, kind: ContactKind, contact_id: int, user_id: int
) -> bool:
    """Forget the contact's link ("Unlink contact"); False if it had none."""
    result = await session.execute(
        delete(ContactLink).where(
            ContactLink.company_id == company_id,
            ContactLink.contact_kind == kind.value,
            ContactLink.contact_id == contact_id,
        )
    )
    forgotten = bool(cast(CursorResult[Any], result).rowcount)
    if forgotten:
        await record_audit(
            session,
            company_id,
            user_id,
            "contact.unlinked",
            {"contact": kind.value, "contact_id": contact_id},
        )
    return forgotten


async def note_customer_seen(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    customer_id: str,
    *,
    name: str,
    currency: str,
) -> int:
    """Refresh the name and currency shown for a customer on every contact linked to it."""
    result = await session.execute(
        update(ContactLink)
        .where(
            ContactLink.company_id == company_id,
            ContactLink.realm_id == realm_id,
            ContactLink.customer_id == customer_id,
        )
        .values(customer_name=name, customer_currency=currency)
    )
    return int(cast(CursorResult[Any], result).rowcount)


async def linked_customer_ids(
    session: AsyncSession, company_id: int, realm_id: str, customer_ids: Iterable[str]
) -> set[str]:
    """Which of these customers some contact is linked to."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(ContactLink.customer_id).where(
            ContactLink.company_id == company_id,
            ContactLink.realm_id == realm_id,
            ContactLink.customer_id.in_(wanted),
        )
    )
    return set(rows)


async def follow_customer_merge(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    *,
    merged_id: str,
    into_id: str,
    name: str,
    currency: str,
) -> int:
    """QuickBooks merged customer ``merged_id`` into ``into_id`` and deleted it: every contact
    linked to the merged one is linked to the one that remains (its transactions moved there
    too), audited as QuickBooks' doing. Returns how many contacts moved."""
    moved = list(
        await session.scalars(
            update(ContactLink)
            .where(
                ContactLink.company_id == company_id,
                ContactLink.realm_id == realm_id,
                ContactLink.customer_id == merged_id,
            )
            .values(customer_id=into_id, customer_name=name, customer_currency=currency)
            .returning(ContactLink.id)
        )
    )
    if moved:
        await record_audit(
            session,
            company_id,
            None,
            "contact.customer_merged",
            {"merged_customer_id": merged_id, "customer_id": into_id, "contacts": len(moved)},
        )
    return len(moved)


async def link_product(
    session: AsyncSession,
    company_id: int,
    *,
    product_id: int,
    realm_id: str,
    item_id: str,
    item_name: str,
    user_id: int,
    now: datetime | None = None,
) -> ProductLink:
    """Link the Pipedrive product to the QuickBooks item, replacing any link it had."""
    at = now or utcnow()
    values = {
        "realm_id": realm_id,
        "item_id": item_id,
        "item_name": item_name,
        "linked_by_user_id": user_id,
        "linked_at": at,
    }
    stmt = (
        insert_for(session, ProductLink)
        .values(company_id=company_id, product_id=product_id, **values)
        .on_conflict_do_update(index_elements=["company_id", "product_id"], set_=values)
        .returning(ProductLink)
        .execution_options(populate_existing=True)
    )
    link = cast(ProductLink, (await session.scalars(stmt)).one())
    await record_audit(
        session,
        company_id,
        user_id,
        "product.linked",
        {"product_id": product_id, "item_id": item_id},
        at=at,
    )
    return link


async def product_links(
    session: AsyncSession, company_id: int, realm_id: str, product_ids: Iterable[int]
) -> dict[int, ProductLink]:
    """The links of the given products (a deal's lines) in this realm."""
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(ProductLink).where(
            ProductLink.company_id == company_id,
            ProductLink.realm_id == realm_id,
            ProductLink.product_id.in_(wanted),
        )
    )
    return {row.product_id: row for row in rows}


async def forget_product_link(
    session: AsyncSession, company_id: int, *, product_id: int, user_id: int
) -> bool:
    result = await session.execute(
        delete(ProductLink).where(
            ProductLink.company_id == company_id, ProductLink.product_id == product_id
        )
    )
    forgotten = bool(cast(CursorResult[Any], result).rowcount)
    if forgotten:
        await record_audit(
            session, company_id, user_id, "product.unlinked", {"product_id": product_id}
        )
    return forgotten


async def note_item_seen(
    session: AsyncSession, company_id: int, realm_id: str, item_id: str, *, name: str
) -> int:
    """Refresh the name shown for an item on every product linked to it."""
    result = await session.execute(
        update(ProductLink)
        .where(
            ProductLink.company_id == company_id,
            ProductLink.realm_id == realm_id,
            ProductLink.item_id == item_id,
        )
        .values(item_name=name)
    )
    return int(cast(CursorResult[Any], result).rowcount)
