"""Money, dates and plurals in the viewer's locale; templates share the same gettext."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from extension import i18n
from extension.i18n import UserLocale, use_locale
from extension.templating import create_templates

FINNISH = UserLocale("fi", "fi_FI", "Europe/Helsinki")
RUSSIAN = UserLocale("ru", "ru_RU", "Europe/Moscow")
NBSP = "\xa0"


def test_money_reads_as_each_locale_writes_it() -> None:
    amount = Decimal("1234.5")
    assert i18n.format_money(amount, "EUR") == "€1,234.50"
    with use_locale(FINNISH):
        assert i18n.format_money(amount, "EUR") == f"1{NBSP}234,50{NBSP}€"
    with use_locale(RUSSIAN):
        assert i18n.format_money(amount, "USD") == f"1{NBSP}234,50{NBSP}$"


def test_instants_are_placed_in_the_viewers_time_zone() -> None:
    late_evening_utc = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
    assert i18n.format_date(late_evening_utc) == "Dec 1, 2026"
    with use_locale(FINNISH):
        # Already the next day in Helsinki.
        assert i18n.format_date(late_evening_utc) == "2.12.2026"


def test_relative_times_are_worded_in_the_language() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    five_minutes_ago = now - timedelta(minutes=5)
    assert i18n.format_relative(five_minutes_ago, now) == "5 minutes ago"
    with use_locale(RUSSIAN):
        assert i18n.format_relative(five_minutes_ago, now) == "5 минут назад"


def test_the_locale_is_restored_after_use() -> None:
    with use_locale(FINNISH):
        assert i18n.current_locale() is FINNISH
    assert i18n.current_locale() == UserLocale()


def test_templates_escape_placeholders_and_format_money() -> None:
    env = create_templates().env
    rendered = env.from_string(
        "{{ _('Sent to %(email)s', email=email) }} | {{ total | money('EUR') }} | {{ when | date }}"
    ).render(email="<x@example.com>", total=Decimal("10"), when=date(2026, 1, 5))
    assert rendered == "Sent to &lt;x@example.com&gt; | €10.00 | Jan 5, 2026"
