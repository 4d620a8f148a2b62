"""The request core every QuickBooks call goes through (reference §2, §6).

- ``minorversion=75`` on every call; ``requestid`` on every write, reused on its retries (QBO
  answers a repeated requestid with the first response, so a retried create never duplicates).
- Retries on connection errors, timeouts, 429 and 5xx: ``Retry-After`` when sent, otherwise
  exponential backoff with jitter; at most three tries; the sleep is injectable.
- An expired access token (401) is refreshed once and the call repeated.
- At most ten requests in flight per realm in this process (Intuit's concurrency limit).
- Failed calls are logged with their ``intuit_tid``; tokens never are.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import weakref
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, Protocol

import httpx

from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksError,
    QuickBooksRateLimited,
    QuickBooksRejected,
    QuickBooksUnavailable,
    error_from_response,
)

__all__ = [
    "TokenProvider",
    "Sleep",
    "QuickBooksTransport",
    "MINOR_VERSION",
    "MAX_IN_FLIGHT_PER_REALM",
    "encode_json",
    "decode_json",
]

logger = logging.getLogger(__name__)

MINOR_VERSION = "75"
MAX_IN_FLIGHT_PER_REALM = 10
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
Sleep = Callable[[float], Awaitable[None]]

_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def _realm_limit(realm_id: str) -> asyncio.Semaphore:
    # Semaphores belong to one event loop; keep one set per loop.
    per_loop = _limits.setdefault(asyncio.get_running_loop(), {})
    if realm_id not in per_loop:
        per_loop[realm_id] = asyncio.Semaphore(MAX_IN_FLIGHT_PER_REALM)
    return per_loop[realm_id]


class TokenProvider(Protocol):
    async def access_token(self) -> str:
        """A valid access token (refreshing first when the stored one has expired)."""

    async def refresh(self, rejected_token: str) -> str:
        """A new access token after QuickBooks rejected ``rejected_token``."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money has at most a few decimals, so the float's shortest repr is the same digits.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def encode_json(value: Any) -> bytes:
    return json.dumps(_plain(value), separators=(",", ":")).encode()


def decode_json(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


class QuickBooksTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        realm_id: str,
        tokens: TokenProvider,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._http = http
        self.realm_id = realm_id
        self.base_url = f"{api_url.rstrip('/')}/v3/company/{realm_id}"
        self._tokens = tokens
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"QuickBooksTransport(realm_id={self.realm_id!r})"

    def _backoff(self, attempt: int) -> float:
        return float(self._backoff_base * 2 ** (attempt - 1) * (1 + random.random()))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        requestid: str | None = None,
    ) -> httpx.Response:
        query = {**(params or {}), "minorversion": MINOR_VERSION}
        if requestid is not None:
            query["requestid"] = requestid
        payload = encode_json(body) if body is not None else content
        url = f"{self.base_url}/{path.lstrip('/')}"
        token = await self._tokens.access_token()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Authorization": f"Bearer {token}", "Accept": accept}
            if payload is not None:
                headers["Content-Type"] = content_type
            try:
                async with _realm_limit(self.realm_id):
                    response = await self._http.request(
                        method,
                        url,
                        params=query,
                        content=payload,
                        headers=headers,
                        timeout=self._timeout,
                    )
            except httpx.TransportError as exc:
                logger.warning(
                    "QuickBooks %s %s failed (%s), attempt %d",
                    method,
                    path,
                    type(exc).__name__,
                    attempt,
                )
                if attempt < self._max_attempts:
                    await self._sleep(self._backoff(attempt))
                    continue
                raise QuickBooksUnavailable(
                    f"QuickBooks did not answer ({type(exc).__name__})"
                ) from exc
            tid = response.headers.get("intuit_tid", "")
            error = error_from_response(
                response.status_code, response.headers, response.content, intuit_tid=tid
            )
            if error is None:
                return response
            self._log_failure(method, path, error, attempt)
            if isinstance(error, QuickBooksAuthError) and error.status == 401 and not refreshed:
                refreshed = True
                attempt -= 1  # the rejected call never ran; it does not count as a try
                token = await self._tokens.refresh(token)
                continue
            if isinstance(error, QuickBooksRateLimited | QuickBooksUnavailable) and (
                attempt < self._max_attempts
            ):
                wait = self._backoff(attempt)
                if isinstance(error, QuickBooksRateLimited) and _has_retry_after(response):
                    wait = error.retry_after
                await self._sleep(wait)
                continue
            raise error

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        try:
            return decode_json(response.content)
        except ValueError as exc:
            tid = response.headers.get("intuit_tid", "")
            raise QuickBooksUnavailable(
                "QuickBooks sent a body that is not JSON", intuit_tid=tid
            ) from exc

    def _log_failure(self, method: str, path: str, error: QuickBooksError, attempt: int) -> None:
        code = error.code if isinstance(error, QuickBooksRejected) else ""
        logger.warning(
            "QuickBooks %s %s -> HTTP %s %s %s intuit_tid=%s attempt %d",
            method,
            path,
            error.status,
            type(error).__name__,
            code,
            error.intuit_tid,
            attempt,
        )


def _has_retry_after(response: httpx.Response) -> bool:
    value: str = response.headers.get("retry-after", "")
    return value.strip().isdigit()
