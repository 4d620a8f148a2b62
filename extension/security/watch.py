"""A deal panel's watch ticket: what lets it ask "what changed?" every few seconds.

Opening the panel fetches the deal with the viewer's own Pipedrive token: Pipedrive decides
who sees a deal. Asking Pipedrive again on every poll would spend the company's API budget
for nothing, so the panel's content carries a ticket saying that this user of this company
was shown this deal, signed with the app's secret and short-lived. A poll needs it *and* the
page's session token; when it has expired the panel reloads its content, which asks
Pipedrive again and issues a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from extension.security.signed import TimedTokens, int_fields

__all__ = ["WATCH_HEADER", "WATCH_TTL_SECONDS", "DealWatch", "WatchSigner", "InvalidWatch"]

WATCH_HEADER = "X-Deal-Watch"
WATCH_TTL_SECONDS = 15 * 60


class InvalidWatch(Exception):
    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class DealWatch:
    company_id: int
    user_id: int
    deal_id: int


class WatchSigner:
    def __init__(self, secret_key: str, ttl_seconds: int = WATCH_TTL_SECONDS) -> None:
        self._tokens = TimedTokens(
            secret_key, salt="deal-watch.v1", ttl_seconds=ttl_seconds, kind="watch ticket"
        )
        self.ttl_seconds = ttl_seconds

    def issue(self, watch: DealWatch) -> str:
        return self._tokens.dumps({"c": watch.company_id, "u": watch.user_id, "d": watch.deal_id})

    def verify(self, token: str | None) -> DealWatch:
        ids = int_fields(self._tokens.loads(token, InvalidWatch), "c", "u", "d")
        if ids is None:
            raise InvalidWatch("bad watch payload")
        company, user, deal = ids
        return DealWatch(company, user, deal)
