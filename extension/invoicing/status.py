"""What the surfaces need to know about a company before showing anything else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["CompanyStatus", "load_company_status"]

QuickBooksState = Literal["connected", "not_connected", "needs_reconnect"]


@dataclass(frozen=True, slots=True)
class CompanyStatus:
    """The QuickBooks connection as the panel and settings page describe it."""

    quickbooks: QuickBooksState
    quickbooks_company_name: str = ""
    realm_id: str = ""
    connected_by: str = ""
    connected_at: datetime | None = None
    home_currency: str = ""
    multicurrency: bool = False
    online_payments: bool = False
    # "us" (TAX/NON lines, automated sales tax) or "global" (a tax code on every line).
    tax_model: str = ""

    @property
    def connected(self) -> bool:
        return self.quickbooks == "connected"


async def load_company_status(session: AsyncSession, company_id: int) -> CompanyStatus:
    # The QuickBooks connection arrives with the QuickBooks issue; until then nobody is connected.
    return CompanyStatus(quickbooks="not_connected")
