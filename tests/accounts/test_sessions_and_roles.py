"""One permission path: the admin flag follows Pipedrive, and a session ends with its install."""

from __future__ import annotations

from datetime import timedelta

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from extension.services import Services
from extension.store.models import Installation, utcnow
from tests.support import (
    ADMIN_ID,
    BASIC,
    CLIENT_ID,
    COMPANY_ID,
    REP_ID,
    ConsentFlow,
    PipedriveFrames,
    pipedrive,
    record,
    session_headers,
)


async def _age_details(db, minutes: int) -> None:  # type: ignore[no-untyped-def]
    """As if the admin flag was last read from Pipedrive ``minutes`` ago."""
    async with db() as session, session.begin():
        await session.execute(
            update(Installation).values(details_refreshed_at=utcnow() - timedelta(minutes=minutes))
        )


async def test_a_user_demoted_in_pipedrive_loses_admin_rights_without_reinstalling(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    headers = session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID)
    assert (await client.post("/settings/save", headers=headers, data={})).status_code == 200

    pipedrive(services).admin_changes[ADMIN_ID] = False  # demoted in Pipedrive
    sent = record(services)
    # Within the few minutes the flag is cached, Pipedrive is not asked again …
    assert (await client.post("/settings/save", headers=headers, data={})).status_code == 200
    assert sent.to("/users/me") == []
    # … after them, the next state-changing call re-reads it and refuses.
    await _age_details(db, 6)
    refused = await client.post("/settings/save", headers=headers, data={})
    assert refused.status_code == 403
    fragment = BeautifulSoup(refused.text, "html.parser")
    assert fragment.select_one("[data-error=forbidden]") is not None
    assert refused.headers["HX-Retarget"] == "#app-error"
    assert len(sent.to("/users/me")) == 1
    async with db() as session:
        row = await session.scalar(select(Installation).where(Installation.user_id == ADMIN_ID))
    assert row is not None and row.is_admin is False


async def test_issuing_a_session_refreshes_a_stale_admin_flag(
    client: httpx.AsyncClient, services: Services, db, frames: PipedriveFrames
) -> None:
    await ConsentFlow(client).install(user_id=REP_ID)
    pipedrive(services).admin_changes[REP_ID] = True  # promoted in Pipedrive
    await _age_details(db, 6)
    shell = await client.get(frames.url("/settings/", company_id=COMPANY_ID, user_id=REP_ID))
    assert shell.status_code == 200
    headers = session_headers(services, company_id=COMPANY_ID, user_id=REP_ID)
    content = await client.get("/settings/connection", headers=headers)
    assert BeautifulSoup(content.text, "html.parser").select_one("#qbo-connect-link")


async def test_a_session_stops_working_when_its_user_uninstalls(
    client: httpx.AsyncClient, services: Services
) -> None:
    flow = ConsentFlow(client)
    await flow.install(user_id=ADMIN_ID)
    await flow.install(user_id=REP_ID)
    headers = session_headers(services, company_id=COMPANY_ID, user_id=REP_ID)
    assert (await client.get("/settings/audit", headers=headers)).status_code == 200
    notice = {"client_id": CLIENT_ID, "company_id": COMPANY_ID, "user_id": REP_ID}
    uninstall = await client.request(
        "DELETE", "/pipedrive/callback", json=notice, headers={"Authorization": BASIC}
    )
    assert uninstall.status_code == 200
    # The signed token would live 20 minutes more; the installation behind it is gone.
    after = await client.get("/settings/audit", headers=headers)
    assert after.status_code == 401 and "X-Session-Expired" not in after.headers


async def test_a_session_stops_working_when_its_user_must_authorize_again(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    headers = session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID)
    async with db() as session, session.begin():
        await session.execute(update(Installation).values(needs_reauth=True))
    assert (await client.get("/settings/audit", headers=headers)).status_code == 401
