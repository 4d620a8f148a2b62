"""The typed async Pipedrive API client (reference/pipedrive.md §3).

One pooled ``httpx.AsyncClient`` (``Services.pipedrive_http``) for every user; the base URL is
the installation's ``api_domain``. API v2 for deals, deal products, persons, organizations and
products; v1 only where Pipedrive's OpenAPI description has no v2 endpoint: ``users/me``, the
field definitions and currencies.

Errors come out as ``extension.pipedrive.errors``: a 401 refreshes the token once and repeats
the request, a second 401 means the user must authorize again; 403 → ``PipedriveForbidden``
(scope, or an item this user may not see); 404/410 → ``PipedriveNotFound``; 429 waits what
``Retry-After`` / ``x-ratelimit-reset`` say when that is short, else ``PipedriveRateLimited``;
5xx and network errors back off and retry (reads only: this client only reads) and then
``PipedriveUnavailable``. Nothing returned is raw JSON or an ``httpx.Response``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx

from extension.pipedrive.errors import (
    PipedriveError,
    PipedriveForbidden,
    PipedriveNotFound,
    PipedriveRateLimited,
    PipedriveUnavailable,
    ReauthorizationNeeded,
)
from extension.pipedrive.fields import FieldCache
from extension.pipedrive.models import (
    Currency,
    CurrentUser,
    Deal,
    DealContext,
    DealProduct,
    FieldDefinition,
    FieldSet,
    Organization,
    Person,
    Product,
)

__all__ = ["PipedriveClient", "TokenSource", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_FIELD_PATHS = {
    "deal": "/api/v1/dealFields",
    "person": "/api/v1/personFields",
    "organization": "/api/v1/organizationFields",
}
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


class TokenSource(Protocol):
    """Where the client gets a user's access token; see ``extension.pipedrive.tokens``."""

    async def access_token(self) -> str: ...

    async def after_unauthorized(self, rejected: str) -> str:
        """A token that replaces ``rejected`` (refreshing at most once), or raise."""
        ...

    async def mark_needs_reauth(self) -> None: ...


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw:
        if raw.strip().isdigit():
            return float(raw)
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max((when - datetime.now(UTC)).total_seconds(), 0.0)
    reset = response.headers.get("x-ratelimit-reset", "")
    return float(reset) if reset.strip().isdigit() else None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return error[:200] if isinstance(error, str) else ""


class PipedriveClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_domain: str,
        tokens: TokenSource,
        company_id: int,
        field_cache: FieldCache | None = None,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = 3,
        max_wait: float = 10.0,
        page_size: int = 500,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._http = http
        self._base = api_domain.rstrip("/")
        self._tokens = tokens
        self.company_id = company_id
        self._fields = field_cache or FieldCache()
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._page_size = page_size
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"PipedriveClient(api_domain={self._base!r}, company_id={self.company_id})"

    # ---- transport -------------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        token = await self._tokens.access_token()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._http.get(
                    self._base + path,
                    params=params,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=self._timeout,
                )
            except httpx.HTTPError as exc:
                if attempt < self._max_attempts:
                    await self._sleep(self._backoff(attempt))
                    continue
                raise PipedriveUnavailable(
                    f"Pipedrive unreachable ({type(exc).__name__})"
                ) from None
            status = response.status_code
            if status == 401:
                if refreshed:
                    await self._tokens.mark_needs_reauth()
                    raise ReauthorizationNeeded("Pipedrive refused a fresh token", status=401)
                token = await self._tokens.after_unauthorized(token)
                refreshed = True
                attempt -= 1  # the refresh is not a retry of a failure
                continue
            if status == 429:
                wait = _retry_after(response)
                if attempt < self._max_attempts and (wait is None or wait <= self._max_wait):
                    await self._sleep(wait if wait is not None else self._backoff(attempt))
                    continue
                raise PipedriveRateLimited("Pipedrive rate limit reached", retry_after=wait)
            if status >= 500:
                if attempt < self._max_attempts:
                    await self._sleep(self._backoff(attempt))
                    continue
                raise PipedriveUnavailable("Pipedrive failed", status=status)
            if status == 403:
                raise PipedriveForbidden(f"Forbidden: {_error_text(response)}", status=403)
            if status in (404, 410):
                raise PipedriveNotFound("Not found", status=status)
            if status != 200:
                raise PipedriveError(f"Unexpected answer {status}", status=status)
            try:
                body = response.json()
            except ValueError:
                raise PipedriveError("Pipedrive answered with something other than JSON") from None
            if not isinstance(body, dict) or body.get("success") is False:
                raise PipedriveError("Pipedrive answered unsuccessfully", status=status)
            return body

    @staticmethod
    def _backoff(attempt: int) -> float:
        return float(min(0.5 * 2 ** (attempt - 1), 8.0))

    async def _data(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        data = (await self._get(path, params)).get("data")
        if not isinstance(data, dict):
            raise PipedriveError("Pipedrive answer has no data object")
        return data

    # ---- endpoints ---------------------------------------------------------------------------

    async def me(self) -> CurrentUser:
        return CurrentUser.from_api(await self._data("/api/v1/users/me"))

    async def deal(self, deal_id: int, *, custom_fields: Sequence[str] = ()) -> Deal:
        params = {"custom_fields": ",".join(custom_fields[:15])} if custom_fields else None
        return Deal.from_api(await self._data(f"/api/v2/deals/{int(deal_id)}", params))

    async def deal_products(self, deal_id: int) -> list[DealProduct]:
        """Every product line of the deal, following ``next_cursor`` to the end."""
        lines: list[DealProduct] = []
        params = {"limit": str(self._page_size)}
        while True:
            body = await self._get(f"/api/v2/deals/{int(deal_id)}/products", params)
            lines.extend(DealProduct.from_api(raw) for raw in body.get("data") or [])
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return lines
            params = {"limit": str(self._page_size), "cursor": str(cursor)}

    async def person(self, person_id: int) -> Person:
        return Person.from_api(await self._data(f"/api/v2/persons/{int(person_id)}"))

    async def organization(self, org_id: int) -> Organization:
        return Organization.from_api(await self._data(f"/api/v2/organizations/{int(org_id)}"))

    async def product(self, product_id: int) -> Product:
        return Product.from_api(await self._data(f"/api/v2/products/{int(product_id)}"))

    async def currencies(self) -> list[Currency]:
        rows = (await self._get("/api/v1/currencies")).get("data") or []
        return [
            Currency(
                code=str(r.get("code", "")),
                name=str(r.get("name", "")),
                symbol=str(r.get("symbol", "")),
                decimal_points=int(r.get("decimal_points") or 2),
            )
            for r in rows
            if isinstance(r, dict) and r.get("active_flag", True) is not False
        ]

    async def fields(self, entity: str, *, refresh: bool = False) -> FieldSet:
        """Field definitions of ``deal``, ``person`` or ``organization``, cached per company."""
        if entity not in _FIELD_PATHS:
            raise ValueError(f"no field definitions for {entity!r}")
        if not refresh:
            cached = self._fields.get(self.company_id, entity)
            if cached is not None:
                return cached
        definitions: list[FieldDefinition] = []
        start = 0
        while True:
            body = await self._get(_FIELD_PATHS[entity], {"start": str(start), "limit": "500"})
            definitions.extend(
                FieldDefinition.from_api(r) for r in body.get("data") or [] if isinstance(r, dict)
            )
            extra = body.get("additional_data") or {}
            # The docs show additional_data.pagination; the OpenAPI file puts it at the top.
            page = extra.get("pagination") or extra
            if not page.get("more_items_in_collection"):
                break
            start = int(page.get("next_start") or start + 500)
        field_set = FieldSet(entity, tuple(definitions))
        self._fields.put(self.company_id, entity, field_set)
        return field_set

    async def deal_context(self, deal_id: int) -> DealContext:
        """The deal (as this user sees it) with its lines, person, organization and fields.

        Raises ``PipedriveForbidden``/``PipedriveNotFound`` when the user may not see the deal.
        """
        deal = await self.deal(deal_id)
        (
            products,
            person,
            organization,
            deal_fields,
            person_fields,
            org_fields,
        ) = await asyncio.gather(
            self.deal_products(deal.id),
            self._optional(self.person, deal.person_id),
            self._optional(self.organization, deal.org_id),
            self.fields("deal"),
            self.fields("person"),
            self.fields("organization"),
        )
        return DealContext(
            deal=deal,
            products=tuple(products),
            person=person,
            organization=organization,
            deal_fields=deal_fields,
            person_fields=person_fields,
            organization_fields=org_fields,
        )

    @staticmethod
    async def _optional(fetch: Callable[[int], Awaitable[T]], item_id: int | None) -> T | None:
        # A linked person/org the user may not see is left out rather than hiding the deal.
        if item_id is None:
            return None
        try:
            return await fetch(item_id)
        except (PipedriveForbidden, PipedriveNotFound):
            return None
