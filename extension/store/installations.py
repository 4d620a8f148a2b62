"""Queries on companies and installations; every one is scoped by company.

Writes that can race (two users of a new company installing at once, a re-install while a
refresh runs) use the database's own upsert (``INSERT … ON CONFLICT``, which SQLite and
PostgreSQL both have) instead of read-then-insert.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.models import AuditEvent, Company, Installation, utcnow
from extension.store.upsert import insert_for

__all__ = [
    "get_company",
    "get_installation",
    "list_installations",
    "ensure_company",
    "upsert_installation",
    "lock_installation",
    "delete_installation",
    "lock_company",
    "count_installations",
    "delete_company",
    "record_audit",
    "update_user_details",
    "set_language_override",
    "recent_audit_events",
]


async def get_company(session: AsyncSession, company_id: int) -> Company | None:
    return await session.get(Company, company_id)


async def get_installation(
    session: AsyncSession, company_id: int, user_id: int
) -> Installation | None:
    return await session.scalar(
        select(Installation).where(
            Installation.company_id == company_id, Installation.user_id == user_id
        )
    )


async def list_installations(session: AsyncSession, company_id: int) -> list[Installation]:
    rows = await session.scalars(
        select(Installation)
        .where(Installation.company_id == company_id)
        .order_by(Installation.installed_at, Installation.id)
    )
    return list(rows)


async def ensure_company(session: AsyncSession, company_id: int, name: str, domain: str) -> bool:
    """The first installer creates the company; later ones only refresh its name and domain.

    Returns True when this call created it.
    """
    result = await session.execute(
        insert_for(session, Company)
        .values(id=company_id, name=name, domain=domain, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    created = bool(cast(CursorResult[Any], result).rowcount)
    if not created:
        await session.execute(
            update(Company).where(Company.id == company_id).values(name=name, domain=domain)
        )
    return created


async def upsert_installation(
    session: AsyncSession,
    *,
    company_id: int,
    user_id: int,
    values: dict[str, Any],
) -> Installation:
    """Insert the user's installation, or update it in place: installing again never duplicates."""
    now = utcnow()
    row = {**values, "needs_reauth": False, "updated_at": now}
    await session.execute(
        insert_for(session, Installation)
        .values(company_id=company_id, user_id=user_id, installed_at=now, **row)
        .on_conflict_do_update(index_elements=["company_id", "user_id"], set_=row)
    )
    installation = await session.scalar(
        select(Installation)
        .where(Installation.company_id == company_id, Installation.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    assert installation is not None
    return installation


async def lock_installation(
    session: AsyncSession, company_id: int, user_id: int
) -> Installation | None:
    """Read the installation holding a write lock until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE`` locks the row. SQLite has no row locks; a no-op UPDATE
    takes the database write lock, which serializes the same way (other writers wait).
    """
    where = (Installation.company_id == company_id, Installation.user_id == user_id)
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(Installation).where(*where).values(needs_reauth=Installation.needs_reauth)
        )
        stmt = select(Installation).where(*where)
    else:
        stmt = select(Installation).where(*where).with_for_update()
    return await session.scalar(stmt.execution_options(populate_existing=True))


async def delete_installation(session: AsyncSession, company_id: int, user_id: int) -> bool:
    result = await session.execute(
        delete(Installation).where(
            Installation.company_id == company_id, Installation.user_id == user_id
        )
    )
    return bool(cast(CursorResult[Any], result).rowcount)


async def lock_company(session: AsyncSession, company_id: int) -> Company | None:
    """Serialize company-wide changes (the last uninstall) the same way as ``lock_installation``."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(Company).where(Company.id == company_id).values(name=Company.name)
        )
        stmt = select(Company).where(Company.id == company_id)
    else:
        stmt = select(Company).where(Company.id == company_id).with_for_update()
    return await session.scalar(stmt.execution_options(populate_existing=True))


async def count_installations(session: AsyncSession, company_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Installation).where(Installation.company_id == company_id)
    )
    return int(count or 0)


async def delete_company(session: AsyncSession, company_id: int) -> None:
    """Every company table cascades from ``companies`` (ON DELETE CASCADE)."""
    await session.execute(delete(Company).where(Company.id == company_id))


async def record_audit(
    session: AsyncSession,
    company_id: int,
    user_id: int | None,
    action: str,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    session.add(
        AuditEvent(
            company_id=company_id,
            user_id=user_id,
            action=action,
            detail=detail or {},
            created_at=at or utcnow(),
        )
    )


async def update_user_details(
    session: AsyncSession, company_id: int, user_id: int, details: Mapping[str, str | bool]
) -> Installation | None:
    """Store what Pipedrive's /users/me said now (name, email, is_admin, language, locale,
    timezone_name); returns the updated row."""
    await session.execute(
        update(Installation)
        .where(Installation.company_id == company_id, Installation.user_id == user_id)
        .values(**details, details_refreshed_at=utcnow())
    )
    return await _reread(session, company_id, user_id)


async def set_language_override(
    session: AsyncSession, company_id: int, user_id: int, language: str
) -> Installation | None:
    """The user's own language choice in the app ("" follows Pipedrive's)."""
    await session.execute(
        update(Installation)
        .where(Installation.company_id == company_id, Installation.user_id == user_id)
        .values(language_override=language)
    )
    return await _reread(session, company_id, user_id)


async def _reread(session: AsyncSession, company_id: int, user_id: int) -> Installation | None:
    return await session.scalar(
        select(Installation)
        .where(Installation.company_id == company_id, Installation.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def recent_audit_events(
    session: AsyncSession, company_id: int, limit: int
) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.company_id == company_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(rows)
