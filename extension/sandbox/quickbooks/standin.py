"""The stand-in's owner object: companies, OAuth grants and the knobs tests turn."""

from __future__ import annotations

import base64
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from extension.sandbox.quickbooks.seed import GLOBAL_REALM_ID, US_REALM_ID, seed_company
from extension.sandbox.quickbooks.state import (
    AccessRecord,
    Clock,
    CodeRecord,
    CompanyState,
    RecordedRequest,
    RefreshRecord,
    StandInConfig,
)

__all__ = ["QuickBooksStandIn", "OAuthFailure"]


class OAuthFailure(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status


@dataclass(slots=True)
class _Grant:
    realm_id: str
    latest_refresh: str
    revoked: bool = False


class QuickBooksStandIn:
    def __init__(self, *, client_id: str, client_secret: str, verifier_token: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.verifier_token = verifier_token
        self.clock = Clock()
        self.config = StandInConfig()
        self.companies: dict[str, CompanyState] = {}
        self.requests: list[RecordedRequest] = []
        self.token_requests: list[str] = []  # grant_type of every token call, in order
        self.in_flight = 0
        self.max_in_flight_seen = 0
        self._recent: deque[datetime] = deque()
        self._codes: dict[str, CodeRecord] = {}
        self._access: dict[str, AccessRecord] = {}
        self._refresh: dict[str, RefreshRecord] = {}
        self._grants: dict[str, _Grant] = {}
        self.reset()

    def reset(self) -> None:
        """Fresh companies from the seed (tokens and knobs are kept)."""
        self.companies = {
            US_REALM_ID: CompanyState(US_REALM_ID, self.clock),
            GLOBAL_REALM_ID: CompanyState(GLOBAL_REALM_ID, self.clock, "Europe/London"),
        }
        seed_company(self.companies[US_REALM_ID], global_tax=False)
        seed_company(self.companies[GLOBAL_REALM_ID], global_tax=True)

    def company(self, realm_id: str) -> CompanyState | None:
        return self.companies.get(realm_id)

    # ---- OAuth ---------------------------------------------------------------------------

    def client_authenticated(self, authorization: str, form: dict[str, str]) -> bool:
        expected = f"{self.client_id}:{self._client_secret}"
        if authorization.lower().startswith("basic "):
            try:
                given = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                return False
            return hmac.compare_digest(given, expected)
        given = f"{form.get('client_id', '')}:{form.get('client_secret', '')}"
        return hmac.compare_digest(given, expected)  # client_secret_post

    def issue_code(self, realm_id: str, redirect_uri: str) -> str:
        code = "AB11" + secrets.token_urlsafe(24)
        grant_id = secrets.token_hex(8)
        expires = self.clock.now() + timedelta(seconds=self.config.code_ttl)
        self._codes[code] = CodeRecord(realm_id, redirect_uri, expires, grant_id)
        return code

    def _issue(self, grant_id: str, realm_id: str, *, new_refresh: bool) -> dict[str, Any]:
        now = self.clock.now()
        grant = self._grants.get(grant_id)
        if new_refresh or grant is None:
            refresh = "AB11" + secrets.token_urlsafe(36)
            record = RefreshRecord(
                realm_id, grant_id, now, now + timedelta(seconds=self.config.refresh_token_ttl)
            )
            if grant is not None:
                self._refresh[grant.latest_refresh].superseded_at = now
                grant.latest_refresh = refresh
            else:
                self._grants[grant_id] = grant = _Grant(realm_id, refresh)
            self._refresh[refresh] = record
        access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        expires = now + timedelta(seconds=self.config.access_token_ttl)
        self._access[access] = AccessRecord(realm_id, grant_id, expires)
        latest = self._refresh[grant.latest_refresh]
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": grant.latest_refresh,
            "expires_in": self.config.access_token_ttl,
            "x_refresh_token_expires_in": int((latest.expires_at - now).total_seconds()),
        }

    def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        record = self._codes.get(code)
        if record is None or record.expires_at < self.clock.now():
            raise OAuthFailure("invalid_grant", "Invalid authorization code")
        if record.used:
            # Intuit treats a second exchange as suspicious and kills what the first one issued.
            self.revoke_grant(record.grant_id)
            raise OAuthFailure("invalid_grant", "Invalid authorization code")
        if record.redirect_uri != redirect_uri:
            raise OAuthFailure("invalid_grant", "Redirect URI mismatch")
        record.used = True
        return self._issue(record.grant_id, record.realm_id, new_refresh=True)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        record = self._refresh.get(refresh_token)
        now = self.clock.now()
        grant = self._grants.get(record.grant_id) if record else None
        if record is None or grant is None or grant.revoked or record.expires_at < now:
            raise OAuthFailure("invalid_grant", "Incorrect or invalid refresh token")
        if record.superseded_at is not None and (
            (now - record.superseded_at).total_seconds() > self.config.stale_grace
        ):
            raise OAuthFailure("invalid_grant", "Incorrect or invalid refresh token")
        latest = self._refresh[grant.latest_refresh]
        rotate = (now - latest.issued_at).total_seconds() >= self.config.rotation_period
        return self._issue(record.grant_id, record.realm_id, new_refresh=rotate)

    def revoke_grant(self, grant_id: str) -> None:
        grant = self._grants.get(grant_id)
        if grant is not None:
            grant.revoked = True

    def revoke(self, token: str) -> bool:
        record: RefreshRecord | AccessRecord | None = self._refresh.get(token) or self._access.get(
            token
        )
        if record is None:
            return False
        self.revoke_grant(record.grant_id)
        return True

    def realm_for_access_token(self, token: str) -> str | None:
        """The realm a live access token opens, or None (expired, revoked, unknown)."""
        record = self._access.get(token)
        if record is None or record.expires_at <= self.clock.now():
            return None
        grant = self._grants.get(record.grant_id)
        return None if grant is None or grant.revoked else record.realm_id

    # ---- throttling ----------------------------------------------------------------------

    def over_rate_limit(self) -> bool:
        now = self.clock.now()
        while self._recent and (now - self._recent[0]).total_seconds() >= 60:
            self._recent.popleft()
        self._recent.append(now)
        return len(self._recent) > self.config.rate_limit_per_minute
