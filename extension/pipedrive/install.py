"""Completing a Marketplace install: code → tokens → ``/users/me`` → the stored installation.

Each Pipedrive user installs the app for themself. The first installer of a company creates the
company row; later users join it. Installing again updates the same row (tokens, name, admin
flag) and clears ``needs_reauth``; it never adds a second one. Identity comes from
``/v1/users/me`` with the new token, never from parsing the token.
"""

from __future__ import annotations

from dataclasses import dataclass

from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import ReauthorizationNeeded
from extension.pipedrive.models import CurrentUser
from extension.pipedrive.oauth import exchange_code
from extension.services import Services
from extension.settings import Settings
from extension.store.installations import (
    ensure_company,
    get_installation,
    record_audit,
    upsert_installation,
)

__all__ = ["InstallResult", "complete_install", "app_settings_url"]


@dataclass(frozen=True, slots=True)
class InstallResult:
    user: CurrentUser
    company_created: bool
    reinstalled: bool


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
    tokens = await exchange_code(
        services.pipedrive_http, services.settings, code=code, redirect_uri=redirect_uri
    )
    client = PipedriveClient(
        services.pipedrive_http,
        api_domain=tokens.api_domain,
        tokens=_JustIssued(tokens.access_token),
        company_id=0,
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
                "name": user.name,
                "email": user.email,
                "is_admin": user.is_admin,
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


def app_settings_url(settings: Settings, company_domain: str) -> str:
    """Where Pipedrive shows our settings page; the sandbox host has its own equivalent."""
    path = f"/settings/marketplace/app/{settings.pipedrive_client_id}/app-settings"
    if settings.sandbox:
        return f"{settings.sandbox_base_url}/pipedrive{path}"
    return f"https://{company_domain}.pipedrive.com{path}"
