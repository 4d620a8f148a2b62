"""Verification of the JWT Pipedrive puts in every custom-UI iframe URL (``?token=``).

Pipedrive signs ``{userId, companyId, iat, exp}`` with HS256 and the extension's JWT secret
(reference/pipedrive.md §1.3). Everything else in the query string is unsigned, so the claims
must match the ``userId``/``companyId`` the page was asked for, or an attacker could pair a
valid token of their own with somebody else's ids.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt

__all__ = ["IframeIdentity", "InvalidIframeToken", "verify_iframe_token", "sign_iframe_token"]

_ALGORITHM = "HS256"
_LEEWAY_SECONDS = 30


class InvalidIframeToken(Exception):
    """The iframe token is missing, forged, expired or does not match the query."""


@dataclass(frozen=True, slots=True)
class IframeIdentity:
    company_id: int
    user_id: int


def _as_int(value: object, name: str) -> int:
    # Claims are integers, query parameters strings; bools are ints in Python, so refuse them.
    if isinstance(value, bool):
        raise InvalidIframeToken(f"{name} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise InvalidIframeToken(f"{name} is not an integer")


def verify_iframe_token(token: str | None, query: Mapping[str, str], secret: str) -> IframeIdentity:
    """Return who is loading the iframe, or raise :class:`InvalidIframeToken`."""
    if not token:
        raise InvalidIframeToken("missing token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "iat"], "verify_aud": False},
            leeway=_LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as exc:
        raise InvalidIframeToken(type(exc).__name__) from exc
    identity = IframeIdentity(
        company_id=_as_int(claims.get("companyId"), "companyId"),
        user_id=_as_int(claims.get("userId"), "userId"),
    )
    if query.get("companyId") != str(identity.company_id) or query.get("userId") != str(
        identity.user_id
    ):
        raise InvalidIframeToken("claims do not match the query")
    return identity


def sign_iframe_token(
    secret: str, *, company_id: int, user_id: int, lifetime: int = 300, now: float | None = None
) -> str:
    """Sign a token as Pipedrive does (used by the sandbox host and by tests)."""
    issued = int(time.time() if now is None else now)
    claims = {"userId": user_id, "companyId": company_id, "iat": issued, "exp": issued + lifetime}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)
