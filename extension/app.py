"""The application factory: routes, middleware, exception handlers and the lifespan.

The lifespan owns the database engine and one pooled ``httpx.AsyncClient`` per upstream
(Pipedrive, QuickBooks); in sandbox mode those clients are wired to the in-process stand-ins
through ``httpx.ASGITransport``, so the product code never knows it is talking to a sandbox.
It also runs the background work that keeps invoice statuses live (the webhook event worker
and the reconciler, ``extension.invoicing.live_sync``), started after the engine and clients
and stopped before them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypedDict

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from extension.accounts.runtime import AccountsRuntime
from extension.invoicing.live_sync import live_sync
from extension.observability import RequestIdMiddleware
from extension.quickbooks.limits import RealmLimits
from extension.sandbox import Sandbox, build_sandbox
from extension.security.crypto import TokenCipher
from extension.security.headers import SecurityHeadersMiddleware
from extension.security.redaction import install_log_redaction
from extension.security.session import SessionSigner
from extension.services import Services
from extension.settings import SANDBOX_PREFIX, Settings
from extension.store.db import create_engine, create_sessionmaker
from extension.templating import create_templates
from extension.web import (
    contact_link,
    create_invoice,
    errors,
    home,
    invoice_actions,
    modals,
    panel,
    pipedrive_oauth,
    product_link,
    quickbooks,
    session,
    settings_page,
)
from extension.web.locale import LocaleMiddleware

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
_UPSTREAM_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_UPSTREAM_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)


class State(TypedDict):
    services: Services


def _static_routes() -> list[BaseRoute]:
    vendor = STATIC_DIR / "node_modules"
    return [
        Mount("/static/css", StaticFiles(directory=STATIC_DIR / "css"), name="css"),
        Mount("/static/js", StaticFiles(directory=STATIC_DIR / "js"), name="js"),
        Mount(
            "/static/vendor/htmx",
            StaticFiles(directory=vendor / "htmx.org" / "dist", check_dir=False),
            name="htmx",
        ),
        Mount(
            "/static/vendor/sdk",
            StaticFiles(
                directory=vendor / "@pipedrive" / "app-extensions-sdk" / "dist", check_dir=False
            ),
            name="sdk",
        ),
    ]


def _with_state(app: ASGIApp, state: State) -> ASGIApp:
    async def app_with_state(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return app_with_state


def _upstream_client(settings: Settings, sandbox: Sandbox | None) -> httpx.AsyncClient:
    transport: httpx.AsyncBaseTransport | None = None
    if sandbox is not None:
        # Requests to the stand-ins stay in-process: no loopback socket, no self-deadlock.
        transport = httpx.ASGITransport(app=sandbox.asgi, root_path=SANDBOX_PREFIX)
    return httpx.AsyncClient(
        timeout=_UPSTREAM_TIMEOUT,
        limits=_UPSTREAM_LIMITS,
        transport=transport,
        headers={"User-Agent": "qbo-pipedrive-invoices/0.1"},
        follow_redirects=False,
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    install_log_redaction()
    sandbox = build_sandbox(settings) if settings.sandbox else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        engine = create_engine(settings.database_url)
        secret_key = str(settings.secret_key)
        encryption_key = str(settings.encryption_key) if settings.encryption_key else None
        async with (
            _upstream_client(settings, sandbox) as pipedrive_http,
            _upstream_client(settings, sandbox) as quickbooks_http,
        ):
            services = Services(
                settings=settings,
                engine=engine,
                sessionmaker=create_sessionmaker(engine),
                templates=create_templates(),
                cipher=TokenCipher(secret_key=secret_key, encryption_key=encryption_key),
                session_signer=SessionSigner(secret_key),
                pipedrive_http=pipedrive_http,
                quickbooks_http=quickbooks_http,
                runtime=AccountsRuntime(
                    realm_limits=RealmLimits(max_in_flight=settings.qbo_max_in_flight)
                ),
                sandbox=sandbox,
            )
            state: State = {"services": services}
            # The stand-ins call the app back (webhooks, uninstall) in-process too; a server
            # would hand each request the lifespan state, so the in-process route does as well.
            app_http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=_with_state(app, state)),
                base_url=settings.app_base_url,
            )
            if sandbox is not None:
                sandbox.attach(app_http=app_http)
            try:
                async with live_sync(services):
                    yield state
            finally:
                if sandbox is not None:
                    await sandbox.aclose()
                await app_http.aclose()
                await engine.dispose()

    routes: list[BaseRoute] = [
        *home.routes,
        *panel.routes,
        # Before the /modals mount, which would otherwise take /modals/create-invoice/….
        *create_invoice.routes,
        *contact_link.routes,
        *product_link.routes,
        *modals.routes,
        *invoice_actions.routes,
        *settings_page.routes,
        *quickbooks.routes,
        *session.routes,
        *pipedrive_oauth.routes,
        *_static_routes(),
    ]
    if sandbox is not None:
        routes.append(Mount(SANDBOX_PREFIX, app=sandbox.asgi, name="sandbox"))

    extra_ancestors = [settings.app_origin] if settings.sandbox else []
    application = Starlette(
        routes=routes,
        middleware=[
            # First: everything inside, the access log included, sees the request's id.
            Middleware(RequestIdMiddleware),
            Middleware(LocaleMiddleware),
            Middleware(SecurityHeadersMiddleware, extra_frame_ancestors=extra_ancestors),
        ],
        exception_handlers=errors.exception_handlers,
        lifespan=lifespan,
    )
    # Where a test or a tool that runs the app finds its stand-ins (None outside sandbox mode).
    application.state.sandbox = sandbox
    return application
