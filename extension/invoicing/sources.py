"""Fetching the settings page's lists from the upstreams (QuickBooks and Pipedrive).

Both functions raise :class:`ListsUnavailable` with a message a person can act on when the
upstream cannot be asked (not connected, needs re-authorization, down).
"""

from __future__ import annotations

from extension.invoicing.reference_lists import (
    Choice,
    QuickBooksLists,
    store_pipedrive_fields,
    store_quickbooks_lists,
)
from extension.pipedrive.errors import PipedriveError, PipedriveRateLimited, ReauthorizationNeeded
from extension.pipedrive.tokens import client_for_user
from extension.quickbooks.connection import client_for_company
from extension.quickbooks.errors import (
    QuickBooksError,
    QuickBooksRateLimited,
    QuickBooksReconnectRequired,
)
from extension.services import Services

__all__ = [
    "ListsUnavailable",
    "fetch_pipedrive_custom_fields",
    "fetch_quickbooks_lists",
    "refresh_reference_lists",
]


class ListsUnavailable(Exception):
    """The lists could not be fetched; the message says why, for the page."""


async def fetch_pipedrive_custom_fields(
    services: Services, company_id: int, user_id: int
) -> dict[str, tuple[Choice, ...]]:
    """Custom fields of organizations, persons and deals, by name, keyed ``entity:hash``."""
    custom: dict[str, tuple[Choice, ...]] = {}
    try:
        client = await client_for_user(services, company_id, user_id)
        for entity in ("organization", "person", "deal"):
            field_set = await client.fields(entity, refresh=True)
            custom[entity] = tuple(
                Choice(f"{entity}:{field.key}", field.name)
                for field in sorted(field_set.custom, key=lambda f: f.name.casefold())
            )
    except ReauthorizationNeeded as exc:
        raise ListsUnavailable("Authorize the app again to fetch Pipedrive fields.") from exc
    except PipedriveRateLimited as exc:
        raise ListsUnavailable("Pipedrive is busy; try refreshing in a minute.") from exc
    except PipedriveError as exc:
        raise ListsUnavailable("Pipedrive could not be reached; try again shortly.") from exc
    return custom


# US pseudo codes: they say whether a line is taxable, they are not a rate to choose.
_US_LINE_CODES = {"TAX", "NON"}


async def fetch_quickbooks_lists(services: Services, company_id: int) -> QuickBooksLists:
    """Active tax codes, income accounts and terms, and which tax model the company uses."""
    try:
        client = await client_for_company(services, company_id)
        company = await client.get_company_info()
        us_model = not company.uses_global_tax_model
        tax_codes = [
            code
            for code in await client.list_tax_codes()
            if code.active and not (us_model and code.id in _US_LINE_CODES)
        ]
        accounts = [a for a in await client.list_income_accounts() if a.active]
        terms = [t for t in await client.list_terms() if t.active]
    except QuickBooksReconnectRequired as exc:
        raise ListsUnavailable("QuickBooks needs to be reconnected.") from exc
    except QuickBooksRateLimited as exc:
        raise ListsUnavailable("QuickBooks is busy; try refreshing in a minute.") from exc
    except QuickBooksError as exc:
        raise ListsUnavailable("QuickBooks could not be reached; try again shortly.") from exc

    def by_name(choices: list[Choice]) -> tuple[Choice, ...]:
        return tuple(sorted(choices, key=lambda c: c.label.casefold()))

    return QuickBooksLists(
        tax_codes=by_name([Choice(c.id, c.name) for c in tax_codes]),
        income_accounts=by_name([Choice(a.id, a.name) for a in accounts]),
        terms=by_name([Choice(t.id, t.name) for t in terms]),
        us_tax_model=us_model,
    )


async def refresh_reference_lists(services: Services, company_id: int, user_id: int) -> list[str]:
    """Fetch both upstreams' lists into the cache; returns what could not be fetched, and why.

    Each upstream is asked independently: QuickBooks being down does not stop Pipedrive's
    fields from refreshing, and the other way round.
    """
    problems: list[str] = []
    try:
        custom = await fetch_pipedrive_custom_fields(services, company_id, user_id)
    except ListsUnavailable as exc:
        problems.append(str(exc))
    else:
        async with services.sessionmaker() as session, session.begin():
            await store_pipedrive_fields(session, company_id, custom)
    try:
        lists = await fetch_quickbooks_lists(services, company_id)
    except ListsUnavailable as exc:
        problems.append(str(exc))
    else:
        async with services.sessionmaker() as session, session.begin():
            await store_quickbooks_lists(session, company_id, lists)
    return problems
