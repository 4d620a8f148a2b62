"""Short-lived signed tokens, one way for every kind the app issues (sessions, download links,
a panel's watch ticket).

Each kind signs a small dict of ids with the app's secret under a salt of its own (a token of
one kind is never accepted as another) and refuses it once it is older than its lifetime. What
went wrong is raised as the kind's own error, whose ``expired`` says whether the page should
renew (an old token) rather than refuse (a forged or mangled one).
"""

from __future__ import annotations

from typing import Any, Protocol

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

__all__ = ["TimedTokens", "TokenError", "int_fields"]


class TokenError(Protocol):
    def __call__(self, reason: str, *, expired: bool = False) -> Exception: ...


class TimedTokens:
    def __init__(self, secret_key: str, *, salt: str, ttl_seconds: int, kind: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=salt)
        self.ttl_seconds = ttl_seconds
        self._kind = kind

    def dumps(self, payload: dict[str, Any]) -> str:
        return self._serializer.dumps(payload)

    def loads(self, token: str | None, error: TokenError) -> dict[str, Any]:
        """The payload of a token of this kind that is not too old; raises ``error``."""
        if not token:
            raise error(f"missing {self._kind}")
        try:
            data = self._serializer.loads(token, max_age=self.ttl_seconds)
        except SignatureExpired as exc:
            raise error(f"{self._kind} expired", expired=True) from exc
        except BadSignature as exc:
            raise error(f"bad {self._kind}") from exc
        if not isinstance(data, dict):
            raise error(f"bad {self._kind} payload")
        return data


def int_fields(data: dict[str, Any], *names: str) -> tuple[int, ...] | None:
    """The payload's values for ``names`` when every one is an int, else None."""
    values: list[int] = []
    for name in names:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        values.append(value)
    return tuple(values)
