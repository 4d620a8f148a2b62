"""The settings page: admins change it, everybody else reads it; validation keeps what was typed."""

from __future__ import annotations

import json

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from extension.invoicing.reference_lists import Choice, QuickBooksLists, store_quickbooks_lists
from extension.services import Services
from extension.store.models import AuditEvent
from extension.store.settings_models import CompanySettings, UserRole
from tests.support import install_user, session_headers

COMPANY, ADMIN, REP = 801, 1, 2


def _headers(services: Services, user_id: int) -> dict[str, str]:
    return session_headers(services, company_id=COMPANY, user_id=user_id)


async def _setup(db) -> None:  # type: ignore[no-untyped-def]
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True, name="Ada Admin")
    await install_user(db, company_id=COMPANY, user_id=REP, is_admin=False, name="Rex Rep")


VALID = {
    "map_recipient": "organization:name",
    "map_address": "organization:address",
    "map_email": "person:email",
    "map_tax_id": "",
    "due_days": "14",
    "default_taxable_present": "1",
    "update_customer_default_present": "1",
    "update_customer_default": "on",
    "default_role": "viewer",
    f"role_{REP}": "creator",
}


async def test_admin_gets_an_editable_form_and_rep_a_read_only_one(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _setup(db)
    admin = BeautifulSoup(
        (await client.get("/settings/content", headers=_headers(services, ADMIN))).text,
        "html.parser",
    )
    assert admin.select_one("fieldset.settings-form__body").get("disabled") is None
    assert admin.select_one("#settings-form button[type=submit]").get_text(strip=True) == "Save"
    # Suggested defaults from the seed: organization name and address, person email.
    assert admin.select_one("#map_recipient option[selected]")["value"] == "organization:name"
    assert admin.select_one("#map_email option[selected]")["value"] == "person:email"
    assert admin.select_one("#role_2") is not None  # the rep is listed for a role

    rep = BeautifulSoup(
        (await client.get("/settings/content", headers=_headers(services, REP))).text, "html.parser"
    )
    assert rep.select_one("fieldset.settings-form__body").has_attr("disabled")
    assert rep.select_one("#settings-form button[type=submit]") is None
    assert "Only a Pipedrive admin" in rep.get_text()


async def test_rep_cannot_save(client: httpx.AsyncClient, services: Services, db) -> None:
    await _setup(db)
    response = await client.post("/settings/save", data=VALID, headers=_headers(services, REP))
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#app-error"
    assert "Only a Pipedrive admin" in response.text
    async with db() as session:
        assert await session.get(CompanySettings, COMPANY) is None


async def test_invalid_values_are_shown_inline_and_nothing_is_lost(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _setup(db)
    bad = {
        **VALID,
        "due_days": "two weeks",
        "map_email": "person:not-a-field",
        "default_role": "boss",
    }
    response = await client.post("/settings/save", data=bad, headers=_headers(services, ADMIN))
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#due_days")["value"] == "two weeks"
    assert soup.select_one("#due_days")["aria-describedby"] == "due_days-error"
    assert "whole number" in soup.select_one("#due_days-error").get_text()
    assert soup.select_one("#map_email-error") is not None
    assert soup.select_one("#map_email option[selected]")["value"] == "person:not-a-field"
    assert soup.select_one("#default_role-error") is not None
    # What was valid is kept too.
    assert soup.select_one(f"#role_{REP} option[selected]")["value"] == "creator"
    async with db() as session:
        assert await session.get(CompanySettings, COMPANY) is None
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_save_persists_audits_and_saving_twice_is_harmless(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _setup(db)
    first = await client.post("/settings/save", data=VALID, headers=_headers(services, ADMIN))
    assert first.status_code == 200
    triggers = json.loads(first.headers["HX-Trigger"])
    assert triggers["app:snackbar"] == {"message": "Settings saved."}
    assert "app:settings-saved" in triggers
    async with db() as session:
        row = await session.get(CompanySettings, COMPANY)
        assert row is not None and row.due_days == 14 and row.default_role == "viewer"
        roles = (await session.scalars(select(UserRole))).all()
        assert [(r.user_id, r.role) for r in roles] == [(REP, "creator")]
        event = await session.scalar(select(AuditEvent))
        assert event is not None and event.user_id == ADMIN and event.action == "settings.updated"
        assert event.detail["changes"]["due_days"] == {"from": "30", "to": "14"}

    second = await client.post("/settings/save", data=VALID, headers=_headers(services, ADMIN))
    assert second.status_code == 200
    assert json.loads(second.headers["HX-Trigger"]) == {
        "app:snackbar": {"message": "No changes to save."}
    }
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 1

    audit = BeautifulSoup(
        (await client.get("/settings/audit", headers=_headers(services, REP))).text, "html.parser"
    )
    entry = audit.select_one("ol.audit li")
    assert entry is not None and "Ada Admin" in entry.get_text()
    assert "Due date (days after invoice date): 30 → 14" in entry.get_text()
    assert "Role of Rex Rep: Default → Creator" in entry.get_text()

    # Back to "Default" for the rep: the own role is removed, and the trail says so.
    back = await client.post(
        "/settings/save", data={**VALID, f"role_{REP}": ""}, headers=_headers(services, ADMIN)
    )
    assert back.status_code == 200
    async with db() as session:
        assert (await session.scalars(select(UserRole))).all() == []
    audit = BeautifulSoup(
        (await client.get("/settings/audit", headers=_headers(services, REP))).text, "html.parser"
    )
    assert "Role of Rex Rep: Creator → Default" in audit.select_one("ol.audit li").get_text()


async def test_quickbooks_choices_are_validated_against_the_cached_lists(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _setup(db)
    lists = QuickBooksLists(
        tax_codes=(Choice("3", "GST 10%"),),
        income_accounts=(Choice("79", "Sales of Product Income"),),
        terms=(Choice("2", "Net 30"),),
        us_tax_model=False,
    )
    async with db() as session, session.begin():
        await store_quickbooks_lists(session, COMPANY, lists)
    missing_code = await client.post(
        "/settings/save", data=VALID, headers=_headers(services, ADMIN)
    )
    assert missing_code.status_code == 200
    assert (
        "tax code on every line"
        in BeautifulSoup(missing_code.text, "html.parser")
        .select_one("#default_tax_code_id-error")
        .get_text()
    )

    stale = {**VALID, "default_tax_code_id": "3", "default_income_account_id": "999"}
    response = await client.post("/settings/save", data=stale, headers=_headers(services, ADMIN))
    assert response.status_code == 200
    assert (
        BeautifulSoup(response.text, "html.parser").select_one("#default_income_account_id-error")
        is not None
    )

    good = {
        **VALID,
        "default_tax_code_id": "3",
        "default_income_account_id": "79",
        "default_terms_id": "2",
    }
    assert (
        await client.post("/settings/save", data=good, headers=_headers(services, ADMIN))
    ).status_code == 200
    async with db() as session:
        row = await session.get(CompanySettings, COMPANY)
        assert row is not None and (
            row.default_tax_code_id,
            row.default_income_account_id,
            row.default_terms_id,
        ) == ("3", "79", "2")


async def test_due_date_example_follows_what_is_typed(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _setup(db)
    response = await client.get("/settings/due-example?due_days=7", headers=_headers(services, REP))
    text = BeautifulSoup(response.text, "html.parser").select_one("#due-example").get_text()
    assert text.startswith("An invoice created on ") and " is due 7 days later, on " in text
    empty = await client.get("/settings/due-example?due_days=x", headers=_headers(services, REP))
    assert BeautifulSoup(empty.text, "html.parser").select_one("#due-example").get_text() == ""
