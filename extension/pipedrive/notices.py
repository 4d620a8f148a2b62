"""Pipedrive's server-to-server calls to our callback URL (reference/pipedrive.md §2.6, §1.9).

``DELETE``: a user uninstalled the app (authenticated with our client credentials in HTTP Basic,
checked by ``PipedriveOAuth.verify_basic_auth`` before anything is read). ``POST``: the app's
sharing state changed (its authentication is not documented). This module only reads them; what
the app does about them lives in ``extension.accounts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extension.ids import parse_id

__all__ = ["UninstallNotice", "SharingNotice", "parse_uninstall", "parse_sharing"]


@dataclass(frozen=True, slots=True)
class UninstallNotice:
    client_id: str
    company_id: int
    user_id: int
    timestamp: str


@dataclass(frozen=True, slots=True)
class SharingNotice:
    company_id: int
    user_id: int | None
    is_shared: bool | None


def parse_uninstall(body: Any) -> UninstallNotice | None:
    if not isinstance(body, dict):
        return None
    company_id, user_id = parse_id(body.get("company_id")), parse_id(body.get("user_id"))
    if company_id is None or user_id is None:
        return None
    return UninstallNotice(
        client_id=str(body.get("client_id", "")),
        company_id=company_id,
        user_id=user_id,
        timestamp=str(body.get("timestamp", ""))[:64],
    )


def parse_sharing(body: Any) -> SharingNotice | None:
    if not isinstance(body, dict):
        return None
    company_id = parse_id(body.get("company_id"))
    if company_id is None:
        return None
    is_shared = body.get("isShared")
    return SharingNotice(
        company_id=company_id,
        user_id=parse_id(body.get("user_id")),
        is_shared=is_shared if isinstance(is_shared, bool) else None,
    )
