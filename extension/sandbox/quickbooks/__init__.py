"""The local QuickBooks Online stand-in; filled in by the QuickBooks issue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["routes", "discovery"]


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    return []


def discovery(sandbox: Sandbox) -> dict[str, Any]:
    return {}
