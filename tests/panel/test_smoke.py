from __future__ import annotations

from tests.panel.conftest import Sandbox, status_of


async def test_panel_shows_a_linked_invoice(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("250.00")
    await sandbox.link(invoice.id)
    response = await sandbox.content()
    assert response.status_code == 200, response.text
    print(response.text)
    refreshed = await sandbox.refresh()
    assert refreshed.status_code == 200, refreshed.text
    print(refreshed.text)
    assert status_of(refreshed, invoice.id) == "open"
