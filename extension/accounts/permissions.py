"""Who may do what, checked on the server for every action through one call: ``require``.

Roles nest: a viewer sees invoices; a creator also creates, sends and copies payment links; a
manager also voids, deletes and unlinks. Pipedrive admins are always managers, and only they
administer the app (settings, the QuickBooks connection). A user without a role of their own
gets the company's default role (the seed's "only me / all users" setting).

``require`` re-reads the user's admin flag from Pipedrive when it is older than a few minutes
(``users.refresh_user_details``), so a demotion in Pipedrive takes effect here without
reinstalling; a user whose installation is gone may do nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from extension.accounts.users import SessionUser, refresh_user_details
from extension.services import Services
from extension.store.settings_models import CompanySettings, UserRole

__all__ = [
    "Role",
    "Action",
    "DEFAULT_ROLE",
    "allows",
    "role_of",
    "PermissionDenied",
    "require",
    "Grants",
    "grants_for",
    "SessionUser",
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
    LINK = "link"
    VOID = "void"
    DELETE = "delete"
    UNLINK = "unlink"
    ADMINISTER = "administer"  # settings and the QuickBooks connection: Pipedrive admins only


DEFAULT_ROLE = Role.CREATOR
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
    Action.ADMINISTER: Role.MANAGER,
}


class PermissionDenied(Exception):
    def __init__(self, action: Action, role: Role | None) -> None:
        super().__init__(f"{action.value} is not allowed for role {role}")
        self.action = action
        self.role = role


def allows(role: Role | None, action: Action, *, is_admin: bool = False) -> bool:
    if action is Action.ADMINISTER:
        return is_admin
    return role is not None and _RANK[role] >= _RANK[_NEEDS[action]]


async def role_of(session: AsyncSession, user: SessionUser) -> Role:
    if user.is_admin:
        return Role.MANAGER
    own = await session.scalar(
        select(UserRole.role).where(
            UserRole.company_id == user.company_id, UserRole.user_id == user.user_id
        )
    )
    if own is not None:
        return Role(own)
    default = await session.scalar(
        select(CompanySettings.default_role).where(CompanySettings.company_id == user.company_id)
    )
    return Role(default) if default else DEFAULT_ROLE


async def require(services: Services, user: SessionUser, action: Action) -> Role:
    """The user's role if it allows ``action``; raises PermissionDenied otherwise."""
    return (await grants_for(services, user, action)).role


@dataclass(frozen=True, slots=True)
class Grants:
    """What one user may do, for screens that show only the controls a user may use (the
    server still checks each action with :func:`require`)."""

    role: Role
    is_admin: bool

    def may(self, action: Action) -> bool:
        return allows(self.role, action, is_admin=self.is_admin)

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(action.value for action in Action if self.may(action))


async def grants_for(services: Services, user: SessionUser, action: Action = Action.VIEW) -> Grants:
    """Everything the user may do, if it includes ``action``; raises PermissionDenied
    otherwise. ``require`` is this check when only the role is wanted."""
    current = await refresh_user_details(services, user.company_id, user.user_id)
    if current is None:
        raise PermissionDenied(action, None)
    async with services.sessionmaker() as session:
        role = await role_of(session, current)
    grants = Grants(role, current.is_admin)
    if not grants.may(action):
        raise PermissionDenied(action, role)
    return grants
