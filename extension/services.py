"""What the lifespan hands to every request: one typed bundle instead of loose ``app.state``.

Handlers take it from the request (``get_services``) and pass it to the domain layer, which
builds clients from its pooled HTTP clients and settings; handlers never build a client or run
a query themselves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import httpx
from jinja2_fragments.starlette import Jinja2Blocks
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from extension.accounts.runtime import AccountsRuntime
from extension.security.crypto import TokenCipher
from extension.security.session import SessionSigner
from extension.settings import Settings

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["Services", "get_services"]


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    templates: Jinja2Blocks
    cipher: TokenCipher
    session_signer: SessionSigner
    # One pooled client per upstream; in sandbox mode they reach the in-process stand-ins.
    pipedrive_http: httpx.AsyncClient
    quickbooks_http: httpx.AsyncClient
    # Refresh locks, field cache, QuickBooks realm limits, the retry policy (its sleep).
    runtime: AccountsRuntime
    sandbox: Sandbox | None
    # Set when a webhook request stored events: this process's event worker wakes at once
    # (workers of other processes find them on their next look).
    events_stored: asyncio.Event = field(default_factory=asyncio.Event)


def get_services(request: Request) -> Services:
    return cast(Services, request.state.services)
