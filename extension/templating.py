"""The one Jinja2 environment: full pages and named blocks (jinja2-fragments) as fragments,
with gettext and Babel's formatting filters of ``extension.i18n``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.routing import NoMatchFound

from extension import i18n

__all__ = ["TEMPLATES_DIR", "create_templates"]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


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
    # <html lang>, and the language menu of the settings page.
    env.globals["current_locale"] = i18n.current_locale
    env.globals["language_names"] = i18n.language_names
    templates: Jinja2Blocks = Jinja2Blocks(env=env)
    return templates
