"""What every surface Pipedrive frames does first (design.md §2).

``open_iframe`` verifies the Pipedrive JWT from the query and, when the user's installation is
there and authorized, refreshes their details from Pipedrive (admin flag, language, locale and
time zone; at most every few minutes) and issues our own session token for the page's fragment
calls.

``require_user`` guards those fragment calls: a valid ``X-App-Session`` header and, looked up
in the database on every call (one indexed read), an installation that still exists and is
authorized. A session token therefore stops working the moment its user uninstalls or must
authorize again.

Both are where the request learns who is asking, so both are where it switches to that user's
language, formats and time zone (``_speak_as``); before that, and for anyone not installed,
the browser's ``Accept-Language`` applies (``extension.web.locale``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from extension.accounts.users import (
    SessionUser,
    installation_state,
    refresh_user_details,
    session_user,
)
from extension.i18n import set_request_locale
from extension.ids import parse_id
from extension.security.iframe_jwt import IframeIdentity, InvalidIframeToken, verify_iframe_token
from extension.security.session import SESSION_HEADER, AppSession, InvalidSession
from extension.services import get_services

__all__ = [
    "IframeContext",
    "open_iframe",
    "require_user",
    "Unverified",
    "SessionRejected",
    "first_id",
]


class Unverified(Exception):
    """The iframe request could not be verified: HTTP 401 and nothing else."""


class SessionRejected(Exception):
    """A fragment call without a valid, live session: 401 (``expired`` → renew and repeat)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("session rejected")
        self.expired = expired


@dataclass(frozen=True, slots=True)
class IframeContext:
    """Everything a shell template needs; ``data`` and ``selected_ids`` are untrusted input."""

    identity: IframeIdentity
    installed: bool
    needs_reauth: bool
    sdk_id: str
    theme: str
    session_token: str | None
    selected_ids: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def hx_headers(self) -> str:
        return json.dumps({SESSION_HEADER: self.session_token or ""})


def _parse_data(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def first_id(selected_ids: str) -> int | None:
    """The first id of ``selectedIds`` (unsigned input: ASCII digits or nothing)."""
    return parse_id(selected_ids.split(",")[0])


def _speak_as(user: SessionUser) -> SessionUser:
    """Everything this request still renders is in ``user``'s language, formats and zone."""
    set_request_locale(user.locale)
    return user


async def open_iframe(request: Request) -> IframeContext:
    services = get_services(request)
    query = request.query_params
    try:
        identity = verify_iframe_token(
            query.get("token"), query, str(services.settings.pipedrive_jwt_secret)
        )
    except InvalidIframeToken as exc:
        raise Unverified(str(exc)) from exc
    state = await installation_state(services, identity.company_id, identity.user_id)
    user = None
    if state == "authorized":
        user = await refresh_user_details(services, identity.company_id, identity.user_id)
    token = None
    if user is not None:
        _speak_as(user)
        token = services.session_signer.issue(
            AppSession(company_id=identity.company_id, user_id=identity.user_id)
        )
    return IframeContext(
        identity=identity,
        installed=state != "none",
        needs_reauth=state != "none" and user is None,
        sdk_id=query.get("id", ""),
        theme="dark" if query.get("theme") == "dark" else "light",
        session_token=token,
        selected_ids=query.get("selectedIds", ""),
        data=_parse_data(query.get("data")),
    )


async def require_user(request: Request) -> SessionUser:
    services = get_services(request)
    try:
        app_session = services.session_signer.verify(request.headers.get(SESSION_HEADER))
    except InvalidSession as exc:
        raise SessionRejected(expired=exc.expired) from exc
    user = await session_user(services, app_session.company_id, app_session.user_id)
    if user is None:
        # Uninstalled, or must authorize again: the signed token alone no longer opens anything.
        raise SessionRejected(expired=False)
    return _speak_as(user)
