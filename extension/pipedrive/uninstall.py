"""Pipedrive's calls to our callback URL other than the OAuth redirect (reference/pipedrive.md
§2.6, §1.9).

``DELETE``: a user uninstalled the app. Pipedrive authenticates it with HTTP Basic
``client_id:client_secret``, compared here in constant time. The user's installation (and with
it their tokens) is deleted; when that was the company's last installed user, everything the
app holds for the company goes, in the same transaction: the QuickBooks connection is revoked
first, then the company row, from which every company table cascades.

``POST``: the app's sharing state changed. Its authentication is not documented, so it only
ever adds an audit event for a company we already know.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any, Literal

from extension.pipedrive.tokens import runtime_for
from extension.quickbooks.connection import grant_to_revoke, revoke_grant
from extension.services import Services
from extension.settings import Settings
from extension.store.installations import (
    count_installations,
    delete_company,
    delete_installation,
    get_company,
    lock_company,
    record_audit,
)

__all__ = [
    "UninstallNotice",
    "verify_pipedrive_basic_auth",
    "parse_notice",
    "uninstall_user",
    "record_sharing_change",
]

Outcome = Literal["unknown_company", "user_removed", "company_removed"]


@dataclass(frozen=True, slots=True)
class UninstallNotice:
    client_id: str
    company_id: int
    user_id: int
    timestamp: str


def verify_pipedrive_basic_auth(settings: Settings, header: str | None) -> bool:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return False
    try:
        presented = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = f"{settings.pipedrive_client_id}:{settings.pipedrive_client_secret}".encode()
    return hmac.compare_digest(presented, expected)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def parse_notice(body: Any) -> UninstallNotice | None:
    if not isinstance(body, dict):
        return None
    company_id, user_id = _as_id(body.get("company_id")), _as_id(body.get("user_id"))
    if company_id is None or user_id is None:
        return None
    return UninstallNotice(
        client_id=str(body.get("client_id", "")),
        company_id=company_id,
        user_id=user_id,
        timestamp=str(body.get("timestamp", "")),
    )


async def uninstall_user(services: Services, notice: UninstallNotice) -> Outcome:
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
                {"had_installation": removed, "timestamp": notice.timestamp[:64]},
            )
            return "user_removed"
        # Everything of the company goes in this one transaction (the rows cascade from the
        # company); the QuickBooks grant is read first so it can be revoked at Intuit after the
        # commit, never while this transaction holds its locks.
        quickbooks_grant = await grant_to_revoke(session, services, company_id)
        await delete_company(session, company_id)
    runtime_for(services).fields.forget_company(company_id)
    if quickbooks_grant is not None:
        await revoke_grant(services, quickbooks_grant, company_id)
    return "company_removed"


async def record_sharing_change(services: Services, body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    company_id, user_id = _as_id(body.get("company_id")), _as_id(body.get("user_id"))
    if company_id is None:
        return False
    is_shared = body.get("isShared")
    async with services.sessionmaker() as session, session.begin():
        if await get_company(session, company_id) is None:
            return False
        await record_audit(
            session,
            company_id,
            user_id,
            "pipedrive.sharing_changed",
            {"is_shared": is_shared if isinstance(is_shared, bool) else None},
        )
    return True
