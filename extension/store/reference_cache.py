"""The per-company cache of upstream lists (``reference_list_cache``).

Saving is an upsert: six admins pressing "Refresh lists" at once all land, the last one wins,
and none of them meets a unique-constraint error (it was read-then-insert before).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.models import utcnow
from extension.store.settings_models import ReferenceListCache
from extension.store.upsert import insert_for

__all__ = ["get_reference_list", "save_reference_list"]


async def get_reference_list(
    session: AsyncSession, company_id: int, source: str
) -> ReferenceListCache | None:
    return await session.get(ReferenceListCache, (company_id, source))


async def save_reference_list(
    session: AsyncSession, company_id: int, source: str, payload: dict[str, Any]
) -> datetime:
    now = utcnow()
    values = {"payload": payload, "fetched_at": now}
    await session.execute(
        insert_for(session, ReferenceListCache)
        .values(company_id=company_id, source=source, **values)
        .on_conflict_do_update(index_elements=["company_id", "source"], set_=values)
    )
    return now
