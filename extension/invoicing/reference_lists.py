"""Choices the settings page offers, from QuickBooks and Pipedrive, cached per company.

The page renders from the cache at once and never waits on an upstream; "Refresh lists" asks
the upstreams again and replaces the cache. Pipedrive's built-in fields are always offered,
so mapping works even before the field definitions were fetched; they and the entities are
named in the viewer's language (as Pipedrive names them: "Organisaatio – Nimi"), while custom
fields keep the names the company gave them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from extension.i18n import gettext, pgettext
from extension.store.reference_cache import get_reference_list, save_reference_list

__all__ = [
    "Choice",
    "PipedriveFieldLists",
    "QuickBooksLists",
    "BUILT_IN_FIELDS",
    "load_pipedrive_fields",
    "load_quickbooks_lists",
    "store_pipedrive_fields",
    "store_quickbooks_lists",
]

_PIPEDRIVE = "pipedrive_fields"
_QUICKBOOKS = "quickbooks_lists"
ENTITIES = ("organization", "person", "deal")


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


# Fields every Pipedrive company has; custom fields (keyed by hash) come from the definitions.
BUILT_IN_FIELDS: dict[str, tuple[Choice, ...]] = {
    "organization": (
        Choice("organization:name", "Name"),
        Choice("organization:address", "Address"),
    ),
    "person": (
        Choice("person:name", "Name"),
        Choice("person:email", "Email"),
        Choice("person:phone", "Phone"),
    ),
    "deal": (Choice("deal:title", "Title"),),
}


def _entity_label(entity: str) -> str:
    labels = {
        "organization": gettext("Organization"),
        "person": gettext("Person"),
        "deal": gettext("Deal"),
    }
    return labels[entity]


def _built_in_label(choice: Choice) -> str:
    labels = {
        "organization:name": pgettext("organization field", "Name"),
        "organization:address": pgettext("organization field", "Address"),
        "person:name": pgettext("person field", "Name"),
        "person:email": pgettext("person field", "Email"),
        "person:phone": pgettext("person field", "Phone"),
        "deal:title": pgettext("deal field", "Title"),
    }
    return labels.get(choice.value, choice.label)


@dataclass(frozen=True, slots=True)
class PipedriveFieldLists:
    """Mapping choices grouped by entity, custom fields included."""

    custom: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    fetched_at: datetime | None = None

    @property
    def groups(self) -> list[tuple[str, tuple[Choice, ...]]]:
        return [
            (
                _entity_label(entity),
                tuple(Choice(c.value, _built_in_label(c)) for c in BUILT_IN_FIELDS[entity])
                + self.custom.get(entity, ()),
            )
            for entity in ENTITIES
        ]

    @property
    def values(self) -> set[str]:
        return {choice.value for _, choices in self.groups for choice in choices}

    def label_for(self, value: str) -> str:
        for group, choices in self.groups:
            for choice in choices:
                if choice.value == value:
                    return f"{group} – {choice.label}"
        return value


@dataclass(frozen=True, slots=True)
class QuickBooksLists:
    tax_codes: tuple[Choice, ...] = ()
    income_accounts: tuple[Choice, ...] = ()
    terms: tuple[Choice, ...] = ()
    # US companies tax lines as TAX/NON with one transaction tax code; others need a code per line.
    us_tax_model: bool = True
    fetched_at: datetime | None = None

    @property
    def known(self) -> bool:
        return self.fetched_at is not None


def _choices(raw: Any) -> tuple[Choice, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Choice(str(item["value"]), str(item["label"]))
        for item in raw
        if isinstance(item, dict) and "value" in item and "label" in item
    )


def _dump(choices: tuple[Choice, ...]) -> list[dict[str, str]]:
    return [{"value": c.value, "label": c.label} for c in choices]


async def load_pipedrive_fields(session: AsyncSession, company_id: int) -> PipedriveFieldLists:
    row = await get_reference_list(session, company_id, _PIPEDRIVE)
    if row is None:
        return PipedriveFieldLists()
    custom = {entity: _choices(row.payload.get(entity)) for entity in ENTITIES}
    return PipedriveFieldLists(custom=custom, fetched_at=row.fetched_at)


async def store_pipedrive_fields(
    session: AsyncSession, company_id: int, custom: dict[str, tuple[Choice, ...]]
) -> PipedriveFieldLists:
    payload = {entity: _dump(custom.get(entity, ())) for entity in ENTITIES}
    fetched_at = await save_reference_list(session, company_id, _PIPEDRIVE, payload)
    return PipedriveFieldLists(custom=custom, fetched_at=fetched_at)


async def load_quickbooks_lists(session: AsyncSession, company_id: int) -> QuickBooksLists:
    row = await get_reference_list(session, company_id, _QUICKBOOKS)
    if row is None:
        return QuickBooksLists()
    payload = row.payload
    return QuickBooksLists(
        tax_codes=_choices(payload.get("tax_codes")),
        income_accounts=_choices(payload.get("income_accounts")),
        terms=_choices(payload.get("terms")),
        us_tax_model=bool(payload.get("us_tax_model", True)),
        fetched_at=row.fetched_at,
    )


async def store_quickbooks_lists(
    session: AsyncSession, company_id: int, lists: QuickBooksLists
) -> QuickBooksLists:
    payload = {
        "tax_codes": _dump(lists.tax_codes),
        "income_accounts": _dump(lists.income_accounts),
        "terms": _dump(lists.terms),
        "us_tax_model": lists.us_tax_model,
    }
    fetched_at = await save_reference_list(session, company_id, _QUICKBOOKS, payload)
    return QuickBooksLists(
        tax_codes=lists.tax_codes,
        income_accounts=lists.income_accounts,
        terms=lists.terms,
        us_tax_model=lists.us_tax_model,
        fetched_at=fetched_at,
    )
