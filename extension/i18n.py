"""The user's language: gettext catalogs for words, Babel for money, numbers, dates and times.

Every sentence a person reads goes through ``gettext``/``ngettext`` here (Python) or
``{% trans %}``/``_()`` in templates (Jinja's i18n extension, installed with these same
callables), so adding a language is adding one catalog under ``extension/locale/``. Money,
numbers, dates and relative times are formatted by Babel in the viewer's formatting locale and
time zone, never by hand.

Which language and locale apply is decided once per request and kept in a context variable
(``use_locale``): templates and domain code read it without being handed it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.support import LazyProxy, NullTranslations, Translations

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "UserLocale",
    "current_locale",
    "use_locale",
    "gettext",
    "ngettext",
    "pgettext",
    "lazy_gettext",
    "raw_gettext",
    "raw_ngettext",
    "raw_pgettext",
    "raw_npgettext",
    "format_money",
    "format_number",
    "format_date",
    "format_datetime",
    "format_relative",
]

# The languages with a complete catalog; anything else is shown in English.
LANGUAGES = ("en", "fi", "ru")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


@dataclass(frozen=True, slots=True)
class UserLocale:
    """What one viewer reads: ``language`` picks the catalog, ``formatting`` (a Babel locale
    such as ``fi_FI``) shapes numbers and dates, ``timezone`` places instants."""

    language: str = "en"
    formatting: str = "en_US"
    timezone: str = "UTC"

    @property
    def babel(self) -> Locale:
        return _babel_locale(self.formatting)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


# A frozen dataclass: sharing the default between contexts is safe.
_current: ContextVar[UserLocale] = ContextVar("user_locale", default=UserLocale())  # noqa: B039


def current_locale() -> UserLocale:
    return _current.get()


@contextlib.contextmanager
def use_locale(user_locale: UserLocale) -> Iterator[UserLocale]:
    token = _current.set(user_locale)
    try:
        yield user_locale
    finally:
        _current.reset(token)


@cache
def _babel_locale(identifier: str) -> Locale:
    try:
        return Locale.parse(identifier or "en_US")
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en_US")


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@cache
def _translations(language: str) -> NullTranslations:
    if language not in LANGUAGES or language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def _catalog() -> NullTranslations:
    return _translations(current_locale().language)


def raw_gettext(message: str) -> str:
    """The translation as written in the catalog, placeholders untouched (Jinja's i18n
    extension fills them itself)."""
    return _catalog().gettext(message)


def raw_ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


def raw_pgettext(context: str, message: str) -> str:
    return str(_catalog().pgettext(context, message))


def raw_npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _catalog().npgettext(context, singular, plural, n)


def gettext(message: str, **variables: Any) -> str:
    """``gettext("Invoice %(number)s was voided.", number=...)``: placeholders are named."""
    text = raw_gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The plural form the language needs for ``n`` (Russian has three); ``%(num)d`` is n."""
    return raw_ngettext(singular, plural, n) % {"num": n, **variables}


def pgettext(context: str, message: str, **variables: Any) -> str:
    text = raw_pgettext(context, message)
    return text % variables if variables else text


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """For module-level constants: translated when read, in the language of that request."""
    proxy: LazyProxy = LazyProxy(gettext, message, enable_cache=False, **variables)
    return proxy


# ---- formatting ---------------------------------------------------------------------------


def format_money(amount: Decimal | int | str | None, currency: str) -> str:
    if amount is None:
        return ""
    value = Decimal(str(amount))
    if not currency:
        return numbers.format_decimal(value, locale=current_locale().babel)
    return numbers.format_currency(value, currency, locale=current_locale().babel)


def format_number(value: Decimal | int | str | None) -> str:
    if value is None:
        return ""
    return numbers.format_decimal(Decimal(str(value)), locale=current_locale().babel)


def format_date(value: date | None, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(current_locale().zone).date()
    return dates.format_date(value, format=style, locale=current_locale().babel)


def format_datetime(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    user = current_locale()
    return dates.format_datetime(when, format=style, tzinfo=user.zone, locale=user.babel)


def format_relative(value: datetime | None, now: datetime | None = None) -> str:
    """ "5 minutes ago", "in 3 days", in the viewer's language."""
    if value is None:
        return ""
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    delta: timedelta = when - (now or datetime.now(UTC))
    return dates.format_timedelta(
        delta, add_direction=True, threshold=1, locale=current_locale().babel
    )
