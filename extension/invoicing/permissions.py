"""Who may do what with invoices, checked on the server for every action.

Roles nest: a viewer sees invoices; a creator also creates, sends and copies payment links; a
manager also voids, deletes and unlinks. Pipedrive admins are always managers. A user without a
role of their own gets the company's default role (the seed's "only me / all users" setting).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.installations import get_installation
from extension.store.settings_models import CompanySettings, UserRole

__all__ = [
    "Role",
    "Action",
    "ROLE_LABELS",
    "allows",
    "effective_role",
    "PermissionDenied",
    "require",
    "DEFAULT_ROLE",
]


class Role(StrEnum):
    VIEWER = "viewer"
    CREATOR = "creator"
    MANAGER = "manager"


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    SEND = "send"
    COPY_LINK = "copy_link"
    VOID = "void"
    DELETE = "delete"
    UNLINK = "unlink"
    LINK = "link"


DEFAULT_ROLE = Role.CREATOR
ROLE_LABELS = {
    Role.VIEWER: "Viewer: sees invoices",
    Role.CREATOR: "Creator: also creates, emails and copies links",
    Role.MANAGER: "Manager: also voids, deletes and unlinks",
}
_RANK = {Role.VIEWER: 0, Role.CREATOR: 1, Role.MANAGER: 2}
_NEEDS = {
    Action.VIEW: Role.VIEWER,
    Action.CREATE: Role.CREATOR,
    Action.SEND: Role.CREATOR,
    Action.COPY_LINK: Role.CREATOR,
    Action.LINK: Role.CREATOR,
    Action.VOID: Role.MANAGER,
    Action.DELETE: Role.MANAGER,
    Action.UNLINK: Role.MANAGER,
}


class PermissionDenied(Exception):
    def __init__(self, action: Action, role: Role | None) -> None:
        super().__init__(f"{action.value} needs the {_NEEDS[action].value} role")
        self.action = action
        self.role = role


def allows(role: Role | None, action: Action) -> bool:
    return role is not None and _RANK[role] >= _RANK[_NEEDS[action]]


async def effective_role(session: AsyncSession, company_id: int, user_id: int) -> Role | None:
    """The user's role, or None when they have not installed the app (they may do nothing)."""
    installation = await get_installation(session, company_id, user_id)
    if installation is None or installation.needs_reauth:
        return None
    if installation.is_admin:
        return Role.MANAGER
    own = await session.scalar(
        select(UserRole.role).where(UserRole.company_id == company_id, UserRole.user_id == user_id)
    )
    if own is not None:
        return Role(own)
    default = await session.scalar(
        select(CompanySettings.default_role).where(CompanySettings.company_id == company_id)
    )
    return Role(default) if default else DEFAULT_ROLE


async def require(session: AsyncSession, company_id: int, user_id: int, action: Action) -> Role:
    role = await effective_role(session, company_id, user_id)
    if not allows(role, action):
        raise PermissionDenied(action, role)
    assert role is not None
    return role
