"""Who is behind a session, checked against the database and refreshed from Pipedrive.

``refresh_user_details`` is the one place a user's details come from Pipedrive's
``/v1/users/me`` (name, email, the admin flag, and what they read in: interface language,
"Date/number format" locale, time zone). They are re-read when a session is issued and when a
permission is checked, at most every ``DETAILS_MAX_AGE``, so a user demoted in Pipedrive loses
admin rights within minutes and without reinstalling, and a user who switches Pipedrive to
Finnish reads the app in Finnish on their next visit. When Pipedrive cannot be asked, the
stored details stand (the check is retried on the next request).

``session_user`` is the cheap check every fragment call makes: one indexed read of the user's
installation. A session token stops working the moment its installation is gone (uninstall) or
needs authorizing again, however long the signed token itself would still live.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from extension.accounts.pipedrive_access import client_for_user
from extension.i18n import LANGUAGES, UserLocale, user_locale
from extension.pipedrive.errors import PipedriveError, ReauthorizationNeeded
from extension.pipedrive.models import CurrentUser
from extension.services import Services
from extension.store.installations import (
    get_installation,
    list_installations,
    set_language_override,
    update_user_details,
)
from extension.store.models import Installation, utcnow

__all__ = [
    "SessionUser",
    "UserSummary",
    "session_user",
    "installation_state",
    "refresh_user_details",
    "PipedriveDetails",
    "details_from",
    "choose_language",
    "list_users",
    "DETAILS_MAX_AGE",
]

logger = logging.getLogger(__name__)
DETAILS_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SessionUser:
    """An installed, authorized user as the last look at the database saw them."""

    company_id: int
    user_id: int
    name: str
    is_admin: bool
    details_refreshed_at: datetime | None
    # What they read: their language (or their own choice in the app), formats, time zone.
    locale: UserLocale = UserLocale()
    # "" when the language follows Pipedrive's; else the language they chose in the app.
    language_override: str = ""

    @classmethod
    def of(cls, row: Installation) -> SessionUser:
        language, _, country = row.language.partition("_")
        return cls(
            company_id=row.company_id,
            user_id=row.user_id,
            name=row.name,
            is_admin=row.is_admin,
            details_refreshed_at=row.details_refreshed_at,
            locale=user_locale(
                language_code=language,
                country_code=country,
                formatting=row.locale,
                timezone=row.timezone_name,
                override=row.language_override,
            ),
            language_override=row.language_override,
        )


async def session_user(services: Services, company_id: int, user_id: int) -> SessionUser | None:
    """The user if their installation exists and is authorized; None otherwise."""
    async with services.sessionmaker() as session:
        row = await get_installation(session, company_id, user_id)
    if row is None or row.needs_reauth:
        return None
    return SessionUser.of(row)


async def installation_state(
    services: Services, company_id: int, user_id: int
) -> Literal["none", "needs_reauth", "authorized"]:
    async with services.sessionmaker() as session:
        row = await get_installation(session, company_id, user_id)
    if row is None:
        return "none"
    return "needs_reauth" if row.needs_reauth else "authorized"


@dataclass(frozen=True, slots=True)
class UserSummary:
    """A user of the company as pages show them (no tokens)."""

    user_id: int
    name: str
    is_admin: bool


async def list_users(services: Services, company_id: int) -> list[UserSummary]:
    async with services.sessionmaker() as session:
        rows = await list_installations(session, company_id)
    return [UserSummary(r.user_id, r.name or f"User {r.user_id}", r.is_admin) for r in rows]


@dataclass(frozen=True, slots=True)
class PipedriveDetails:
    """The installation's columns that ``/users/me`` fills (at install and every refresh)."""

    name: str
    email: str
    is_admin: bool
    language: str  # as Pipedrive gives it (``fi_FI``), offered or not: chosen when read
    locale: str
    timezone_name: str

    def columns(self) -> dict[str, str | bool]:
        return asdict(self)


def details_from(me: CurrentUser) -> PipedriveDetails:
    language = "_".join(part for part in (me.language_code, me.country_code) if part)
    return PipedriveDetails(
        name=me.name,
        email=me.email,
        is_admin=me.is_admin,
        language=language[:16],
        locale=me.locale[:32],
        timezone_name=me.timezone_name[:64],
    )


async def choose_language(
    services: Services, user: SessionUser, language: str
) -> SessionUser | None:
    """The user's own language in the app; "" (or one not offered) follows Pipedrive's again."""
    chosen = language if language in LANGUAGES else ""
    async with services.sessionmaker() as session, session.begin():
        row = await set_language_override(session, user.company_id, user.user_id, chosen)
    return SessionUser.of(row) if row is not None and not row.needs_reauth else None


def _fresh(user: SessionUser, max_age: timedelta) -> bool:
    checked = user.details_refreshed_at
    return checked is not None and utcnow() - checked < max_age


async def refresh_user_details(
    services: Services,
    company_id: int,
    user_id: int,
    *,
    max_age: timedelta = DETAILS_MAX_AGE,
) -> SessionUser | None:
    """The user with details at most ``max_age`` old, or None if they may not use the app."""
    user = await session_user(services, company_id, user_id)
    if user is None or _fresh(user, max_age):
        return user
    try:
        client = await client_for_user(services, company_id, user_id)
        me = await client.me()
    except ReauthorizationNeeded:
        return None
    except PipedriveError as exc:
        logger.warning(
            "Pipedrive user details of %s/%s not refreshed (%s); stored ones stand",
            company_id,
            user_id,
            type(exc).__name__,
        )
        return user
    if me.id != user_id or me.company_id != company_id:
        logger.error(
            "Pipedrive answered /users/me for another user (installation %s/%s)",
            company_id,
            user_id,
        )
        return None
    async with services.sessionmaker() as session, session.begin():
        row = await update_user_details(session, company_id, user_id, details_from(me).columns())
    return SessionUser.of(row) if row is not None and not row.needs_reauth else None
