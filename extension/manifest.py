"""``manifest/app.json``: every URL Pipedrive and QuickBooks are configured with (design.md §5).

The sandbox host reads it to know what to embed, and tests check that each URL is really served,
so the file cannot drift from the routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "Manifest",
    "ManifestPanel",
    "ManifestModal",
    "load_manifest",
    "modal_id_variable",
    "MANIFEST_PATH",
]

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "manifest" / "app.json"


@dataclass(frozen=True, slots=True)
class ManifestPanel:
    id: str
    name: str
    resource: str
    view: str
    url: str


def modal_id_variable(manifest_id: str) -> str:
    """``create-invoice`` → ``PIPEDRIVE_MODAL_CREATE_INVOICE_ID``."""
    return f"PIPEDRIVE_MODAL_{manifest_id.upper().replace('-', '_')}_ID"


@dataclass(frozen=True, slots=True)
class ManifestModal:
    id: str  # ours, for our own code; Pipedrive never sees it
    name: str
    url: str

    def action_id(self, developer_hub_ids: Mapping[str, str]) -> str:
        """What ``open_modal`` sends as ``action_id``: the ID Developer Hub gave the modal
        (``PIPEDRIVE_MODAL_<ID>_ID``) when configured, else its registered name."""
        return developer_hub_ids.get(modal_id_variable(self.id)) or self.name


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

    def modal(self, manifest_id: str) -> ManifestModal | None:
        return next((m for m in self.modals if m.id == manifest_id), None)

    def modal_for_action(
        self, action_id: str, developer_hub_ids: Mapping[str, str]
    ) -> ManifestModal | None:
        """The modal Pipedrive opens for ``action_id``: it knows a custom modal by the ID
        Developer Hub assigned or by its name, never by our manifest id."""
        for modal in self.modals:
            hub_id = developer_hub_ids.get(modal_id_variable(modal.id))
            if action_id == modal.name or (hub_id and action_id == hub_id):
                return modal
        return None

    def modal_action_ids(self, developer_hub_ids: Mapping[str, str]) -> dict[str, str]:
        """Manifest id → the ``action_id`` to send for it."""
        return {m.id: m.action_id(developer_hub_ids) for m in self.modals}

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
