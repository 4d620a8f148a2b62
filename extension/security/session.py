"""Our own short-lived session token for fragment calls from inside the iframe.

Third-party cookies are blocked inside Pipedrive's iframe, so after the Pipedrive JWT is verified
the page receives this token and htmx sends it as the ``X-App-Session`` header on every request
(``hx-headers`` on ``<body>``). When it expires the page renews it with a fresh Pipedrive JWT
from the SDK's ``get_signed_token``.
"""

from __future__ import annotations

from dataclasses import dataclass

from extension.security.signed import TimedTokens, int_fields

__all__ = ["SESSION_HEADER", "SESSION_TTL_SECONDS", "AppSession", "SessionSigner", "InvalidSession"]

SESSION_HEADER = "X-App-Session"
SESSION_TTL_SECONDS = 20 * 60


class InvalidSession(Exception):
    """Missing, tampered with or expired; ``expired`` tells the page to renew rather than fail."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class AppSession:
    company_id: int
    user_id: int


class SessionSigner:
    def __init__(self, secret_key: str, ttl_seconds: int = SESSION_TTL_SECONDS) -> None:
        self._tokens = TimedTokens(
            secret_key, salt="app-session.v1", ttl_seconds=ttl_seconds, kind="session token"
        )
        self.ttl_seconds = ttl_seconds

    def issue(self, session: AppSession) -> str:
        return self._tokens.dumps({"c": session.company_id, "u": session.user_id})

    def verify(self, token: str | None) -> AppSession:
        ids = int_fields(self._tokens.loads(token, InvalidSession), "c", "u")
        if ids is None:
            raise InvalidSession("bad session payload")
        company_id, user_id = ids
        return AppSession(company_id=company_id, user_id=user_id)
