"""Fetching the settings page's lists from the upstreams (QuickBooks and Pipedrive).

Each upstream is asked independently: QuickBooks being down does not stop Pipedrive's fields from
refreshing, and the other way round. What could not be fetched comes back as the typed errors,
for the page to word (``extension.web.messages``).
"""

from __future__ import annotations

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.invoicing.reference_lists import (
    Choice,
    QuickBooksLists,
    store_pipedrive_fields,
    store_quickbooks_lists,
)
from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import PipedriveError
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError
from extension.services import Services

__all__ = [
    "fetch_pipedrive_custom_fields",
    "fetch_quickbooks_lists",
    "refresh_reference_lists",
]


async def fetch_pipedrive_custom_fields(
    client: PipedriveClient,
) -> dict[str, tuple[Choice, ...]]:
    """Custom fields of organizations, persons and deals, by name, keyed ``entity:hash``."""
    custom: dict[str, tuple[Choice, ...]] = {}
    for entity in ("organization", "person", "deal"):
        field_set = await client.fields(entity, refresh=True)
        custom[entity] = tuple(
            Choice(f"{entity}:{field.key}", field.name)
            for field in sorted(field_set.custom, key=lambda f: f.name.casefold())
        )
    return custom


# US pseudo codes: they say whether a line is taxable, they are not a rate to choose.
_US_LINE_CODES = {"TAX", "NON"}


async def fetch_quickbooks_lists(client: QuickBooksClient) -> QuickBooksLists:
    """Active tax codes, income accounts and terms, and which tax model the company uses."""
    company = await client.get_company_info()
    us_model = not company.uses_global_tax_model
    tax_codes = [
        code
        for code in await client.list_tax_codes()
        if code.active and not (us_model and code.id in _US_LINE_CODES)
    ]
    accounts = [a for a in await client.list_income_accounts() if a.active]
    terms = [t for t in await client.list_terms() if t.active]

    def by_name(choices: list[Choice]) -> tuple[Choice, ...]:
        return tuple(sorted(choices, key=lambda c: c.label.casefold()))

    return QuickBooksLists(
        tax_codes=by_name([Choice(c.id, c.name) for c in tax_codes]),
        income_accounts=by_name([Choice(a.id, a.name) for a in accounts]),
        terms=by_name([Choice(t.id, t.name) for t in terms]),
        us_tax_model=us_model,
    )


async def refresh_reference_lists(
    services: Services, company_id: int, user_id: int
) -> list[PipedriveError | QuickBooksError]:
    """Fetch both upstreams' lists into the cache; returns what kept each from being fetched."""
    problems: list[PipedriveError | QuickBooksError] = []
    try:
        pipedrive = await client_for_user(services, company_id, user_id)
        custom = await fetch_pipedrive_custom_fields(pipedrive)
    except PipedriveError as exc:
        problems.append(exc)
    else:
        async with services.sessionmaker() as session, session.begin():
            await store_pipedrive_fields(session, company_id, custom)
    try:
        quickbooks = await client_for_company(services, company_id)
        lists = await fetch_quickbooks_lists(quickbooks)
    except QuickBooksError as exc:
        problems.append(exc)
    else:
        async with services.sessionmaker() as session, session.begin():
            await store_quickbooks_lists(session, company_id, lists)
    return problems
