"""Queries on the company's QuickBooks connection and on received webhook events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.quickbooks_models import (
    ConsumedConnectTicket,
    QuickBooksConnection,
    QuickBooksWebhookEvent,
)
from extension.store.upsert import insert_for

__all__ = [
    "load_connection",
    "lock_connection",
    "delete_connection",
    "companies_by_realm",
    "store_webhook_events",
    "consume_connect_ticket",
]


async def load_connection(session: AsyncSession, company_id: int) -> QuickBooksConnection | None:
    return await session.scalar(
        select(QuickBooksConnection).where(QuickBooksConnection.company_id == company_id)
    )


async def lock_connection(session: AsyncSession, company_id: int) -> QuickBooksConnection | None:
    """The connection row, write-locked until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has no row locks: a no-op UPDATE first takes the
    database write lock, which serializes the same way.
    """
    where = QuickBooksConnection.company_id == company_id
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(QuickBooksConnection)
            .where(where)
            .values(token_version=QuickBooksConnection.token_version)
        )
        statement = select(QuickBooksConnection).where(where)
    else:
        statement = select(QuickBooksConnection).where(where).with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def delete_connection(session: AsyncSession, company_id: int) -> None:
    await session.execute(
        delete(QuickBooksConnection).where(QuickBooksConnection.company_id == company_id)
    )


async def companies_by_realm(session: AsyncSession, realms: Iterable[str]) -> dict[str, list[int]]:
    rows = await session.execute(
        select(QuickBooksConnection.realm_id, QuickBooksConnection.company_id).where(
            QuickBooksConnection.realm_id.in_(set(realms))
        )
    )
    companies: dict[str, list[int]] = {}
    for realm_id, company_id in rows:
        companies.setdefault(realm_id, []).append(company_id)
    return companies


async def store_webhook_events(session: AsyncSession, rows: list[Mapping[str, Any]]) -> None:
    """Each event once per company, however often Intuit delivers it."""
    if not rows:
        return
    statement = insert_for(session, QuickBooksWebhookEvent).values(list(rows))
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["company_id", "dedup_key"])
    )


async def consume_connect_ticket(session: AsyncSession, ticket_id: str, company_id: int) -> bool:
    """True the first time a ticket is used, False on every replay (one atomic insert)."""
    result = await session.execute(
        insert_for(session, ConsumedConnectTicket)
        .values(ticket_id=ticket_id, company_id=company_id)
        .on_conflict_do_nothing(index_elements=["ticket_id"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)
