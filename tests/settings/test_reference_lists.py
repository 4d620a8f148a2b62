"""Refreshing the lists: Pipedrive custom fields by name become mapping choices."""

from __future__ import annotations

import httpx
from bs4 import BeautifulSoup

from extension.invoicing.reference_lists import load_pipedrive_fields
from extension.sandbox.pipedrive.data import VAT_NUMBER_KEY
from extension.services import Services
from extension.store.settings_models import CompanySettings
from tests.support import ADMIN_ID, COMPANY_ID, ConsentFlow, record, session_headers


def _headers(services: Services, user_id: int = ADMIN_ID) -> dict[str, str]:
    return session_headers(services, company_id=COMPANY_ID, user_id=user_id)


async def test_custom_field_fetched_by_name_can_be_mapped(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    recorder = record(services)
    typed = {
        "due_days": "9",
        "default_taxable_present": "1",
        "update_customer_default_present": "1",
    }
    response = await client.post("/settings/refresh-lists", data=typed, headers=_headers(services))
    assert response.status_code == 200
    # Asked as the admin, for each entity's field definitions.
    asked = {r.url.path.rsplit("/", 1)[-1] for r in recorder.requests}
    assert {"organizationFields", "personFields", "dealFields"} <= asked
    soup = BeautifulSoup(response.text, "html.parser")
    vat = soup.select_one(f'#map_tax_id option[value="organization:{VAT_NUMBER_KEY}"]')
    assert vat is not None and vat.get_text() == "Organization – VAT number"
    assert soup.select_one("#due_days")["value"] == "9"  # what was typed survives the refresh
    async with db() as session:
        cached = await load_pipedrive_fields(session, COMPANY_ID)
    assert f"organization:{VAT_NUMBER_KEY}" in cached.values

    saved = await client.post(
        "/settings/save",
        data={
            **typed,
            "map_recipient": "organization:name",
            "map_address": "organization:address",
            "map_email": "person:email",
            "map_tax_id": f"organization:{VAT_NUMBER_KEY}",
            "default_role": "creator",
        },
        headers=_headers(services),
    )
    assert saved.status_code == 200
    async with db() as session:
        row = await session.get(CompanySettings, COMPANY_ID)
    assert row is not None and row.map_tax_id == f"organization:{VAT_NUMBER_KEY}"
