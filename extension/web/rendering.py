"""Rendering a screen or one of its named blocks from a typed context.

Every handler describes what its template gets as a dataclass (``extension.web.contexts``);
this turns its fields into the template's names, so templates stay as they are and a handler
cannot hand a template something it did not declare (no ORM rows, no token ciphertext).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from extension.htmx import vary_on_htmx
from extension.services import get_services
from extension.web.contexts import PageOutcomeContext

__all__ = ["render", "render_outcome"]


def _names(context: Any) -> dict[str, Any]:
    if not is_dataclass(context) or isinstance(context, type):
        raise TypeError("a template context is a dataclass instance")
    return {f.name: getattr(context, f.name) for f in fields(context)}


def render(
    request: Request,
    template: str,
    context: Any,
    *,
    block: str | None = None,
    blocks: list[str] | None = None,
    status_code: int = 200,
    vary: bool = False,
) -> Response:
    """The template, or one named block of it, or several blocks one after the other (a
    fragment and its out-of-band companions)."""
    templates = get_services(request).templates
    names = _names(context)
    if blocks:
        response = templates.TemplateResponse(
            request, template, names, status_code=status_code, block_names=blocks
        )
    else:
        response = templates.TemplateResponse(
            request, template, names, status_code=status_code, block_name=block
        )
    return vary_on_htmx(response) if vary else response


def render_outcome(
    request: Request, template: str, outcome: str, status_code: int, **details: str
) -> Response:
    """A top-level page that reports how a flow ended (install, QuickBooks connect); never
    cached, since it answers a one-time step."""
    response = render(
        request, template, PageOutcomeContext(outcome, dict(details)), status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response
