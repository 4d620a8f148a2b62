"""What the surfaces need to know about a company before showing anything else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

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
    # The QuickBooks connection arrives with the QuickBooks issue; until then nobody is connected.
    return CompanyStatus(quickbooks="not_connected")
