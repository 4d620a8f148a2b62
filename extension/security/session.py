"""Our own short-lived session token for fragment calls from inside the iframe.

Third-party cookies are blocked inside Pipedrive's iframe, so after the Pipedrive JWT is verified
the page receives this token and htmx sends it as the ``X-App-Session`` header on every request
(``hx-headers`` on ``<body>``). When it expires the page renews it with a fresh Pipedrive JWT
from the SDK's ``get_signed_token``.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

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
        self._serializer = URLSafeTimedSerializer(secret_key, salt="app-session.v1")
        self.ttl_seconds = ttl_seconds

    def issue(self, session: AppSession) -> str:
        return self._serializer.dumps({"c": session.company_id, "u": session.user_id})

    def verify(self, token: str | None) -> AppSession:
        if not token:
            raise InvalidSession("missing session token")
        try:
            data = self._serializer.loads(token, max_age=self.ttl_seconds)
        except SignatureExpired as exc:
            raise InvalidSession("session expired", expired=True) from exc
        except BadSignature as exc:
            raise InvalidSession("bad session token") from exc
        if not isinstance(data, dict):
            raise InvalidSession("bad session payload")
        company_id, user_id = data.get("c"), data.get("u")
        if not isinstance(company_id, int) or not isinstance(user_id, int):
            raise InvalidSession("bad session payload")
        return AppSession(company_id=company_id, user_id=user_id)
