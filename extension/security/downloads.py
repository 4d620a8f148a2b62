"""Signed links for downloads a framed page opens in a new tab (an invoice's PDF).

Such a link cannot carry the page's ``X-App-Session`` header (no cookies inside Pipedrive's
iframe either), so it carries its own proof: who may download which invoice of which deal,
signed with the app's secret and short-lived. Whoever follows it is still checked as on every
other call (installed, role, the deal visible to them, the invoice of that deal).
"""

from __future__ import annotations

from dataclasses import dataclass

from extension.security.session import SESSION_TTL_SECONDS
from extension.security.signed import TimedTokens, int_fields

__all__ = ["DownloadGrant", "DownloadSigner", "InvalidDownload"]


class InvalidDownload(Exception):
    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class DownloadGrant:
    company_id: int
    user_id: int
    deal_id: int
    invoice_id: str


class DownloadSigner:
    def __init__(self, secret_key: str, ttl_seconds: int = SESSION_TTL_SECONDS) -> None:
        self._tokens = TimedTokens(
            secret_key, salt="invoice-download.v1", ttl_seconds=ttl_seconds, kind="download token"
        )
        self.ttl_seconds = ttl_seconds

    def issue(self, grant: DownloadGrant) -> str:
        return self._tokens.dumps(
            {"c": grant.company_id, "u": grant.user_id, "d": grant.deal_id, "i": grant.invoice_id}
        )

    def verify(self, token: str | None) -> DownloadGrant:
        data = self._tokens.loads(token, InvalidDownload)
        ids, invoice = int_fields(data, "c", "u", "d"), data.get("i")
        if ids is None or not isinstance(invoice, str):
            raise InvalidDownload("bad download payload")
        company, user, deal = ids
        return DownloadGrant(company, user, deal, invoice)
