"""Security headers for pages Pipedrive frames (pure ASGI middleware).

Why pure ASGI: ``BaseHTTPMiddleware`` breaks contextvars and streaming (Starlette docs,
"Limitations"). Why these headers: the pages must be framable by Pipedrive and nobody else, so
``frame-ancestors`` names ``https://*.pipedrive.com`` (plus our own origin in sandbox mode, where
the Pipedrive look-alike host is served by this same process) and ``X-Frame-Options`` is never
sent: its DENY/SAMEORIGIN would override the CSP in older browsers and blank the panel.
Scripts come only from our origin, so no inline script is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware", "content_security_policy"]

PIPEDRIVE_FRAME_ANCESTORS = ("https://*.pipedrive.com",)


def content_security_policy(extra_frame_ancestors: Iterable[str] = ()) -> str:
    ancestors = " ".join((*PIPEDRIVE_FRAME_ANCESTORS, *extra_frame_ancestors))
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        f"frame-ancestors {ancestors}",
    ]
    return "; ".join(directives)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, extra_frame_ancestors: Iterable[str] = ()) -> None:
        self.app = app
        self._headers = {
            "Content-Security-Policy": content_security_policy(extra_frame_ancestors),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers.items():
                    # A handler may set a stricter value for itself (e.g. a page never framed).
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
