"""What the surfaces need to know about a company before showing anything else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.quickbooks_models import QuickBooksConnection

__all__ = ["CompanyStatus", "load_company_status"]

QuickBooksState = Literal["connected", "not_connected", "needs_reconnect"]


@dataclass(frozen=True, slots=True)
class CompanyStatus:
    quickbooks: QuickBooksState
    quickbooks_company_name: str = ""

    @property
    def connected(self) -> bool:
        return self.quickbooks == "connected"


async def load_company_status(session: AsyncSession, company_id: int) -> CompanyStatus:
    connection = await session.scalar(
        select(QuickBooksConnection).where(QuickBooksConnection.company_id == company_id)
    )
    if connection is None:
        return CompanyStatus(quickbooks="not_connected")
    state: QuickBooksState = "needs_reconnect" if connection.needs_reconnect else "connected"
    return CompanyStatus(quickbooks=state, quickbooks_company_name=connection.company_name)
