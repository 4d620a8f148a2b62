"""``manifest/app.json``: every URL Pipedrive and QuickBooks are configured with (design.md §5).

The sandbox host reads it to know what to embed, and tests check that each URL is really served,
so the file cannot drift from the routes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["Manifest", "ManifestPanel", "ManifestModal", "load_manifest", "MANIFEST_PATH"]

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "manifest" / "app.json"


@dataclass(frozen=True, slots=True)
class ManifestPanel:
    id: str
    name: str
    resource: str
    view: str
    url: str


@dataclass(frozen=True, slots=True)
class ManifestModal:
    id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    callback_url: str
    installation_url: str
    pipedrive_scopes: tuple[str, ...]
    panels: tuple[ManifestPanel, ...]
    modals: tuple[ManifestModal, ...]
    settings_url: str
    quickbooks_redirect_url: str
    quickbooks_webhook_url: str
    quickbooks_scopes: tuple[str, ...]

    def modal(self, action_id: str) -> ManifestModal | None:
        """Pipedrive accepts a custom modal's id or its name as ``action_id``."""
        for modal in self.modals:
            if action_id in (modal.id, modal.name):
                return modal
        return None

    def panel(self, resource: str) -> ManifestPanel | None:
        return next((p for p in self.panels if p.resource == resource), None)


def _parse(raw: dict[str, Any]) -> Manifest:
    pd, qbo = raw["pipedrive"], raw["quickbooks"]
    return Manifest(
        name=raw["name"],
        callback_url=pd["callback_url"],
        installation_url=pd["installation_url"],
        pipedrive_scopes=tuple(pd["scopes"]),
        panels=tuple(ManifestPanel(**p) for p in pd["panels"]),
        modals=tuple(ManifestModal(**m) for m in pd["modals"]),
        settings_url=pd["settings_url"],
        quickbooks_redirect_url=qbo["redirect_url"],
        quickbooks_webhook_url=qbo["webhook_url"],
        quickbooks_scopes=tuple(qbo["scopes"]),
    )


@cache
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    return _parse(json.loads(path.read_text()))
