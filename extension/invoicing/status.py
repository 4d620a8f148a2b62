"""What the surfaces need to know about a company before showing anything else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from extension.services import Services
from extension.store.models import Installation
from extension.store.quickbooks_models import QuickBooksConnection

__all__ = ["CompanyStatus", "load_company_status", "company_status"]

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
    connection = await session.scalar(
        select(QuickBooksConnection).where(QuickBooksConnection.company_id == company_id)
    )
    if connection is None:
        return CompanyStatus(quickbooks="not_connected")
    state: QuickBooksState = "needs_reconnect" if connection.needs_reconnect else "connected"
    connected_by = await session.scalar(
        select(Installation.name).where(
            Installation.company_id == company_id,
            Installation.user_id == connection.connected_by_user_id,
        )
    )
    return CompanyStatus(
        quickbooks=state,
        quickbooks_company_name=connection.company_name,
        realm_id=connection.realm_id,
        connected_by=connected_by or f"User {connection.connected_by_user_id}",
        connected_at=connection.connected_at,
        home_currency=connection.home_currency,
        multicurrency=connection.multicurrency_enabled,
        online_payments=connection.online_payments_enabled,
        tax_model=connection.tax_model,
    )


async def company_status(services: Services, company_id: int) -> CompanyStatus:
    async with services.sessionmaker() as session:
        return await load_company_status(session, company_id)
