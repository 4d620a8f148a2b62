"""The company's invoicing settings: reading with defaults, validating a submitted form,
saving with an audit entry of exactly what changed.

Validation happens on the server against the cached upstream lists; a failed save returns the
submitted values untouched so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from extension.accounts.permissions import DEFAULT_ROLE, Role
from extension.invoicing.draft_form import read_decimal
from extension.invoicing.reference_lists import PipedriveFieldLists, QuickBooksLists
from extension.store.installations import record_audit
from extension.store.settings_models import CompanySettings, UserRole

__all__ = [
    "SettingsValues",
    "load_settings",
    "parse_settings_form",
    "validate_settings",
    "save_settings",
    "due_date_example",
    "DueDateExample",
    "read_due_days",
    "with_whole_days",
    "MAX_DUE_DAYS",
]

MAX_DUE_DAYS = 365
_MAPPINGS = ("map_recipient", "map_address", "map_email", "map_tax_id")


@dataclass(frozen=True, slots=True)
class SettingsValues:
    """What the form shows and submits; ``due_days`` stays text so a typo is shown back as typed."""

    map_recipient: str = "organization:name"
    map_address: str = "organization:address"
    map_email: str = "person:email"
    map_tax_id: str = ""
    due_days: str = "30"
    default_taxable: bool = False
    default_tax_code_id: str = ""
    default_income_account_id: str = ""
    default_terms_id: str = ""
    update_customer_default: bool = True
    default_role: str = DEFAULT_ROLE.value
    user_roles: dict[int, str] = field(default_factory=dict)

    def audit_view(self) -> dict[str, Any]:
        view = asdict(self)
        view["user_roles"] = {str(k): v for k, v in sorted(self.user_roles.items())}
        return view


async def load_settings(session: AsyncSession, company_id: int) -> SettingsValues:
    row = await session.get(CompanySettings, company_id)
    roles = await session.execute(
        select(UserRole.user_id, UserRole.role).where(UserRole.company_id == company_id)
    )
    user_roles = {int(user_id): str(role) for user_id, role in roles}
    if row is None:
        return SettingsValues(user_roles=user_roles)
    return SettingsValues(
        map_recipient=row.map_recipient,
        map_address=row.map_address,
        map_email=row.map_email,
        map_tax_id=row.map_tax_id,
        due_days=str(row.due_days),
        default_taxable=row.default_taxable,
        default_tax_code_id=row.default_tax_code_id,
        default_income_account_id=row.default_income_account_id,
        default_terms_id=row.default_terms_id,
        update_customer_default=row.update_customer_default,
        default_role=row.default_role,
        user_roles=user_roles,
    )


def parse_settings_form(
    form: Mapping[str, str], current: SettingsValues, role_user_ids: list[int]
) -> SettingsValues:
    """Read the submitted form; fields the form did not carry keep their current value."""

    def text(name: str) -> str:
        value = form.get(name)
        return current_value(name) if value is None else value.strip()

    def current_value(name: str) -> str:
        return str(getattr(current, name))

    def checkbox(name: str) -> bool:
        # An unticked box sends nothing; the form carries a hidden marker for each box.
        if f"{name}_present" not in form:
            return bool(getattr(current, name))
        return form.get(name) == "on"

    user_roles = dict(current.user_roles)
    for user_id in role_user_ids:
        submitted = form.get(f"role_{user_id}")
        if submitted is None:
            continue
        if submitted.strip():
            user_roles[user_id] = submitted.strip()
        else:  # "Default": the user follows the company's default role
            user_roles.pop(user_id, None)
    return replace(
        current,
        map_recipient=text("map_recipient"),
        map_address=text("map_address"),
        map_email=text("map_email"),
        map_tax_id=text("map_tax_id"),
        due_days=text("due_days"),
        default_taxable=checkbox("default_taxable"),
        default_tax_code_id=text("default_tax_code_id"),
        default_income_account_id=text("default_income_account_id"),
        default_terms_id=text("default_terms_id"),
        update_customer_default=checkbox("update_customer_default"),
        default_role=text("default_role"),
        user_roles=user_roles,
    )


def read_due_days(raw: str, locale: str = "en_US") -> int | str:
    """The whole days typed, read as numbers are everywhere in the app (the user's locale,
    ``14`` or ``14,0`` in Finnish), or the problem code: ``days_not_number``,
    ``days_ambiguous`` (``1,000`` in Finnish: one day or a thousand?), ``days_too_many``."""
    number = read_decimal(raw, locale) if raw.strip() else "not_a_number"
    if number == "ambiguous_number":
        return "days_ambiguous"
    if not isinstance(number, Decimal) or number < 0 or number != number.to_integral_value():
        return "days_not_number"
    if number > MAX_DUE_DAYS:
        return "days_too_many"
    return int(number)


def with_whole_days(values: SettingsValues, locale: str = "en_US") -> SettingsValues:
    """``due_days`` written plainly (``14``) once it reads as days; as typed otherwise."""
    days = read_due_days(values.due_days, locale)
    return replace(values, due_days=str(days)) if isinstance(days, int) else values


def validate_settings(
    values: SettingsValues,
    fields: PipedriveFieldLists,
    quickbooks: QuickBooksLists,
    locale: str = "en_US",
) -> dict[str, str]:
    """Field name → problem code (worded by ``extension.web.messages.validation_message``) for
    every problem; empty when the values can be saved. Numbers are read in ``locale``."""
    errors: dict[str, str] = {}
    known_fields = fields.values
    for name in _MAPPINGS:
        value = getattr(values, name)
        if not value:
            if name != "map_tax_id":
                errors[name] = "field_required"
        elif value not in known_fields:
            errors[name] = "field_gone"
    days = read_due_days(values.due_days, locale)
    if isinstance(days, str):
        errors["due_days"] = days
    if quickbooks.known:
        checks = (
            ("default_tax_code_id", quickbooks.tax_codes, "tax_code_gone"),
            ("default_income_account_id", quickbooks.income_accounts, "income_account_gone"),
            ("default_terms_id", quickbooks.terms, "terms_gone"),
        )
        for name, choices, problem in checks:
            value = getattr(values, name)
            if value and value not in {c.value for c in choices}:
                errors[name] = problem
        if not quickbooks.us_tax_model and not values.default_tax_code_id:
            errors["default_tax_code_id"] = "tax_code_required"
    roles = {r.value for r in Role}
    if values.default_role not in roles:
        errors["default_role"] = "role_required"
    for user_id, role in values.user_roles.items():
        if role not in roles:
            errors[f"role_{user_id}"] = "role_required"
    return errors


async def save_settings(
    session: AsyncSession,
    company_id: int,
    user_id: int,
    before: SettingsValues,
    after: SettingsValues,
) -> dict[str, Any]:
    """Persist validated values; returns the changes (empty when nothing changed)."""
    old, new = before.audit_view(), after.audit_view()
    changes = {k: {"from": old[k], "to": new[k]} for k in new if old[k] != new[k]}
    if not changes:
        return {}
    row = await session.get(CompanySettings, company_id)
    if row is None:
        row = CompanySettings(company_id=company_id)
        session.add(row)
    for name in (
        *_MAPPINGS,
        "default_tax_code_id",
        "default_income_account_id",
        "default_terms_id",
        "default_role",
    ):
        setattr(row, name, getattr(after, name))
    row.due_days = int(after.due_days)
    row.default_taxable = after.default_taxable
    row.update_customer_default = after.update_customer_default
    row.updated_by = user_id
    await session.execute(delete(UserRole).where(UserRole.company_id == company_id))
    for role_user_id, role in after.user_roles.items():
        if role:
            session.add(UserRole(company_id=company_id, user_id=role_user_id, role=role))
    await record_audit(session, company_id, user_id, "settings.updated", {"changes": changes})
    return changes


@dataclass(frozen=True, slots=True)
class DueDateExample:
    created: date
    due: date

    @property
    def days(self) -> int:
        return (self.due - self.created).days


def due_date_example(due_days: str, today: date, locale: str = "en_US") -> DueDateExample | None:
    """The due date of an invoice created today with the days typed, or None if not days."""
    days = read_due_days(due_days, locale)
    if isinstance(days, str):
        return None
    return DueDateExample(created=today, due=today + timedelta(days=days))
