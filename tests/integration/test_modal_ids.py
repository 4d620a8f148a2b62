"""``open_modal`` names a custom modal as Pipedrive knows it: its Developer Hub ID, or its name.

Pipedrive never learns our manifest ids (``create-invoice``), so sending one opens nothing in a
real Pipedrive. The sandbox host resolves ``action_id`` the same way Pipedrive does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from bs4 import BeautifulSoup

from extension.app import create_app
from tests.support import (
    ADMIN_ID,
    BASE_URL,
    COMPANY_ID,
    ConsentFlow,
    RunningApp,
    make_settings,
    session_headers,
)


async def _toolbar(client: httpx.AsyncClient, app: RunningApp) -> dict[str, str]:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    headers = session_headers(app.services, company_id=COMPANY_ID, user_id=ADMIN_ID)
    panel = await client.get("/panel/deal/101/content", headers=headers)
    soup = BeautifulSoup(panel.text, "html.parser")
    return {
        str(b["data-modal"]): str(b["data-sdk-open-modal"]) for b in soup.select("[data-modal]")
    }


@pytest.fixture
async def configured(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, RunningApp]]:
    settings = make_settings(
        database_url,
        PIPEDRIVE_MODAL_CREATE_INVOICE_ID="4f0c8e1a-create",
        PIPEDRIVE_MODAL_ALL_INVOICES_ID="77b2d9c3-all",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application) as state:
        app = RunningApp(application, dict(state or {}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client, app


async def test_without_developer_hub_ids_the_panel_opens_modals_by_name(
    client: httpx.AsyncClient, running_app: RunningApp
) -> None:
    toolbar = await _toolbar(client, running_app)
    assert toolbar == {"create-invoice": "Create invoice", "all-invoices": "All invoices"}


async def test_developer_hub_ids_are_what_open_modal_sends(
    configured: tuple[httpx.AsyncClient, RunningApp],
) -> None:
    client, app = configured
    toolbar = await _toolbar(client, app)
    assert toolbar == {"create-invoice": "4f0c8e1a-create", "all-invoices": "77b2d9c3-all"}
    # The sandbox host, like Pipedrive, opens the modal for its ID …
    opened = await client.get("/sandbox/host/modal-url", params={"action_id": "4f0c8e1a-create"})
    assert opened.status_code == 200
    assert opened.json()["url"].startswith(f"{BASE_URL}/modals/create-invoice?")
    by_name = await client.get("/sandbox/host/modal-url", params={"action_id": "All invoices"})
    assert by_name.json()["url"].startswith(f"{BASE_URL}/modals/all-invoices?")


async def test_the_sandbox_host_does_not_know_manifest_ids(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/sandbox/host/modal-url", params={"action_id": "create-invoice"})
    assert unknown.status_code == 404
    by_name = await client.get("/sandbox/host/modal-url", params={"action_id": "Create invoice"})
    assert by_name.status_code == 200
