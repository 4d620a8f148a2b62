"""Pipedrive's two limits (reference/pipedrive.md §3.5), configurable for tests and demos.

- Token-based daily budget: every request costs its endpoint's ``x-token-cost``; the budget is
  per company and shared by every user; when it is spent, 429 until midnight.
- Burst limit: a rolling 2-second window per access token (OAuth apps: 80 requests on Lite).

Every API answer carries ``x-ratelimit-limit``, ``x-ratelimit-remaining`` and
``x-ratelimit-reset`` (seconds until the burst window frees up); a 429 adds ``Retry-After``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

__all__ = ["RateLimiter", "Decision", "BURST_WINDOW"]

BURST_WINDOW = 2.0
DEFAULT_BURST = 80  # Lite plan, OAuth app
DEFAULT_DAILY_BUDGET = 30_000 * 2  # 30,000 base tokens x Lite multiplier x two seats


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    headers: dict[str, str]


@dataclass(slots=True)
class RateLimiter:
    burst_limit: int = DEFAULT_BURST
    daily_budget: int = DEFAULT_DAILY_BUDGET
    spent: dict[tuple[int, int], int] = field(default_factory=dict)  # (company, day) -> tokens
    _windows: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, *, company_id: int, token: str, cost: int, now: float) -> Decision:
        window = self._windows.setdefault(token, deque())
        while window and now - window[0] >= BURST_WINDOW:
            window.popleft()
        reset = math.ceil(BURST_WINDOW - (now - window[0])) if window else int(BURST_WINDOW)
        day = int(now // 86_400)
        if len(window) >= self.burst_limit:
            return Decision(False, self._headers(0, reset, retry_after=reset))
        spent = self.spent.get((company_id, day), 0)
        if spent + cost > self.daily_budget:
            # The budget resets at midnight (UTC here; Pipedrive uses the server's timezone).
            until_midnight = math.ceil((day + 1) * 86_400 - now)
            remaining = self.burst_limit - len(window)
            return Decision(False, self._headers(remaining, reset, retry_after=until_midnight))
        window.append(now)
        self.spent[(company_id, day)] = spent + cost
        return Decision(True, self._headers(self.burst_limit - len(window), reset))

    def _headers(
        self, remaining: int, reset: int, retry_after: int | None = None
    ) -> dict[str, str]:
        headers = {
            "x-ratelimit-limit": str(self.burst_limit),
            "x-ratelimit-remaining": str(max(remaining, 0)),
            "x-ratelimit-reset": str(max(reset, 1)),
        }
        if retry_after is not None:
            headers["Retry-After"] = str(max(retry_after, 1))
        return headers

    def reset(self) -> None:
        self.spent.clear()
        self._windows.clear()
