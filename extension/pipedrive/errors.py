"""One small error hierarchy for everything Pipedrive answers (reference/pipedrive.md §3.5).

```text
PipedriveError
├── PipedriveUnavailable        5xx, timeout, connection failure (``timed_out`` tells which)
├── PipedriveAuthError          401
│   └── ReauthorizationNeeded   the user must authorize the app again
├── OAuthError                  /oauth/token refused a grant (``error``: invalid_grant, …)
├── PipedriveForbidden          403: an item this user may not see
│   ├── PipedriveScopeMissing   403 "Scope and URL mismatch": the app lacks a scope
│   └── PipedriveBlocked        403 from a proxy or a limit, not about the item
├── PipedriveNotFound           404 / 410
└── PipedriveRateLimited        429 not waited out (``retry_after`` seconds)
```

Messages never carry tokens, codes or response bodies that could contain them; they carry the
HTTP status and Pipedrive's short ``error`` text at most.
"""

from __future__ import annotations

import httpx

__all__ = [
    "forbidden_from",
    "PipedriveScopeMissing",
    "PipedriveBlocked",
    "PipedriveError",
    "PipedriveUnavailable",
    "PipedriveAuthError",
    "ReauthorizationNeeded",
    "OAuthError",
    "PipedriveForbidden",
    "PipedriveNotFound",
    "PipedriveRateLimited",
]


class PipedriveError(Exception):
    """Any failure talking to Pipedrive."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PipedriveUnavailable(PipedriveError):
    """5xx, a timeout or a connection failure: try again later; nothing is wrong with the user."""

    def __init__(self, message: str, *, status: int | None = None, timed_out: bool = False) -> None:
        super().__init__(message, status=status)
        self.timed_out = timed_out


class PipedriveAuthError(PipedriveError):
    """401: the access token was refused."""


class ReauthorizationNeeded(PipedriveAuthError):
    """The user must authorize the app again (dead refresh token, or not installed at all)."""


class OAuthError(PipedriveError):
    """``/oauth/token`` refused a grant; ``error`` is the OAuth error code (``invalid_grant``…)."""

    def __init__(self, message: str, *, status: int | None, error: str) -> None:
        super().__init__(message, status=status)
        self.error = error


class PipedriveForbidden(PipedriveError):
    """403: an item this user may not see (subclasses: other reasons for a 403)."""


class PipedriveScopeMissing(PipedriveForbidden):
    """403 "Scope and URL mismatch": the installation lacks a scope this call needs."""


class PipedriveBlocked(PipedriveForbidden):
    """403 that is not about the item: a proxy in front of Pipedrive, or a usage limit."""


class PipedriveNotFound(PipedriveError):
    """404 or 410: no such item (or no longer)."""


class PipedriveRateLimited(PipedriveError):
    """429 that we did not wait out; ``retry_after`` is Pipedrive's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


def forbidden_from(response: httpx.Response) -> PipedriveForbidden:
    """Tell the three kinds of 403 apart by Pipedrive's ``error`` text (a proxy sends no JSON)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, str):
        return PipedriveBlocked("Forbidden by something in front of Pipedrive", status=403)
    text = error[:200]
    lowered = text.lower()
    if "scope" in lowered:
        return PipedriveScopeMissing(f"Forbidden: {text}", status=403)
    if "limit" in lowered:
        return PipedriveBlocked(f"Forbidden: {text}", status=403)
    return PipedriveForbidden(f"Forbidden: {text}", status=403)
