"""A Finnish and a Russian user walk the existing screens: the panel in each state, settings,
connecting QuickBooks, the modals, the install outcome; light and dark; nothing overflows.

Their browsers ask for their language (Accept-Language), as a Finnish or Russian user's would:
pages shown before the app knows who is asking follow it, everything after follows Pipedrive's
``/users/me``. Screenshots land in test-artifacts/ (i18n-<lang>-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.browser.conftest import LiveServer, install_through_pipedrive, open_tab, screenshot

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Walk:
    user: str
    browser_locale: str
    name: str
    not_installed: str
    connection: str
    connect: str
    connected: str
    not_connected_panel: str
    new_invoice: str
    view_all: str
    no_invoices: str
    create_title: str
    deal_value: str  # deal 101's products: 13,800.00 USD in the user's formats
    all_title: str
    close: str
    due_label: str
    due_example: str  # with 14 days
    not_whole: str
    save: str
    saved: str
    audit: str
    hidden: str
    denied: str
    window_connected: str
    dark: str
    language_label: str
    language_name: str
    change_language: str
    as_in_pipedrive: str


FINNISH = Walk(
    user="fi",
    browser_locale="fi-FI",
    name="Aino Virtanen",
    not_installed="Valtuuta sovellus nähdäksesi QuickBooks-laskut",
    connection="QuickBooks-yhteys",
    connect="Yhdistä QuickBooksiin",
    connected="Yhdistetty:",
    not_connected_panel="QuickBooksia ei ole vielä yhdistetty",
    new_invoice="+ Lasku",
    view_all="Näytä kaikki laskut",
    no_invoices="Tähän kauppaan ei ole vielä linkitetty laskuja.",
    create_title="Luo lasku",
    deal_value="13\xa0800,00\xa0$",
    all_title="Kaikki laskut",
    close="Sulje",
    due_label="Eräpäivä: päiviä laskun päivämäärästä",
    due_example="eräpäivä on 14 päivää myöhemmin",
    not_whole="Anna päivien määrä kokonaislukuna",
    save="Tallenna",
    saved="Asetukset tallennettu.",
    audit="Aino Virtanen muutti: Eräpäivä (päiviä laskun päivämäärästä): 30 → 14",
    hidden="Tämä kauppa ei ole näkyvissä sinulle Pipedrivessa.",
    denied="Sovellusta ei asennettu",
    window_connected="Voit sulkea tämän ikkunan.",
    dark="Dark theme",
    language_label="Sovelluksen kieli sinulle",
    language_name="suomi",
    change_language="Vaihda kieli",
    as_in_pipedrive="Sama kuin Pipedrivessa",
)

RUSSIAN = Walk(
    user="ru",
    browser_locale="ru-RU",
    name="Ирина Смирнова",
    not_installed="Авторизуйте приложение, чтобы видеть счета QuickBooks",
    connection="Подключение QuickBooks",
    connect="Подключить QuickBooks",
    connected="Подключено:",
    not_connected_panel="QuickBooks ещё не подключён",
    new_invoice="+ Счёт",
    view_all="Просмотреть все счета",
    no_invoices="К этой сделке ещё не привязаны счета.",
    create_title="Создать счёт",
    deal_value="13\xa0800,00\xa0$",
    all_title="Все счета",
    close="Закрыть",
    due_label="Срок оплаты: дней после даты счёта",
    due_example="нужно оплатить через 14 дней",
    not_whole="Введите целое число дней",
    save="Сохранить",
    saved="Настройки сохранены.",
    audit="Ирина Смирнова: изменено — Срок оплаты (дней после даты счёта): 30 → 14",
    hidden="Эта сделка недоступна вам в Pipedrive.",
    denied="Приложение не установлено",
    window_connected="Это окно можно закрыть.",
    dark="Dark theme",
    language_label="Язык приложения для вас",
    language_name="русский",
    change_language="Сменить язык",
    as_in_pipedrive="Как в Pipedrive",
)


@pytest.fixture
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    walk: Walk = request.param
    with open_tab(browser, walk.browser_locale) as page:
        yield page


def _no_horizontal_overflow(page: Page, kind: str) -> dict[str, float]:
    """The framed page fits its frame's width: long Finnish and Russian words wrap."""
    frame = page.frame(url=lambda url: kind in url)
    assert frame is not None, kind
    size: dict[str, float] = frame.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth,"
        " height: document.documentElement.scrollHeight})"
    )
    assert size["scroll"] <= size["client"], (kind, size)
    return size


