"""A Marketplace install, from the installation URL to the stored installation.

Each Pipedrive user installs the app for themself. The first installer of a company creates the
company row; later users join it. Installing again updates the same row (tokens, name, admin
flag) and clears ``needs_reauth``; it never adds a second one. Identity comes from
``/v1/users/me`` with the new token, never from parsing the token.

The ``state`` sent to Pipedrive is an itsdangerous HMAC signature with a timestamp, so the
callback can refuse a missing, forged or expired one without keeping anything server-side.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from extension.accounts.pipedrive_access import pipedrive_oauth
from extension.accounts.users import details_from
from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import ReauthorizationNeeded
from extension.pipedrive.models import CurrentUser
from extension.services import Services
from extension.store.installations import (
    ensure_company,
    get_installation,
    record_audit,
    upsert_installation,
)
from extension.store.models import utcnow

__all__ = [
    "STATE_MAX_AGE",
    "InvalidState",
    "InstallResult",
    "authorize_url",
    "verify_state",
    "complete_install",
    "app_settings_url",
]

STATE_MAX_AGE = 600  # the consent page may stay open a while; codes themselves live 5 minutes
_STATE_SALT = "pipedrive-oauth-state.v1"


class InvalidState(Exception):
    """The callback's ``state`` is missing, forged or expired (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class InstallResult:
    user: CurrentUser
    company_created: bool
    reinstalled: bool


def _serializer(services: Services) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(services.settings.secret_key), salt=_STATE_SALT)


def authorize_url(services: Services, *, redirect_uri: str) -> str:
    """Pipedrive's consent page, with a fresh signed state."""
    state = _serializer(services).dumps({"n": secrets.token_urlsafe(12)})
    return pipedrive_oauth(services).authorize_url(redirect_uri=redirect_uri, state=state)


def verify_state(services: Services, state: str | None, *, max_age: int = STATE_MAX_AGE) -> None:
    if not state:
        raise InvalidState("missing")
    try:
        _serializer(services).loads(state, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidState("expired") from exc
    except BadSignature as exc:
        raise InvalidState("forged") from exc


class _JustIssued:
    """Token source for the one ``/users/me`` call right after the exchange: no refreshing."""

    def __init__(self, access_token: str) -> None:
        self._access = access_token

    def __repr__(self) -> str:
        return "_JustIssued()"

    async def access_token(self) -> str:
        return self._access

    async def after_unauthorized(self, rejected: str) -> str:
        raise ReauthorizationNeeded("Pipedrive refused the token it just issued", status=401)

    async def mark_needs_reauth(self) -> None:
        return None


async def complete_install(services: Services, *, code: str, redirect_uri: str) -> InstallResult:
    """Raises OAuthError (code refused) or another PipedriveError; stores nothing then."""
    tokens = await pipedrive_oauth(services).exchange_code(code=code, redirect_uri=redirect_uri)
    client = PipedriveClient(
        services.pipedrive_http,
        api_domain=tokens.api_domain,
        tokens=_JustIssued(tokens.access_token),
        company_id=0,
        retry=services.runtime.retry,
    )
    user = await client.me()
    cipher = services.cipher
    async with services.sessionmaker() as session, session.begin():
        created = await ensure_company(
            session, user.company_id, user.company_name, user.company_domain
        )
        reinstalled = await get_installation(session, user.company_id, user.id) is not None
        await upsert_installation(
            session,
            company_id=user.company_id,
            user_id=user.id,
            values={
                **details_from(user).columns(),
                "details_refreshed_at": utcnow(),
                "api_domain": tokens.api_domain,
                "scopes": tokens.scope,
                "access_token_enc": cipher.encrypt(tokens.access_token),
                "refresh_token_enc": cipher.encrypt(tokens.refresh_token),
                "token_expires_at": tokens.expires_at,
            },
        )
        await record_audit(
            session,
            user.company_id,
            user.id,
            "pipedrive.reinstalled" if reinstalled else "pipedrive.installed",
            {"company_created": created, "is_admin": user.is_admin},
        )
    return InstallResult(user=user, company_created=created, reinstalled=reinstalled)


def app_settings_url(services: Services, company_domain: str) -> str:
    """Where Pipedrive shows our settings page; the sandbox host has its own equivalent."""
    settings = services.settings
    path = f"/settings/marketplace/app/{settings.pipedrive_client_id}/app-settings"
    if settings.sandbox:
        return f"{settings.sandbox_base_url}/pipedrive{path}"
    return f"https://{company_domain}.pipedrive.com{path}"
