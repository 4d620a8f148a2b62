"""Pipedrive's uninstall and sharing notices, and the company teardown.

An uninstall deletes the user's installation (and with it their tokens). When that was the
company's last installed user, everything the app holds for the company goes in the same
transaction (every company table cascades from the company row); the QuickBooks grant is read
in that transaction and revoked at Intuit only after the commit, never while locks are held.
"""

from __future__ import annotations

from typing import Any, Literal

from extension.accounts.pipedrive_access import pipedrive_oauth
from extension.accounts.quickbooks_connection import revoke_grant, take_grant_for_revocation
from extension.pipedrive.notices import parse_sharing, parse_uninstall
from extension.services import Services
from extension.store.installations import (
    count_installations,
    delete_company,
    delete_installation,
    get_company,
    lock_company,
    record_audit,
)

__all__ = ["Outcome", "NoticeRefused", "handle_uninstall", "handle_sharing"]

Outcome = Literal["unknown_company", "user_removed", "company_removed"]


class NoticeRefused(Exception):
    """The notice is not Pipedrive's (401) or not readable (400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def handle_uninstall(
    services: Services, authorization: str | None, read_body: Any
) -> Outcome:
    """Check the notice's credentials before reading it, then uninstall the user."""
    if not pipedrive_oauth(services).verify_basic_auth(authorization):
        raise NoticeRefused(401, "unauthorized")
    notice = parse_uninstall(await read_body())
    if notice is None or notice.client_id != services.settings.pipedrive_client_id:
        raise NoticeRefused(400, "malformed notice")
    company_id, user_id = notice.company_id, notice.user_id
    async with services.sessionmaker() as session, session.begin():
        # Locking the company serializes two users uninstalling at once: exactly one of them
        # sees zero installations left and removes the company.
        if await lock_company(session, company_id) is None:
            return "unknown_company"
        removed = await delete_installation(session, company_id, user_id)
        if await count_installations(session, company_id) > 0:
            await record_audit(
                session,
                company_id,
                user_id,
                "pipedrive.uninstalled",
                {"had_installation": removed, "timestamp": notice.timestamp},
            )
            return "user_removed"
        quickbooks_grant = await take_grant_for_revocation(services, session, company_id)
        await delete_company(session, company_id)
    services.runtime.fields.forget_company(company_id)
    if quickbooks_grant is not None:
        await revoke_grant(services, quickbooks_grant, company_id)
    return "company_removed"


async def handle_sharing(services: Services, body: Any) -> bool:
    """Record a sharing change for a company we know; anything else is ignored."""
    notice = parse_sharing(body)
    if notice is None:
        return False
    async with services.sessionmaker() as session, session.begin():
        if await get_company(session, notice.company_id) is None:
            return False
        await record_audit(
            session,
            notice.company_id,
            notice.user_id,
            "pipedrive.sharing_changed",
            {"is_shared": notice.is_shared},
        )
    return True