@pytest.mark.parametrize("tab", [FINNISH, RUSSIAN], indirect=True, ids=["fi", "ru"])
def test_a_user_walks_every_screen_in_their_language(
    live_server: LiveServer, tab: Page, request: pytest.FixtureRequest
) -> None:
    walk: Walk = request.node.callspec.params["tab"]
    page, base, lang = tab, live_server.base_url, walk.user
    deal = f"{base}/sandbox/deals/101?user={lang}"

    # Not installed yet: nobody is known, the browser's language speaks.
    page.goto(deal)
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_text(walk.not_installed)).to_be_visible()
    expect(panel.locator("html")).to_have_attribute("lang", lang)
    screenshot(page, f"i18n-{lang}-panel-not-installed")

    # Installed: from now on Pipedrive's /users/me says which language.
    install_through_pipedrive(page, base, lang)
    settings = page.frame_locator("iframe[data-kind=settings]")
    expect(settings.get_by_role("heading", name=walk.connection)).to_be_visible()
    _no_horizontal_overflow(page, "/settings")
    screenshot(page, f"i18n-{lang}-settings-not-connected")

    page.goto(deal)
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_text(walk.not_connected_panel)).to_be_visible()
    screenshot(page, f"i18n-{lang}-panel-not-connected")

    # Connecting QuickBooks: Intuit's page is Intuit's; the window's own pages speak ours.
    page.goto(f"{base}/sandbox/settings?user={lang}")
    settings = page.frame_locator("iframe[data-kind=settings]")
    with page.expect_popup() as opened:
        settings.get_by_role("button", name=walk.connect).click()
    consent = opened.value
    consent.get_by_role("button", name="Connect").click()
    expect(consent.get_by_text(walk.window_connected)).to_be_visible()
    screenshot(consent, f"i18n-{lang}-connect-window")
    consent.close()
    connection = settings.locator("#qbo-connection")
    expect(connection).to_contain_text(walk.connected, timeout=10_000)
    expect(connection).to_contain_text(walk.name)
    expect(settings.locator("#default_income_account_id")).to_be_visible()

    # Days are read the user's way: "14,0" is 14; "abc" is refused in their words.
    days = settings.get_by_label(walk.due_label)
    days.fill("abc")
    settings.locator("#settings-form button[type=submit]").click()
    expect(settings.locator("#due_days-error")).to_contain_text(walk.not_whole)
    screenshot(page, f"i18n-{lang}-settings-invalid")
    days = settings.get_by_label(walk.due_label)
    days.fill("14,0")
    expect(settings.locator("#due-example")).to_contain_text(walk.due_example)
    settings.locator("#settings-form button[type=submit]").click()
    expect(settings.get_by_role("status").filter(has_text=walk.saved)).to_be_visible()
    expect(page.locator(".host__snackbar").filter(has_text=walk.saved)).to_be_visible()
    expect(settings.locator("#settings-audit")).to_contain_text(walk.audit)
    _no_horizontal_overflow(page, "/settings")
    screenshot(page, f"i18n-{lang}-settings-saved")

    # Her own choice of language, for herself: the page answers in it at once, and back.
    other = RUSSIAN if walk is FINNISH else FINNISH
    settings.get_by_label(walk.language_label).select_option(label=other.language_name)
    settings.get_by_role("button", name=walk.change_language).click()
    expect(settings.get_by_role("heading", name=other.connection)).to_be_visible()
    expect(settings.locator("#settings-title")).to_have_text(_title(other))
    screenshot(page, f"i18n-{lang}-settings-own-language")
    settings.get_by_label(other.language_label).select_option(label=other.as_in_pipedrive)
    settings.get_by_role("button", name=other.change_language).click()
    expect(settings.get_by_role("heading", name=walk.connection)).to_be_visible()

    # The panel, connected, light and dark; then both modals.
    page.goto(deal)
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_role("button", name=walk.new_invoice)).to_be_visible()
    expect(panel.get_by_role("button", name=walk.view_all)).to_be_visible()
    expect(panel.get_by_text(walk.no_invoices)).to_be_visible()
    _no_horizontal_overflow(page, "/panel/deal")
    screenshot(page, f"i18n-{lang}-panel-connected")
    page.get_by_role("button", name=walk.dark).click()
    expect(panel.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, f"i18n-{lang}-panel-connected-dark")

    panel.get_by_role("button", name=walk.new_invoice).click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.get_by_role("heading", name=walk.create_title)).to_be_visible()
    expect(modal.locator("#summary [data-total]")).to_have_text(walk.deal_value)
    _no_horizontal_overflow(page, "/modals/create-invoice")
    screenshot(page, f"i18n-{lang}-modal-create-dark")
    modal.get_by_role("button", name=walk.close).click()
    expect(page.locator("#modal-layer")).to_be_hidden()

    panel.get_by_role("button", name=walk.view_all).click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.get_by_role("heading", name=walk.all_title)).to_be_visible()
    _no_horizontal_overflow(page, "/modals/all-invoices")
    screenshot(page, f"i18n-{lang}-modal-all-dark")
    _close(modal, walk)
    expect(page.locator("#modal-layer")).to_be_hidden()

    # A deal Pipedrive hides from this user: the one error path, in their language.
    page.goto(f"{base}/sandbox/deals/104?user={lang}")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_text(walk.hidden)).to_be_visible()
    screenshot(page, f"i18n-{lang}-panel-hidden-deal")

    # The install outcome page: nobody is known there either.
    page.goto(f"{base}/pipedrive/callback?error=user_denied")
    expect(page.get_by_role("heading", name=walk.denied)).to_be_visible()
    screenshot(page, f"i18n-{lang}-install-denied")


def _title(walk: Walk) -> str:
    return {"fi": "QuickBooks-laskut", "ru": "Счета QuickBooks"}[walk.user]


def _close(modal: FrameLocator, walk: Walk) -> None:
    modal.get_by_role("button", name=walk.close).click()
