"""One small error hierarchy for everything Pipedrive answers (reference/pipedrive.md §3.5).

Messages never carry tokens, codes or response bodies that could contain them; they carry the
HTTP status and Pipedrive's short ``error`` text at most.
"""

from __future__ import annotations

__all__ = [
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
    """403: a scope the app lacks, or an item this user may not see."""


class PipedriveNotFound(PipedriveError):
    """404 or 410: no such item (or no longer)."""


class PipedriveRateLimited(PipedriveError):
    """429 that we did not wait out; ``retry_after`` is Pipedrive's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after
