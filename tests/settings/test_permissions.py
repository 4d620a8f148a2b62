"""Roles: admins manage, users get their own role or the company default, strangers nothing."""

from __future__ import annotations

from datetime import date

import pytest

from extension.accounts.permissions import Action, PermissionDenied, Role, allows, require
from extension.accounts.users import session_user
from extension.invoicing.company_settings import due_date_example
from extension.services import Services
from extension.store.settings_models import CompanySettings, UserRole
from tests.support import install_user


async def _role(services: Services, company_id: int, user_id: int) -> Role | None:
    user = await session_user(services, company_id, user_id)
    if user is None:
        return None
    return await require(services, user, Action.VIEW)


async def test_effective_roles(services: Services, db) -> None:  # type: ignore[no-untyped-def]
    await install_user(db, company_id=9, user_id=1, is_admin=True)
    await install_user(db, company_id=9, user_id=2)
    await install_user(db, company_id=9, user_id=3)
    assert await _role(services, 9, 1) == Role.MANAGER
    assert await _role(services, 9, 2) == Role.CREATOR  # the default default
    assert await _role(services, 9, 4) is None  # never installed
    assert await _role(services, 10, 1) is None  # another company
    async with db() as session, session.begin():
        session.add(CompanySettings(company_id=9, default_role="viewer"))
        session.add(UserRole(company_id=9, user_id=3, role="manager"))
        session.add(UserRole(company_id=9, user_id=1, role="viewer"))  # admins stay managers
    assert await _role(services, 9, 2) == Role.VIEWER
    assert await _role(services, 9, 3) == Role.MANAGER
    assert await _role(services, 9, 1) == Role.MANAGER
    viewer = await session_user(services, 9, 2)
    assert viewer is not None
    with pytest.raises(PermissionDenied):
        await require(services, viewer, Action.CREATE)
    with pytest.raises(PermissionDenied):  # managers are not admins
        manager = await session_user(services, 9, 3)
        assert manager is not None
        await require(services, manager, Action.ADMINISTER)


def test_what_each_role_allows() -> None:
    assert allows(Role.VIEWER, Action.VIEW) and not allows(Role.VIEWER, Action.CREATE)
    assert allows(Role.CREATOR, Action.SEND) and allows(Role.CREATOR, Action.COPY_LINK)
    assert not allows(Role.CREATOR, Action.VOID) and not allows(Role.CREATOR, Action.DELETE)
    assert allows(Role.MANAGER, Action.UNLINK) and allows(Role.MANAGER, Action.DELETE)
    assert not allows(None, Action.VIEW)


def test_due_date_example_dates() -> None:
    example = due_date_example("7", date(2026, 3, 13))
    assert example is not None and example.due == date(2026, 3, 20)
    late = due_date_example("30", date(2026, 12, 20))
    assert late is not None and late.due == date(2027, 1, 19)
    assert due_date_example("400", date(2026, 3, 13)) is None
    assert due_date_example("²", date(2026, 3, 13)) is None
