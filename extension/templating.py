"""The one Jinja2 environment: full pages and named blocks (jinja2-fragments) as fragments."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.routing import NoMatchFound

__all__ = ["TEMPLATES_DIR", "create_templates"]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def _money(value: Decimal | int | float | str | None, currency: str = "") -> str:
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}"
    return f"{text} {currency}".strip()


@pass_context
def _has_route(context: Any, name: str, **path_params: Any) -> bool:
    """Lets a shared partial link to a route that only some configurations mount."""
    try:
        context["request"].app.url_path_for(name, **path_params)
    except NoMatchFound:
        return False
    return True


def create_templates() -> Jinja2Blocks:
    templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
    templates.env.filters["money"] = _money
    templates.env.globals["has_route"] = _has_route
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    return templates
