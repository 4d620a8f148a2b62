"""Every request speaks a language: the scope the viewer's locale lives in (pure ASGI middleware).

Why a scope per request: ``extension.i18n`` keeps the locale in a context variable, and the step
that verifies who is asking (``extension.web.iframe``) sets the user's locale in it with
``set_request_locale``. This middleware opens that scope with what the browser asks for
(``Accept-Language``, the only hint on pages shown before anyone is known: the install outcome,
the QuickBooks connect window) and closes it when the response is sent, so one request's
language never leaks into the next. Why pure ASGI: ``BaseHTTPMiddleware`` runs the app in
another task, and a context variable set there would not be seen here (Starlette docs,
"Limitations"). HTML answers say their language in ``Content-Language``.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extension.i18n import current_locale, locale_from_accept_language, use_locale

__all__ = ["LocaleMiddleware"]


class LocaleMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Language"] = current_locale().language
            await send(message)

        browser = locale_from_accept_language(Headers(scope=scope).get("accept-language"))
        with use_locale(browser):
            await self.app(scope, receive, send_with_language)
