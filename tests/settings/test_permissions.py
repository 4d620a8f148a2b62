"""Roles: admins manage, users get their own role or the company default, strangers nothing."""

from __future__ import annotations

from datetime import date

from extension.invoicing.company_settings import due_date_example
from extension.invoicing.permissions import Action, Role, allows, effective_role
from extension.store.settings_models import CompanySettings, UserRole
from tests.conftest import install_user


async def test_effective_roles(db) -> None:  # type: ignore[no-untyped-def]
    await install_user(db, company_id=9, user_id=1, is_admin=True)
    await install_user(db, company_id=9, user_id=2)
    await install_user(db, company_id=9, user_id=3)
    async with db() as session:
        assert await effective_role(session, 9, 1) == Role.MANAGER
        assert await effective_role(session, 9, 2) == Role.CREATOR  # the default default
        assert await effective_role(session, 9, 4) is None  # never installed
        assert await effective_role(session, 10, 1) is None  # another company
    async with db() as session, session.begin():
        session.add(CompanySettings(company_id=9, default_role="viewer"))
        session.add(UserRole(company_id=9, user_id=3, role="manager"))
        session.add(UserRole(company_id=9, user_id=1, role="viewer"))  # admins stay managers
    async with db() as session:
        assert await effective_role(session, 9, 2) == Role.VIEWER
        assert await effective_role(session, 9, 3) == Role.MANAGER
        assert await effective_role(session, 9, 1) == Role.MANAGER


def test_what_each_role_allows() -> None:
    assert allows(Role.VIEWER, Action.VIEW) and not allows(Role.VIEWER, Action.CREATE)
    assert allows(Role.CREATOR, Action.SEND) and allows(Role.CREATOR, Action.COPY_LINK)
    assert not allows(Role.CREATOR, Action.VOID) and not allows(Role.CREATOR, Action.DELETE)
    assert allows(Role.MANAGER, Action.UNLINK) and allows(Role.MANAGER, Action.DELETE)
    assert not allows(None, Action.VIEW)


def test_due_date_example_text() -> None:
    assert (
        due_date_example("7", date(2026, 3, 13))
        == "An invoice created on 13 March is due on 20 March."
    )
    assert (
        due_date_example("30", date(2026, 12, 20))
        == "An invoice created on 20 December is due on 19 January 2027."
    )
    assert due_date_example("400", date(2026, 3, 13)) is None
