"""The user's language: gettext catalogs for words, Babel for money, numbers, dates and times.

Every sentence a person reads goes through ``gettext``/``ngettext`` here (Python) or
``{% trans %}``/``_()`` in templates (Jinja's i18n extension, installed with these same
callables), so adding a language is adding one catalog under ``extension/locale/``. Money,
numbers, dates and relative times are formatted by Babel in the viewer's formatting locale and
time zone, never by hand.

Which language and locale apply is decided once per request and kept in a context variable:
``LocaleMiddleware`` (``extension.web.locale``) opens a scope for every request with what
the browser asks for (``Accept-Language``), and the step that verifies who is asking
(``extension.web.iframe``) replaces it with that user's locale (``set_request_locale``).
Templates and domain code read it without being handed it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError, dates, lists, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "UserLocale",
    "current_locale",
    "use_locale",
    "set_request_locale",
    "user_locale",
    "locale_from_accept_language",
    "language_names",
    "today",
    "gettext",
    "ngettext",
    "pgettext",
    "lazy_gettext",
    "N_",
    "raw_gettext",
    "raw_ngettext",
    "raw_pgettext",
    "raw_npgettext",
    "format_money",
    "format_number",
    "format_date",
    "format_datetime",
    "format_relative",
    "format_list",
    "format_currency_name",
]

logger = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def _languages_with_catalogs() -> tuple[str, ...]:
    found = {
        entry.name
        for entry in (LOCALE_DIR.iterdir() if LOCALE_DIR.is_dir() else ())
        if (entry / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    }
    return (SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE}))


# The languages offered: English (the source) and every language with a catalog, so adding a
# language is adding its catalog (``make catalogs`` keeps each one complete; the CI check
# refuses an incomplete one). Anything else is shown in English.
LANGUAGES = _languages_with_catalogs()


@dataclass(frozen=True, slots=True)
class UserLocale:
    """What one viewer reads: ``language`` picks the catalog, ``formatting`` (a Babel locale
    such as ``fi_FI``) shapes numbers and money, ``timezone`` places instants.

    Dates, relative times and lists are words as much as formats ("13. maaliskuuta", "5 минут
    назад"), so they follow ``wording``: the formatting locale when it is in the reader's
    language, else the reader's language in the formatting's country when such a locale exists
    (English words, German order: ``en_DE``), else the language's own. A Russian reader with
    Finnish number formats never meets a Finnish month name.
    """

    language: str = "en"
    formatting: str = "en_US"
    timezone: str = "UTC"

    @property
    def babel(self) -> Locale:
        return _babel_locale(self.formatting)

    @property
    def wording(self) -> Locale:
        return _wording_locale(self.language, self.formatting)

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


def set_request_locale(user_locale: UserLocale) -> None:
    """Switch the current request to ``user_locale`` once it is known who is asking.

    Called by the one step that verifies the viewer; the ``use_locale`` scope the middleware
    opened around the request puts the previous value back when the request ends.
    """
    _current.set(user_locale)


def _offered(code: str) -> str | None:
    language = code.strip().lower().replace("-", "_").split("_")[0]
    return language if language in LANGUAGES else None


def _formatting(identifier: str, sep: str = "_") -> str | None:
    """The Babel identifier of a locale such as ``fi_FI`` or ``fi-FI``; None if unknown."""
    if not identifier:
        return None
    try:
        return str(Locale.parse(identifier.strip(), sep=sep))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def user_locale(
    *,
    language_code: str,
    country_code: str = "",
    formatting: str = "",
    timezone: str = "",
    override: str = "",
) -> UserLocale:
    """What a Pipedrive user reads, from their ``/users/me`` details.

    The words follow their own choice in the app (``override``) or their Pipedrive interface
    language when it is offered, else English; numbers and dates follow Pipedrive's "Date/number
    format" (``locale``), else their language and country; instants their time zone, else UTC.
    """
    language = _offered(override) or _offered(language_code) or SOURCE_LANGUAGE
    region = f"{language_code}_{country_code}" if language_code and country_code else ""
    shaped = _formatting(formatting) or _formatting(region) or _formatting(language_code)
    return UserLocale(
        language=language,
        formatting=shaped or "en_US",
        timezone=timezone if timezone and _zone(timezone).key == timezone else "UTC",
    )


_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)\s*(?:;\s*q\s*=\s*([0-9.]+))?")


def _accepted(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most wanted first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, position, match.group(1)))
    return [tag for _, _, tag in sorted(ranked)]


def locale_from_accept_language(header: str | None) -> UserLocale:
    """For pages shown before anyone is known (install outcome, the QuickBooks connect window):
    the first offered language the browser asks for, formatted as its first known locale."""
    tags = _accepted(header or "")
    language = next((_offered(tag) for tag in tags if _offered(tag)), None)
    shaped = next((f for f in (_formatting(tag, sep="-") for tag in tags) if f), None)
    return UserLocale(
        language=language or SOURCE_LANGUAGE,
        formatting=shaped or "en_US",
        timezone="UTC",
    )


def language_names() -> list[tuple[str, str]]:
    """Each offered language in its own words (``suomi``, ``русский``), for a language menu."""
    return [(code, Locale.parse(code).get_display_name(code) or code) for code in LANGUAGES]


def today() -> date:
    """Today's date where the viewer is."""
    return datetime.now(current_locale().zone).date()


@cache
def _babel_locale(identifier: str) -> Locale:
    try:
        return Locale.parse(identifier or "en_US")
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en_US")


@cache
def _wording_locale(language: str, formatting: str) -> Locale:
    shaped = _babel_locale(formatting)
    if shaped.language == language:
        return shaped
    for candidate in (f"{language}_{shaped.territory}", language):
        try:
            return Locale.parse(candidate)
        except (ValueError, UnknownLocaleError):
            continue
    return shaped


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@cache
def _translations(language: str) -> NullTranslations:
    if language not in LANGUAGES:
        return NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if not source.is_file():
        return NullTranslations()
    if compiled.is_file() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    # `make setup` compiles the catalogs; a checkout edited since still speaks its catalogs
    # (compiled here, in memory, fuzzy entries left out just as pybabel compile does).
    logger.warning("%s is missing or older than its .po; run `make setup`", compiled)
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


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


def N_(message: str) -> str:
    """Marks a message for the catalogs without translating it: for a msgid chosen in Python
    and translated where it is shown (``{{ _(entry.action, who=…) }}`` in a template)."""
    return message


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


_DATE_STYLES = frozenset({"short", "medium", "long", "full"})
_Style = Literal["full", "long", "medium", "short"]


def format_date(value: date | None, style: str = "medium") -> str:
    """``style`` is one of Babel's four (``medium``: "Mar 13, 2026", "13.3.2026") or a CLDR
    skeleton the locale arranges itself (``MMMMd``: "March 13", "13. maaliskuuta", "13 марта")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(current_locale().zone).date()
    if style not in _DATE_STYLES:
        return dates.format_skeleton(style, value, locale=current_locale().wording)
    return dates.format_date(value, format=style, locale=current_locale().wording)


def format_datetime(value: datetime | None, style: str = "medium") -> str:
    """An instant in the viewer's time zone. ``style`` is one of Babel's four, or a date style
    and a time style joined by a hyphen (``medium-short``: "Dec 1, 2026, 10:30 PM",
    "1.12.2026 22.30"), put together the way the locale joins a date and a time."""
    if value is None:
        return ""
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    user = current_locale()
    words = user.wording
    date_style, _, time_style = style.partition("-")
    if not time_style:
        return dates.format_datetime(when, format=style, tzinfo=user.zone, locale=words)
    local = when.astimezone(user.zone)
    joined = str(dates.get_datetime_format(cast(_Style, date_style), locale=words))
    return joined.replace(
        "{1}", dates.format_date(local.date(), format=date_style, locale=words)
    ).replace("{0}", dates.format_time(local, format=time_style, locale=words))


def format_list(items: list[str]) -> str:
    """``A, B and C`` / ``A, B ja C`` / ``A, B и C``."""
    return lists.format_list([str(item) for item in items], locale=current_locale().wording)


def format_currency_name(code: str) -> str:
    """``US Dollar`` / ``Yhdysvaltain dollari`` / ``доллар США``; the code if unknown."""
    if not code:
        return ""
    return numbers.get_currency_name(code, locale=current_locale().wording)


def format_relative(value: datetime | None, now: datetime | None = None) -> str:
    """ "5 minutes ago", "in 3 days", in the viewer's language."""
    if value is None:
        return ""
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    delta: timedelta = when - (now or datetime.now(UTC))
    return dates.format_timedelta(
        delta, add_direction=True, threshold=1, locale=current_locale().wording
    )
