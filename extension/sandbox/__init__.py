"""Local stand-ins for Pipedrive and QuickBooks, mounted under ``/sandbox`` (design.md §6).

``Sandbox`` is one ASGI app with three parts: the Pipedrive look-alike host page (``host``), the
Pipedrive API/OAuth stand-in (``pipedrive``) and the QuickBooks stand-in (``quickbooks``). The
app's upstream clients reach it in-process through ``httpx.ASGITransport``; the stand-ins call
the app back (webhooks, uninstall) through ``app_http``, attached by the app's lifespan.
Their state lives in memory for the life of the process.

``base_url`` is where the stand-ins are reached: ``{APP_BASE_URL}/sandbox`` when mounted in the
app (sandbox mode), or their own loopback origin when they run in a process of their own
(:mod:`extension.sandbox.standalone`, for several app processes sharing one Pipedrive and one
QuickBooks). ``settings.app_base_url`` is always where the app is reached (callbacks, webhooks).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from extension.manifest import Manifest, load_manifest
from extension.sandbox import host, pipedrive, quickbooks
from extension.settings import Settings
from extension.templating import create_templates

__all__ = ["Sandbox", "build_sandbox"]


class Sandbox:
    def __init__(self, settings: Settings, manifest: Manifest, base_url: str | None = None) -> None:
        self.settings = settings
        self.base_url = (base_url or settings.sandbox_base_url).rstrip("/")
        self.manifest = manifest
        self.templates = create_templates()
        self._app_http: httpx.AsyncClient | None = None
        self._shutdown: list[Callable[[], Awaitable[None]]] = []
        self.asgi = Starlette(
            routes=[
                *host.routes(self),
                Mount("/pipedrive", routes=pipedrive.routes(self), name="pipedrive"),
                Mount("/quickbooks", routes=quickbooks.routes(self), name="quickbooks"),
            ]
        )

    def attach(self, *, app_http: httpx.AsyncClient) -> None:
        self._app_http = app_http

    def on_shutdown(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` when the app stops, before its database and clients close."""
        self._shutdown.append(callback)

    async def aclose(self) -> None:
        """Finish background work (e.g. webhook deliveries) and detach from the app."""
        for callback in self._shutdown:
            await callback()
        self._app_http = None

    @property
    def app_http(self) -> httpx.AsyncClient:
        """A client that reaches the app itself (for webhooks and uninstall calls)."""
        if self._app_http is None:
            raise RuntimeError("the sandbox is not attached to a running app")
        return self._app_http

    def discovery(self) -> dict[str, Any]:
        return {
            **host.discovery(self),
            "pipedrive": pipedrive.discovery(self),
            "quickbooks": quickbooks.discovery(self),
        }


def build_sandbox(settings: Settings, base_url: str | None = None) -> Sandbox:
    return Sandbox(settings, load_manifest(), base_url)
