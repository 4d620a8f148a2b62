"""What the settings page reads and writes, each as one call (the handlers run no query).

``snapshot`` reads everything the page shows from the database (never from an upstream);
``submit`` validates a submitted form against the cached lists and saves it with an audit entry
of exactly what changed; ``recent_changes`` reads the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from extension.accounts.users import UserSummary, list_users
from extension.invoicing.company_settings import (
    SettingsValues,
    load_settings,
    parse_settings_form,
    save_settings,
    validate_settings,
    with_whole_days,
)
from extension.invoicing.reference_lists import (
    PipedriveFieldLists,
    QuickBooksLists,
    load_pipedrive_fields,
    load_quickbooks_lists,
)
from extension.invoicing.status import CompanyStatus, load_company_status
from extension.services import Services
from extension.store.installations import recent_audit_events

__all__ = [
    "SettingsSnapshot",
    "Submission",
    "AuditRecord",
    "snapshot",
    "submit",
    "overlay",
    "recent_changes",
]


@dataclass(frozen=True, slots=True)
class SettingsSnapshot:
    values: SettingsValues
    fields: PipedriveFieldLists
    quickbooks: QuickBooksLists
    status: CompanyStatus
    users: list[UserSummary]


@dataclass(frozen=True, slots=True)
class Submission:
    values: SettingsValues
    errors: dict[str, str]
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    when: Any
    user_id: int | None
    action: str
    detail: dict[str, Any]


async def snapshot(services: Services, company_id: int) -> SettingsSnapshot:
    async with services.sessionmaker() as session:
        values = await load_settings(session, company_id)
        fields = await load_pipedrive_fields(session, company_id)
        quickbooks = await load_quickbooks_lists(session, company_id)
        status = await load_company_status(session, company_id)
    users = await list_users(services, company_id)
    return SettingsSnapshot(values, fields, quickbooks, status, users)


async def overlay(services: Services, company_id: int, form: Mapping[str, str]) -> SettingsValues:
    """The stored settings with the submitted form laid over them (nothing typed is lost)."""
    async with services.sessionmaker() as session:
        current = await load_settings(session, company_id)
    user_ids = [u.user_id for u in await list_users(services, company_id)]
    return parse_settings_form(form, current, user_ids)


async def submit(
    services: Services,
    company_id: int,
    user_id: int,
    form: Mapping[str, str],
    *,
    locale: str = "en_US",
) -> Submission:
    """Validate and save; numbers typed are read in ``locale`` (the user's formats)."""
    user_ids = [u.user_id for u in await list_users(services, company_id)]
    async with services.sessionmaker() as session, session.begin():
        current = await load_settings(session, company_id)
        submitted = parse_settings_form(form, current, user_ids)
        fields = await load_pipedrive_fields(session, company_id)
        quickbooks = await load_quickbooks_lists(session, company_id)
        errors = validate_settings(submitted, fields, quickbooks, locale)
        if errors:
            return Submission(submitted, errors, {})
        submitted = with_whole_days(submitted, locale)
        changes = await save_settings(session, company_id, user_id, current, submitted)
    return Submission(submitted, {}, changes)


async def recent_changes(services: Services, company_id: int, limit: int) -> list[AuditRecord]:
    async with services.sessionmaker() as session:
        events = await recent_audit_events(session, company_id, limit)
    return [AuditRecord(e.created_at, e.user_id, e.action, dict(e.detail or {})) for e in events]
