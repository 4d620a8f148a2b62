"""Queries on companies and installations; every one is scoped by company."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.models import Company, Installation

__all__ = ["get_company", "get_installation", "list_installations"]


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
