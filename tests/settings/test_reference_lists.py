"""Refreshing the lists: Pipedrive custom fields by name become mapping choices."""

from __future__ import annotations

import asyncio

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select

from extension.invoicing.reference_lists import load_pipedrive_fields
from extension.sandbox.pipedrive.data import VAT_NUMBER_KEY
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.reference_cache import get_reference_list, save_reference_list
from extension.store.settings_models import CompanySettings, ReferenceListCache
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    ConsentFlow,
    connect_through_consent,
    install_user,
    record,
    session_headers,
)


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


async def test_six_concurrent_refreshes_all_land(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    """Six admins' "Refresh lists" at once: each answers 200 and one cache row per list
    remains (the cache is an upsert, not read-then-insert)."""
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    await connect_through_consent(
        client, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
    )
    # Both lists are fetched first, so all six requests reach the cache write together.
    responses = await asyncio.gather(
        *(
            client.post("/settings/refresh-lists", data={}, headers=_headers(services))
            for _ in range(6)
        )
    )
    assert [r.status_code for r in responses] == [200] * 6
    assert all("Lists refreshed." in r.text for r in responses)
    async with db() as session:
        rows = (
            await session.execute(
                select(ReferenceListCache.source).where(ReferenceListCache.company_id == COMPANY_ID)
            )
        ).all()
    assert sorted(r[0] for r in rows) == ["pipedrive_fields", "quickbooks_lists"]


async def test_concurrent_cache_writes_on_the_database_itself(services: Services, db) -> None:
    """The same race without HTTP in between: six sessions insert the same row at once."""
    await install_user(db, company_id=COMPANY_ID, user_id=ADMIN_ID, is_admin=True)
    start = asyncio.Event()

    async def write(n: int) -> None:
        async with db() as session, session.begin():
            await start.wait()
            await save_reference_list(session, COMPANY_ID, "quickbooks_lists", {"n": n})

    tasks = [asyncio.create_task(write(n)) for n in range(6)]
    await asyncio.sleep(0.05)
    start.set()
    await asyncio.gather(*tasks)
    async with db() as session:
        row = await get_reference_list(session, COMPANY_ID, "quickbooks_lists")
    assert row is not None and row.payload["n"] in range(6)
