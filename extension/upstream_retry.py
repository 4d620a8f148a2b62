"""The one retry policy for calls to Pipedrive and QuickBooks (tenacity underneath).

Both clients hand a single attempt to :func:`call_with_retries` together with two questions
about a failure: may it be tried again (a read, or a write carrying an idempotency key, that
failed for a transient reason), and did the upstream say how long to wait (``Retry-After``, a
rate-limit reset, or a throttle window the client keeps itself). The policy then:

- waits what the upstream asked when it asked, but never longer than ``max_wait`` inside a
  request: a longer wait ends the call at once, so the person looking at the page is told how
  long instead of staring at a spinner;
- otherwise backs off exponentially with jitter (0.5–1 s, then 1–2 s, … capped);
- stops after ``max_attempts`` tries and re-raises the last error unchanged (nothing typed is
  lost on the way to the error page);
- sleeps through an injectable ``sleep`` so tests run instantly and can read every wait.

This module imports nothing of the product: both clients depend on it, it depends on neither.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

__all__ = ["RetryPolicy", "Sleep", "call_with_retries", "parse_retry_after"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    # The longest wait an upstream may ask for that we sit out while a person waits.
    max_wait: float = 10.0
    sleep: Sleep = field(default=asyncio.sleep)

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter: attempt 1 waits base..2*base, attempt 2 twice that, …"""
        return float(
            min(self.backoff_base * 2 ** (attempt - 1) * (1 + random.random()), self.backoff_cap)
        )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent."""
    raw = (value or "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


async def call_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    *,
    retryable: Callable[[BaseException], bool],
    wait_hint: Callable[[BaseException], float | None],
    label: str,
) -> T:
    """Run ``attempt`` until it succeeds or the policy gives up; the last error is re-raised."""

    def hint(state: RetryCallState) -> float | None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        return wait_hint(error) if error is not None else None

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        asked = hint(state)
        return asked is not None and asked > policy.max_wait

    def wait(state: RetryCallState) -> float:
        asked = hint(state)
        return asked if asked is not None else policy.backoff(state.attempt_number)

    def log_retry(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        logger.warning(
            "%s failed (%s), attempt %d; retrying in %.2f s",
            label,
            type(error).__name__,
            state.attempt_number,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception(retryable),
        sleep=policy.sleep,
        before_sleep=log_retry,
        reraise=True,
    )
    return await retrying(attempt)
