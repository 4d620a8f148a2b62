"""The typed async Pipedrive API client (reference/pipedrive.md §3).

One pooled ``httpx.AsyncClient`` (``Services.pipedrive_http``) for every user; the base URL is
the installation's ``api_domain``. API v2 for deals, deal products, persons, organizations and
products; v1 only where Pipedrive's OpenAPI description has no v2 endpoint: ``users/me``, the
field definitions and currencies.

Errors come out as ``extension.pipedrive.errors``: a 401 refreshes the token once and repeats
the request, a second 401 means the user must authorize again; 403 → ``PipedriveForbidden``
(an item this user may not see), ``PipedriveScopeMissing`` or ``PipedriveBlocked``; 404/410 →
``PipedriveNotFound``. 429, 5xx and network errors follow the shared retry policy
(``extension.upstream_retry``: ``Retry-After``/``x-ratelimit-reset`` when short, backoff with
jitter otherwise; every call here is a read) and end as ``PipedriveRateLimited`` or
``PipedriveUnavailable``. Nothing returned is raw JSON or an ``httpx.Response``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from extension.concurrency import together
from extension.pipedrive.errors import (
    PipedriveError,
    PipedriveForbidden,
    PipedriveNotFound,
    PipedriveRateLimited,
    PipedriveUnavailable,
    ReauthorizationNeeded,
    forbidden_from,
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
from extension.upstream_retry import RetryPolicy, call_with_retries, parse_retry_after

__all__ = ["PipedriveClient", "TokenSource", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_FIELD_PATHS = {
    "deal": "/api/v1/dealFields",
    "person": "/api/v1/personFields",
    "organization": "/api/v1/organizationFields",
}
T = TypeVar("T")


class TokenSource(Protocol):
    """Where the client gets a user's access token; the app stores and refreshes it."""

    async def access_token(self) -> str: ...

    async def after_unauthorized(self, rejected: str) -> str:
        """A token that replaces ``rejected`` (refreshing at most once), or raise."""
        ...

    async def mark_needs_reauth(self) -> None: ...


def _wait_hint(response: httpx.Response) -> float | None:
    asked = parse_retry_after(response.headers.get("retry-after"))
    if asked is not None:
        return asked
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    return float(reset) if reset.isascii() and reset.isdigit() else None


def _retryable(error: BaseException) -> bool:
    return isinstance(error, PipedriveUnavailable | PipedriveRateLimited)


def _retry_after(error: BaseException) -> float | None:
    return error.retry_after if isinstance(error, PipedriveRateLimited) else None


class PipedriveClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_domain: str,
        tokens: TokenSource,
        company_id: int,
        field_cache: FieldCache | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 500,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._http = http
        self._base = api_domain.rstrip("/")
        self._tokens = tokens
        self.company_id = company_id
        self._fields = field_cache or FieldCache()
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"PipedriveClient(api_domain={self._base!r}, company_id={self.company_id})"

    @property
    def api_domain(self) -> str:
        """The company's Pipedrive address (``https://{company}.pipedrive.com``)."""
        return self._base

    # ---- transport -------------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One GET with the shared retry policy (every call of this client is a read)."""
        token = await self._tokens.access_token()
        refreshed = False

        async def attempt() -> dict[str, Any]:
            nonlocal token, refreshed
            while True:
                response = await self._send(path, params, token)
                if response.status_code == 401:
                    if refreshed:
                        await self._tokens.mark_needs_reauth()
                        raise ReauthorizationNeeded("Pipedrive refused a fresh token", status=401)
                    # The refused call did nothing; refreshing is not a retry of a failure.
                    token = await self._tokens.after_unauthorized(token)
                    refreshed = True
                    continue
                return _body(response)

        return await call_with_retries(
            self._retry,
            attempt,
            retryable=_retryable,
            wait_hint=_retry_after,
            label=f"Pipedrive GET {path}",
        )

    async def _send(self, path: str, params: dict[str, str] | None, token: str) -> httpx.Response:
        try:
            return await self._http.get(
                self._base + path,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise PipedriveUnavailable(
                f"Pipedrive unreachable ({type(exc).__name__})",
                timed_out=isinstance(exc, httpx.TimeoutException),
            ) from None

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

    async def deal_and_products(self, deal_id: int) -> tuple[Deal, list[DealProduct]]:
        """The deal and its product lines, read side by side: neither needs the other, so the
        user waits one round trip instead of two. Raises as :meth:`deal` does when the user may
        not see the deal (the lines' read is then cancelled)."""
        return await together(self.deal(deal_id), self.deal_products(deal_id))

    async def deal_context(
        self,
        deal_id: int,
        *,
        deal: Deal | None = None,
        products: Sequence[DealProduct] | None = None,
    ) -> DealContext:
        """The deal (as this user sees it) with its lines, person, organization and fields;
        ``deal`` (and ``products``, its lines) when the caller has just read them as this user.

        Raises ``PipedriveForbidden``/``PipedriveNotFound`` when the user may not see the deal.
        """
        if deal is None or deal.id != deal_id:
            deal, products = await self.deal(deal_id), None
        (
            lines,
            person,
            organization,
            deal_fields,
            person_fields,
            org_fields,
        ) = await asyncio.gather(
            _given(products) if products is not None else self.deal_products(deal.id),
            self._optional(self.person, deal.person_id),
            self._optional(self.organization, deal.org_id),
            self.fields("deal"),
            self.fields("person"),
            self.fields("organization"),
        )
        return DealContext(
            deal=deal,
            products=tuple(lines),
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
        except PipedriveNotFound:
            return None
        except PipedriveForbidden as exc:
            if type(exc) is not PipedriveForbidden:
                raise  # a missing scope or a proxy is not "hidden from this user"
            return None


async def _given(value: T) -> T:
    """A value already in hand, where ``asyncio.gather`` takes something to await."""
    return value


def _body(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful answer, or the error the status stands for."""
    status = response.status_code
    if status == 429:
        raise PipedriveRateLimited("Pipedrive rate limit reached", retry_after=_wait_hint(response))
    if status >= 500:
        raise PipedriveUnavailable("Pipedrive failed", status=status)
    if status == 403:
        raise forbidden_from(response)
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
