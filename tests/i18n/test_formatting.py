"""Money, dates, relative times and typed numbers, as each locale reads and writes them.

Everything goes through Babel in the viewer's ``UserLocale``: money keeps the invoice's or
deal's own currency and takes the user's formats; instants land in the user's time zone; a
Finnish or Russian user types ``12,5``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from extension import i18n
from extension.i18n import UserLocale, locale_from_accept_language, use_locale, user_locale
from extension.invoicing.company_settings import due_date_example, read_due_days
from extension.invoicing.draft_form import read_decimal

ENGLISH = UserLocale("en", "en_US", "America/New_York")
FINNISH = UserLocale("fi", "fi_FI", "Europe/Helsinki")
RUSSIAN = UserLocale("ru", "ru_RU", "Europe/Moscow")
NBSP, NNBSP = "\xa0", "\u202f"


@pytest.mark.parametrize(
    ("viewer", "amount", "currency", "shown"),
    [
        (ENGLISH, "12500", "USD", "$12,500.00"),
        (ENGLISH, "4800", "EUR", "€4,800.00"),
        (ENGLISH, "1234", "JPY", "¥1,234"),  # the currency's own digits: yen have none
        (FINNISH, "12500", "USD", f"12{NBSP}500,00{NBSP}$"),
        (FINNISH, "4800", "EUR", f"4{NBSP}800,00{NBSP}€"),
        (FINNISH, "-0.5", "EUR", f"-0,50{NBSP}€"),
        (RUSSIAN, "12500", "USD", f"12{NBSP}500,00{NBSP}$"),
        (RUSSIAN, "4800", "EUR", f"4{NBSP}800,00{NBSP}€"),
        (RUSSIAN, "99.9", "RUB", f"99,90{NBSP}₽"),
    ],
)
def test_money_keeps_the_deals_currency_in_the_viewers_formats(
    viewer: UserLocale, amount: str, currency: str, shown: str
) -> None:
    with use_locale(viewer):
        assert i18n.format_money(Decimal(amount), currency) == shown


def test_dates_land_in_the_viewers_time_zone() -> None:
    # 22:30 UTC on 1 December: still the 1st in New York, already the 2nd in Helsinki and Moscow.
    instant = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
    with use_locale(ENGLISH):
        assert i18n.format_date(instant) == "Dec 1, 2026"
        assert i18n.format_datetime(instant, "medium-short") == f"Dec 1, 2026, 5:30{NNBSP}PM"
    with use_locale(FINNISH):
        assert i18n.format_date(instant) == "2.12.2026"
        assert i18n.format_datetime(instant, "medium-short") == "2.12.2026 0.30"
        assert i18n.format_date(date(2026, 3, 13), "MMMMd") == "13. maaliskuuta"
    with use_locale(RUSSIAN):
        assert i18n.format_date(instant) == f"2 дек. 2026{NNBSP}г."
        assert i18n.format_datetime(instant, "medium-short") == f"2 дек. 2026{NNBSP}г., 01:30"
        assert i18n.format_date(date(2026, 3, 13), "MMMMd") == "13 марта"
    # A date without a time is a calendar date: no zone moves it.
    with use_locale(UserLocale("en", "en_US", "Pacific/Kiritimati")):
        assert i18n.format_date(date(2026, 12, 31)) == "Dec 31, 2026"


def test_relative_times_lists_and_currency_names_are_in_the_language() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with use_locale(FINNISH):
        assert i18n.format_relative(now - timedelta(minutes=5), now) == "5 minuuttia sitten"
        assert i18n.format_list(["Ada", "Rex", "Aino"]) == "Ada, Rex ja Aino"
        assert i18n.format_currency_name("USD") == "Yhdysvaltain dollari"
    with use_locale(RUSSIAN):
        assert i18n.format_relative(now + timedelta(days=2), now) == "через 2 дня"
        assert i18n.format_list(["Ada", "Rex"]) == "Ada и Rex"


@pytest.mark.parametrize(
    ("typed", "locale", "read"),
    [
        ("12,5", "fi_FI", Decimal("12.5")),
        ("12.5", "fi_FI", Decimal("12.5")),  # the keyboard's separator, once, is a decimal sign
        ("1 234,50", "fi_FI", Decimal("1234.50")),
        (f"1{NBSP}234,50", "ru_RU", Decimal("1234.50")),
        ("−3,5", "ru_RU", Decimal("-3.5")),
        ("1,234", "fi_FI", "ambiguous_number"),  # 1.234 or 1234?
        ("1,234", "en_US", Decimal("1234")),
        ("12,5,1", "ru_RU", "not_a_number"),
    ],
)
def test_decimal_input_follows_the_locale(typed: str, locale: str, read: object) -> None:
    assert read_decimal(typed, locale) == read


@pytest.mark.parametrize(
    ("typed", "locale", "read"),
    [
        ("14", "fi_FI", 14),
        ("14,0", "fi_FI", 14),
        ("14.0", "en_US", 14),
        ("14,0", "ru_RU", 14),
        ("7,5", "ru_RU", "days_not_number"),
        ("1,000", "fi_FI", "days_ambiguous"),
        ("366", "fi_FI", "days_too_many"),
        ("-1", "en_US", "days_not_number"),
        ("²", "en_US", "days_not_number"),
        ("", "fi_FI", "days_not_number"),
    ],
)
def test_due_days_on_the_settings_page_are_read_the_same_way(
    typed: str, locale: str, read: object
) -> None:
    assert read_due_days(typed, locale) == read


def test_the_due_date_example_reads_days_in_the_users_locale() -> None:
    example = due_date_example("7,0", date(2026, 3, 13), "fi_FI")
    assert example is not None and example.due == date(2026, 3, 20) and example.days == 7
    assert due_date_example("7,0", date(2026, 3, 13), "en_US") is not None  # 7.0 in English too
    assert due_date_example("abc", date(2026, 3, 13), "fi_FI") is None


def test_a_pipedrive_user_reads_their_language_else_english() -> None:
    finnish = user_locale(
        language_code="fi", country_code="FI", formatting="fi_FI", timezone="Europe/Helsinki"
    )
    assert finnish == FINNISH
    # German is not offered: English words, German formats, their zone.
    german = user_locale(
        language_code="de", country_code="DE", formatting="de_DE", timezone="Europe/Berlin"
    )
    assert german == UserLocale("en", "de_DE", "Europe/Berlin")
    # Pipedrive's "Date/number format" wins over the language's own country.
    assert user_locale(language_code="ru", country_code="RU", formatting="en_GB").formatting == (
        "en_GB"
    )
    # Nothing known (a user not read yet): English, en_US, UTC; nonsense is ignored.
    assert user_locale(language_code="") == UserLocale()
    assert user_locale(language_code="xx", formatting="zz_ZZ", timezone="Mars/Olympus") == (
        UserLocale()
    )
    # The user's own choice in the app picks the words, not the formats.
    chosen = user_locale(language_code="fi", formatting="fi_FI", override="ru")
    assert (chosen.language, chosen.formatting) == ("ru", "fi_FI")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fi-FI,fi;q=0.9,en-US;q=0.8,en;q=0.7", UserLocale("fi", "fi_FI", "UTC")),
        ("de-DE,de;q=0.9,ru;q=0.8", UserLocale("ru", "de_DE", "UTC")),
        ("en;q=0.5, ru-RU;q=0.9", UserLocale("ru", "ru_RU", "UTC")),
        ("fi;q=0, de", UserLocale("en", "de", "UTC")),
        ("*", UserLocale()),
        ("", UserLocale()),
        (None, UserLocale()),
    ],
)
def test_before_anyone_is_known_the_browser_decides(
    header: str | None, expected: UserLocale
) -> None:
    assert locale_from_accept_language(header) == expected


def test_words_follow_the_language_and_numbers_the_formats() -> None:
    """A reader whose formats are another language's never meets that language's words."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    # Russian chosen in the app, Finnish number formats in Pipedrive.
    with use_locale(UserLocale("ru", "fi_FI", "Europe/Helsinki")):
        assert i18n.format_money(Decimal("1234.5"), "EUR") == f"1{NBSP}234,50{NBSP}€"
        assert i18n.format_date(date(2026, 3, 13), "MMMMd") == "13 марта"
        assert i18n.format_relative(now - timedelta(seconds=2), now) == "2 секунды назад"
        assert i18n.format_currency_name("USD") == "доллар США"
    # German is not offered: English words in German order, German numbers.
    with use_locale(UserLocale("en", "de_DE", "Europe/Berlin")):
        assert i18n.format_money(Decimal("1234.5"), "EUR") == f"1.234,50{NBSP}€"
        assert i18n.format_date(date(2026, 12, 2)) == "2 Dec 2026"
        assert i18n.format_list(["Ada", "Rex"]) == "Ada and Rex"
