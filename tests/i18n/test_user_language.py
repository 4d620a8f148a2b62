"""Which language a request speaks: the user's Pipedrive language from ``/users/me``, their own
choice in the app, or, before anyone is known, the browser's.

The Finnish and Russian users are the sandbox's own (Pipedrive's stand-in reports their
language, "Date/number format" and time zone as ``/users/me`` documents them); they install
through the real consent flow, so their details arrive exactly as they would from Pipedrive.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import jsonschema
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from extension.sandbox.pipedrive.state import Preferences
from extension.services import Services
from extension.store.models import Installation, utcnow
from extension.store.settings_models import CompanySettings
from tests.support import (
    ADMIN_ID,
    API,
    BASIC,
    CALLBACK,
    COMPANY_ID,
    ConsentFlow,
    PipedriveFrames,
    pipedrive,
    session_headers,
)

FINNISH_ID, RUSSIAN_ID = 9003, 9004
SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "pipedrive"


def _soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _text(response: httpx.Response) -> str:
    return " ".join(_soup(response).get_text(" ").split())


def _as(services: Services, user_id: int) -> dict[str, str]:
    return session_headers(services, company_id=COMPANY_ID, user_id=user_id)


async def _installation(db, user_id: int) -> Installation:  # type: ignore[no-untyped-def]
    async with db() as session:
        row = await session.scalar(select(Installation).where(Installation.user_id == user_id))
    assert row is not None
    return row


async def test_the_stand_in_reports_each_users_language_as_pipedrive_documents_it(
    client: httpx.AsyncClient,
) -> None:
    schema = json.loads((SCHEMAS / "v1_users_me.json").read_text())
    expected = {
        ADMIN_ID: ({"language_code": "en", "country_code": "US"}, "en_US", "Europe/Tallinn"),
        FINNISH_ID: ({"language_code": "fi", "country_code": "FI"}, "fi_FI", "Europe/Helsinki"),
        RUSSIAN_ID: ({"language_code": "ru", "country_code": "RU"}, "ru_RU", "Europe/Moscow"),
    }
    for user_id, (language, locale, zone) in expected.items():
        flow = ConsentFlow(client)
        callback = await flow.consent(await flow.start(), user_id=user_id, decision="allow")
        code = callback.split("code=")[1].split("&")[0]
        token = await client.post(
            "/sandbox/pipedrive/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            headers={"Authorization": BASIC},
        )
        access = token.json()["access_token"]
        me = await client.get(f"{API}/v1/users/me", headers={"Authorization": f"Bearer {access}"})
        body = me.json()
        jsonschema.validate(body, schema)
        data = body["data"]
        assert (data["language"], data["locale"], data["timezone_name"]) == (language, locale, zone)
        assert data["timezone_offset"][0] in "+-" and data["timezone_offset"][3] == ":"


async def test_a_finnish_users_me_makes_the_panel_settings_and_errors_finnish(
    client: httpx.AsyncClient, services: Services, frames: PipedriveFrames, db
) -> None:
    await ConsentFlow(client).install(user_id=FINNISH_ID)
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    row = await _installation(db, FINNISH_ID)
    assert (row.language, row.locale, row.timezone_name) == ("fi_FI", "fi_FI", "Europe/Helsinki")

    # The panel Pipedrive frames: its shell, then its content.
    shell = await client.get(
        frames.url("/panel/deal", company_id=COMPANY_ID, user_id=FINNISH_ID, selectedIds="101"),
        headers={"Accept-Language": "en-US"},  # the browser says English; Pipedrive says Finnish
    )
    assert shell.status_code == 200 and shell.headers["content-language"] == "fi"
    page = _soup(shell)
    assert page.html is not None and page.html["lang"] == "fi"
    assert page.title is not None and page.title.get_text() == "QuickBooks-laskut"
    assert "Ladataan laskuja…" in _text(shell)
    # What app.js may have to say, it is given in Finnish too.
    assert page.body is not None and page.body["data-text-session-ended"] == (
        "Istuntosi on päättynyt. Jatka lataamalla sivu uudelleen."
    )
    content = await client.get("/panel/deal/101/content", headers=_as(services, FINNISH_ID))
    buttons = [b.get_text(strip=True) for b in _soup(content).select(".panel__toolbar button")]
    assert buttons == ["+ Lasku", "Näytä kaikki laskut"]
    assert "QuickBooksia ei ole vielä yhdistetty" in _text(content)
    # At the same moment, the English admin reads English: nothing leaks between requests.
    english = await client.get("/panel/deal/101/content", headers=_as(services, ADMIN_ID))
    assert "View all invoices" in _text(english) and "Näytä" not in _text(english)

    # Settings: labels, Pipedrive's own field names, the due-date example, validation.
    settings = await client.get("/settings/content", headers=_as(services, FINNISH_ID))
    form = _soup(settings)
    assert form.select_one("label[for=due_days]").get_text() == (  # type: ignore[union-attr]
        "Eräpäivä: päiviä laskun päivämäärästä"
    )
    assert form.select_one("#map_recipient option[selected]").get_text() == (  # type: ignore[union-attr]
        "Organisaatio – Nimi"
    )
    assert "luodun laskun eräpäivä on 30 päivää myöhemmin" in _text(settings)
    refused = await client.post(
        "/settings/save", data={"due_days": "abc"}, headers=_as(services, FINNISH_ID)
    )
    assert "Anna päivien määrä kokonaislukuna, 0 tai enemmän." in _text(refused)
    saved = await client.post(
        "/settings/save", data={"due_days": "14,0"}, headers=_as(services, FINNISH_ID)
    )
    assert json.loads(saved.headers["HX-Trigger"])["app:snackbar"] == {
        "message": "Asetukset tallennettu."
    }
    async with db() as session:
        stored = await session.get(CompanySettings, COMPANY_ID)
    assert stored is not None and stored.due_days == 14
    audit = await client.get("/settings/audit", headers=_as(services, FINNISH_ID))
    assert "Aino Virtanen muutti: Eräpäivä (päiviä laskun päivämäärästä): 30 → 14" in _text(audit)

    # The one error path: a deal Pipedrive hides from her (owner-only, the admin's).
    hidden = await client.get("/panel/deal/104/content", headers=_as(services, FINNISH_ID))
    assert hidden.status_code == 403
    notice = _soup(hidden).select_one("[data-error=pipedrive-hidden]")
    assert notice is not None and notice.h2 is not None
    assert notice.h2.get_text() == "Ei näkyvissä sinulle"
    # A refused permission: demoted in Pipedrive, she may no longer change settings.
    pipedrive(services).admin_changes[FINNISH_ID] = False
    async with db() as session, session.begin():
        await session.execute(
            update(Installation).values(details_refreshed_at=utcnow() - timedelta(minutes=6))
        )
    forbidden = await client.post("/settings/save", data={}, headers=_as(services, FINNISH_ID))
    assert forbidden.status_code == 403
    assert "Vain Pipedrive-pääkäyttäjä voi tehdä tämän" in _text(forbidden)
    assert "Pyydä apua Pipedrive-yrityksesi pääkäyttäjältä." in _text(forbidden)


async def test_russian_plural_forms_on_the_settings_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    await ConsentFlow(client).install(user_id=RUSSIAN_ID)
    said = []
    for days in ("1", "2", "5", "21"):
        response = await client.get(
            f"/settings/due-example?due_days={days}", headers=_as(services, RUSSIAN_ID)
        )
        said.append(_text(response).split("оплатить ")[1].split(",")[0])
    assert said == ["через 1 день", "через 2 дня", "через 5 дней", "через 21 день"]
    too_many = await client.post(
        "/settings/save", data={"due_days": "400"}, headers=_as(services, RUSSIAN_ID)
    )
    assert "Не больше 365 дней." in _text(too_many)


async def test_a_language_changed_in_pipedrive_reaches_the_app_with_the_next_refresh(
    client: httpx.AsyncClient, services: Services, frames: PipedriveFrames, db
) -> None:
    await ConsentFlow(client).install(user_id=RUSSIAN_ID)
    url = frames.url("/settings/", company_id=COMPANY_ID, user_id=RUSSIAN_ID)
    assert _soup(await client.get(url)).html["lang"] == "ru"  # type: ignore[index]

    pipedrive(services).preference_changes[RUSSIAN_ID] = Preferences(
        "fi", "FI", "fi_FI", "Europe/Helsinki"
    )
    # Within the few minutes details are cached, the stored language stands …
    assert _soup(await client.get(url)).html["lang"] == "ru"  # type: ignore[index]
    # … after them, the next page Pipedrive opens asks /users/me again.
    async with db() as session, session.begin():
        await session.execute(
            update(Installation).values(details_refreshed_at=utcnow() - timedelta(minutes=6))
        )
    assert _soup(await client.get(url)).html["lang"] == "fi"  # type: ignore[index]
    row = await _installation(db, RUSSIAN_ID)
    assert (row.language, row.locale, row.timezone_name) == ("fi_FI", "fi_FI", "Europe/Helsinki")


async def test_a_users_own_language_choice_overrides_pipedrives(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await ConsentFlow(client).install(user_id=FINNISH_ID)
    chosen = await client.post(
        "/settings/language", data={"language": "ru"}, headers=_as(services, FINNISH_ID)
    )
    assert chosen.status_code == 200
    assert "Подключение QuickBooks" in _text(chosen)
    title = _soup(chosen).select_one("#settings-title[hx-swap-oob]")
    assert title is not None and title.get_text() == "Счета QuickBooks"
    assert json.loads(chosen.headers["HX-Trigger"])["app:snackbar"] == {"message": "Язык сохранён."}
    selected = _soup(chosen).select_one("#language option[selected]")
    assert selected is not None and selected["value"] == "ru"
    assert (await _installation(db, FINNISH_ID)).language_override == "ru"
    panel = await client.get("/panel/deal/101/content", headers=_as(services, FINNISH_ID))
    assert "Просмотреть все счета" in _text(panel)
    # Formats stay Pipedrive's (fi_FI): only the words follow the choice.
    example = await client.get(
        "/settings/due-example?due_days=7", headers=_as(services, FINNISH_ID)
    )
    assert "нужно оплатить через 7 дней" in _text(example)

    # A language not offered, or none, follows Pipedrive's again.
    back = await client.post(
        "/settings/language", data={"language": "de"}, headers=_as(services, FINNISH_ID)
    )
    assert "QuickBooks-yhteys" in _text(back)
    assert (await _installation(db, FINNISH_ID)).language_override == ""


async def test_pages_shown_before_anyone_is_known_follow_the_browser(
    client: httpx.AsyncClient, frames: PipedriveFrames
) -> None:
    denied = "/pipedrive/callback?error=user_denied"
    russian = await client.get(denied, headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert russian.headers["content-language"] == "ru"
    assert "Приложение не установлено" in _text(russian)
    german = await client.get(denied, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "The app was not installed" in _text(german)
    window = await client.get("/quickbooks/connect", headers={"Accept-Language": "fi"})
    assert "Avataan QuickBooks…" in _text(window)
    # A Pipedrive user who has not installed yet is nobody to us: their browser speaks.
    prompt = await client.get(
        frames.url("/panel/deal", company_id=COMPANY_ID, user_id=FINNISH_ID, selectedIds="101"),
        headers={"Accept-Language": "fi-FI"},
    )
    assert "Valtuuta sovellus nähdäksesi QuickBooks-laskut" in _text(prompt)
    # A forged iframe token is refused in the browser's language.
    forged = await client.get(
        frames.url("/panel/deal", company_id=COMPANY_ID, user_id=FINNISH_ID, token="x.y.z"),
        headers={"Accept-Language": "ru"},
    )
    assert forged.status_code == 401 and "Не удалось проверить этот запрос" in _text(forged)
