"""The one Jinja2 environment: full pages and named blocks (jinja2-fragments) as fragments,
with gettext and Babel's formatting filters of ``extension.i18n``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup
from starlette.routing import NoMatchFound

from extension import i18n

__all__ = ["TEMPLATES_DIR", "create_templates"]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


_ICON_PATHS = {
    "pdf": '<path d="M12 3v12m0 0-4.5-4.5M12 15l4.5-4.5M5 20h14" fill="none" '
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>',
    "mail": '<path d="M3.5 6.5h17v11h-17zM4 7l8 6 8-6" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linejoin="round"/>',
    "link": '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0'
    'l-3 3a4 4 0 0 0 5.7 5.7l1-1" fill="none" stroke="currentColor" stroke-width="2" '
    'stroke-linecap="round"/>',
    "more": '<circle cx="5" cy="12" r="2" fill="currentColor"/><circle cx="12" cy="12" r="2" '
    'fill="currentColor"/><circle cx="19" cy="12" r="2" fill="currentColor"/>',
    "refresh": '<path d="M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>',
}
# Whole <svg> elements made once: a panel draws four per invoice row, and a Jinja macro call
# per icon was a visible share of rendering fifty rows.
_ICONS = {
    name: Markup(
        '<svg class="icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="16" '
        f'height="16">{path}</svg>'
    )
    for name, path in _ICON_PATHS.items()
}


def _icon(name: str) -> Markup:
    return _ICONS[name]


@pass_context
def _has_route(context: Any, name: str, **path_params: Any) -> bool:
    """Lets a shared partial link to a route that only some configurations mount."""
    try:
        context["request"].app.url_path_for(name, **path_params)
    except NoMatchFound:
        return False
    return True


def create_templates() -> Jinja2Blocks:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Newstyle gettext: ``_("Hello %(name)s", name=...)`` and {% trans %} escape and fill
    # placeholders the same way; the catalog of the request's language answers. A {% trans %}
    # block's line breaks and indentation are not part of its message (extraction agrees:
    # ``trimmed`` in extension/locale/babel.cfg).
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.raw_gettext,
        i18n.raw_ngettext,
        newstyle=True,
        pgettext=i18n.raw_pgettext,
        npgettext=i18n.raw_npgettext,
    )
    env.filters["money"] = i18n.format_money
    env.filters["number"] = i18n.format_number
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = i18n.format_datetime
    env.filters["relative"] = i18n.format_relative
    env.filters["listed"] = i18n.format_list
    env.filters["currency_name"] = i18n.format_currency_name
    env.globals["has_route"] = _has_route
    env.globals["icon"] = _icon
    # <html lang>, and the language menu of the settings page.
    env.globals["current_locale"] = i18n.current_locale
    env.globals["language_names"] = i18n.language_names
    templates: Jinja2Blocks = Jinja2Blocks(env=env)
    return templates
