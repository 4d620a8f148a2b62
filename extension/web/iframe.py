"""What every surface Pipedrive frames does first (design.md §2).

``open_iframe`` verifies the Pipedrive JWT from the query, looks the installation up and, when
there is one, issues our own session token for the page's fragment calls. ``require_session``
guards those fragment calls: no valid ``X-App-Session`` header, no data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from extension.security.iframe_jwt import IframeIdentity, InvalidIframeToken, verify_iframe_token
from extension.security.session import SESSION_HEADER, AppSession, InvalidSession
from extension.services import get_services
from extension.store.installations import get_installation
from extension.store.models import Installation

__all__ = ["IframeContext", "open_iframe", "require_session", "Unverified", "SessionRejected"]


class Unverified(Exception):
    """The iframe request could not be verified: HTTP 401 and nothing else."""


class SessionRejected(Exception):
    """A fragment call without a valid session token: HTTP 401 (``expired`` → renew)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("session rejected")
        self.expired = expired


@dataclass(frozen=True, slots=True)
class IframeContext:
    """Everything a shell template needs; ``data`` and ``selected_ids`` are untrusted input."""

    identity: IframeIdentity
    installation: Installation | None
    sdk_id: str
    theme: str
    session_token: str | None
    selected_ids: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def installed(self) -> bool:
        return self.installation is not None

    @property
    def hx_headers(self) -> str:
        return json.dumps({SESSION_HEADER: self.session_token or ""})


def _parse_data(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def open_iframe(request: Request) -> IframeContext:
    services = get_services(request)
    query = request.query_params
    try:
        identity = verify_iframe_token(
            query.get("token"), query, str(services.settings.pipedrive_jwt_secret)
        )
    except InvalidIframeToken as exc:
        raise Unverified(str(exc)) from exc
    async with services.sessionmaker() as session:
        installation = await get_installation(session, identity.company_id, identity.user_id)
    token = None
    if installation is not None and not installation.needs_reauth:
        token = services.session_signer.issue(
            AppSession(company_id=identity.company_id, user_id=identity.user_id)
        )
    return IframeContext(
        identity=identity,
        installation=installation,
        sdk_id=query.get("id", ""),
        theme="dark" if query.get("theme") == "dark" else "light",
        session_token=token,
        selected_ids=query.get("selectedIds", ""),
        data=_parse_data(query.get("data")),
    )


def require_session(request: Request) -> AppSession:
    signer = get_services(request).session_signer
    try:
        return signer.verify(request.headers.get(SESSION_HEADER))
    except InvalidSession as exc:
        raise SessionRejected(expired=exc.expired) from exc
