"""The request core every QuickBooks call goes through (reference §2, §6).

- ``minorversion=75`` on every call; ``requestid`` on every write, reused on its retries (QBO
  answers a repeated requestid with the first response, so a retried create never duplicates).
- Retries follow the shared policy (``extension.upstream_retry``): connection errors, timeouts,
  429 and 5xx, for reads and for writes that carry a ``requestid``; nothing else is repeated.
- Intuit's per-realm limits (``limits.RealmLimits``): ten requests in flight, and after a 429 the
  realm rests for the rest of its minute window; the error says how long.
- An expired access token (401) is refreshed once and the call repeated (not counted as a try).
- Failed calls are logged with their ``intuit_tid``; tokens never are.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx

from extension.ids import is_id_text
from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksError,
    QuickBooksRateLimited,
    QuickBooksRejected,
    QuickBooksUnavailable,
    error_from_response,
)
from extension.quickbooks.limits import Limits, RealmLimits
from extension.quickbooks.wire import decode_json, encode_json
from extension.upstream_retry import RetryPolicy, call_with_retries, parse_retry_after

__all__ = ["TokenProvider", "QuickBooksTransport", "MINOR_VERSION", "DEFAULT_TIMEOUT"]

logger = logging.getLogger(__name__)

MINOR_VERSION = "75"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class TokenProvider(Protocol):
    """How the client gets the realm's access token; the app stores and refreshes it."""

    async def access_token(self) -> str:
        """A valid access token (refreshing first when the stored one has expired)."""

    async def refresh(self, rejected_token: str) -> str:
        """A new access token after QuickBooks rejected ``rejected_token``."""


def _retryable(error: BaseException) -> bool:
    return isinstance(error, QuickBooksRateLimited | QuickBooksUnavailable)


def _wait_hint(error: BaseException) -> float | None:
    return error.retry_after if isinstance(error, QuickBooksRateLimited) else None


class QuickBooksTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        realm_id: str,
        tokens: TokenProvider,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        if not is_id_text(realm_id):
            raise ValueError("a realm id is digits only")
        self._http = http
        self.realm_id = realm_id
        self.base_url = f"{api_url.rstrip('/')}/v3/company/{realm_id}"
        self._tokens = tokens
        self._limits = limits or RealmLimits()
        self._retry = retry or RetryPolicy()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"QuickBooksTransport(realm_id={self.realm_id!r})"

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
        # Only reads and writes QuickBooks can recognise again (requestid) are repeated.
        may_repeat = method == "GET" or requestid is not None
        return await self._call(
            method, path, query, payload, content_type, accept, may_repeat=may_repeat
        )

    async def _call(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        payload: bytes | None,
        content_type: str,
        accept: str,
        *,
        may_repeat: bool,
        stream: bool = False,
    ) -> httpx.Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        token = await self._tokens.access_token()
        refreshed = False

        async def attempt() -> httpx.Response:
            nonlocal token, refreshed
            while True:
                response = await self._send_once(
                    method, url, query, payload, content_type, accept, token, stream=stream
                )
                if stream:
                    if response.status_code < 400 and "json" not in response.headers.get(
                        "content-type", ""
                    ):
                        return response  # the document itself, read by the caller
                    await response.aread()
                    await response.aclose()
                error = self._error_of(response, method, path)
                if error is None:
                    return response
                if isinstance(error, QuickBooksAuthError) and error.status == 401 and not refreshed:
                    # The rejected call never ran; refreshing is not a retry of a failure.
                    refreshed = True
                    token = await self._tokens.refresh(token)
                    continue
                raise error

        return await call_with_retries(
            self._retry,
            attempt,
            retryable=lambda exc: may_repeat and _retryable(exc),
            wait_hint=_wait_hint,
            label=f"QuickBooks {method} {path}",
        )

    @contextlib.asynccontextmanager
    async def stream(
        self, path: str, *, accept: str, params: dict[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """A GET whose body is passed on as it arrives (a PDF), not held in memory.

        Opening it follows the rules of :meth:`request` (token refresh, limits, retries of the
        opening); an error answer, or a JSON ``Fault`` QuickBooks sends with HTTP 200 instead
        of the document, is read and raised as the client's error before anything is yielded.
        """
        query = {**(params or {}), "minorversion": MINOR_VERSION}
        response = await self._call(
            "GET", path, query, None, "", accept, may_repeat=True, stream=True
        )
        try:
            yield response
        finally:
            await response.aclose()

    async def _send_once(
        self,
        method: str,
        url: str,
        query: dict[str, str],
        payload: bytes | None,
        content_type: str,
        accept: str,
        token: str,
        *,
        stream: bool = False,
    ) -> httpx.Response:
        wait = self._limits.wait_left(self.realm_id)
        if wait > 0:
            raise QuickBooksRateLimited(
                "QuickBooks asked this app to slow down for this company", retry_after=wait
            )
        headers = {"Authorization": f"Bearer {token}", "Accept": accept}
        if payload is not None:
            headers["Content-Type"] = content_type
        try:
            async with self._limits.in_flight(self.realm_id):
                self._limits.note_request(self.realm_id)
                request = self._http.build_request(
                    method,
                    url,
                    params=query,
                    content=payload,
                    headers=headers,
                    timeout=self._timeout,
                )
                # A streamed body is read after the slot is given back: the realm's ten
                # concurrent requests count requests QuickBooks is still working on.
                return await self._http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise QuickBooksUnavailable(
                f"QuickBooks did not answer ({type(exc).__name__})", timed_out=_is_timeout(exc)
            ) from exc

    def _error_of(self, response: httpx.Response, method: str, path: str) -> QuickBooksError | None:
        tid = response.headers.get("intuit_tid", "")
        error = error_from_response(
            response.status_code, response.headers, response.content, intuit_tid=tid
        )
        if error is None:
            return None
        if isinstance(error, QuickBooksRateLimited):
            # Intuit sends no Retry-After: rest the realm for the rest of its minute window.
            asked = parse_retry_after(response.headers.get("retry-after"))
            error.retry_after = self._limits.throttled(self.realm_id, asked)
        code = error.code if isinstance(error, QuickBooksRejected) else ""
        logger.warning(
            "QuickBooks %s %s -> HTTP %s %s %s intuit_tid=%s",
            method,
            path,
            error.status,
            type(error).__name__,
            code,
            error.intuit_tid,
        )
        return error

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        try:
            return decode_json(response.content)
        except ValueError as exc:
            tid = response.headers.get("intuit_tid", "")
            raise QuickBooksUnavailable(
                "QuickBooks sent a body that is not JSON", intuit_tid=tid
            ) from exc


def _is_timeout(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.TimeoutException)
