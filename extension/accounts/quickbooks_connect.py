"""Connecting QuickBooks: the ticket, the OAuth state, and finishing on Intuit's callback.

Intuit's consent page refuses to be framed, so an admin connects in a new top-level window,
where the iframe's session header does not exist. The settings page therefore opens
``/quickbooks/connect`` itself and hands that window a **ticket** over ``postMessage`` (only the
window it opened gets one); the window POSTs it. A ticket is

- short-lived (two minutes) and signed, naming the company and the admin;
- single-use: redeeming records its id in the database in one atomic insert, so a replay
  (from a log, a history entry, a second tab) is refused;
- never in a URL: it travels in a message and a form body, so no access log or ``Referer``
  ever carries it.

Redeeming it issues the OAuth ``state`` (signed, ten minutes) bound to that window's browser by
a nonce cookie, and the callback checks both before exchanging Intuit's code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from extension.accounts.permissions import Action, SessionUser, require
from extension.accounts.quickbooks_connection import Connected, connect_with_code, intuit_oauth
from extension.ids import parse_id
from extension.services import Services
from extension.store.quickbooks_connections import consume_connect_ticket

__all__ = [
    "TICKET_MAX_AGE",
    "STATE_MAX_AGE",
    "ConnectRefused",
    "ConnectStart",
    "issue_ticket",
    "start_connect",
    "finish_connect",
]

TICKET_MAX_AGE = 120
STATE_MAX_AGE = 600


class ConnectRefused(Exception):
    """The connect request cannot go on; ``outcome`` names the page to show."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


@dataclass(frozen=True, slots=True)
class ConnectStart:
    authorize_url: str
    nonce: str


def _signer(services: Services, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(services.settings.secret_key), salt=f"quickbooks.{purpose}")


async def issue_ticket(services: Services, user: SessionUser) -> str:
    """A one-time ticket for the connect window (admins only)."""
    await require(services, user, Action.ADMINISTER)
    return str(
        _signer(services, "connect").dumps(
            {"c": user.company_id, "u": user.user_id, "j": secrets.token_urlsafe(18)}
        )
    )


@dataclass(frozen=True, slots=True)
class _Signed:
    """A verified ticket or state: who it is for, and its one extra value (ticket id, nonce)."""

    company_id: int
    user_id: int
    extra: str


def _load(services: Services, purpose: str, value: str, max_age: int, extra: str) -> _Signed:
    try:
        data = _signer(services, purpose).loads(value, max_age=max_age)
    except BadSignature as exc:
        raise ConnectRefused("expired") from exc
    if not isinstance(data, dict):
        raise ConnectRefused("expired")
    company_id, user_id, text = parse_id(data.get("c")), parse_id(data.get("u")), data.get(extra)
    if company_id is None or user_id is None or not isinstance(text, str) or not text:
        raise ConnectRefused("expired")
    return _Signed(company_id, user_id, text)


async def start_connect(services: Services, ticket: str) -> ConnectStart:
    """Redeem a ticket (once) and build Intuit's authorize URL with a bound state."""
    signed = _load(services, "connect", ticket, TICKET_MAX_AGE, "j")
    company_id, user_id = signed.company_id, signed.user_id
    async with services.sessionmaker() as session, session.begin():
        first_use = await consume_connect_ticket(session, signed.extra[:64], company_id)
    if not first_use:
        raise ConnectRefused("used")
    await _require_admin(services, company_id, user_id)
    nonce = secrets.token_urlsafe(16)
    state = _signer(services, "state").dumps({"c": company_id, "u": user_id, "n": nonce})
    return ConnectStart(authorize_url=intuit_oauth(services).authorize_url(state), nonce=nonce)


async def _require_admin(services: Services, company_id: int, user_id: int) -> None:
    from extension.accounts.permissions import PermissionDenied
    from extension.accounts.users import session_user

    user = await session_user(services, company_id, user_id)
    if user is None:
        raise ConnectRefused("forbidden")
    try:
        await require(services, user, Action.ADMINISTER)
    except PermissionDenied as exc:
        raise ConnectRefused("forbidden") from exc


async def finish_connect(
    services: Services,
    *,
    state: str,
    nonce_cookie: str,
    code: str,
    realm_id: str,
    error: str,
) -> Connected:
    """Check Intuit's callback against the state and this browser's nonce, then connect.

    Raises ConnectRefused (expired, cancelled, forbidden) or a QuickBooksError.
    """
    signed = _load(services, "state", state, STATE_MAX_AGE, "n")
    company_id, user_id = signed.company_id, signed.user_id
    if not secrets.compare_digest(signed.extra, nonce_cookie):
        raise ConnectRefused("expired")
    if error:
        raise ConnectRefused("cancelled")
    if not code or parse_id(realm_id) is None:
        raise ConnectRefused("expired")
    await _require_admin(services, company_id, user_id)
    return await connect_with_code(
        services, company_id=company_id, user_id=user_id, code=code, realm_id=realm_id
    )
