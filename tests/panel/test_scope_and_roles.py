"""Every endpoint of the panel and the modal: a forged request gets 403, an id of another company
(or of no invoice of this deal) gets 404, and either way nothing is read from or written to
QuickBooks and nothing changes here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from extension.security.downloads import DownloadGrant, DownloadSigner
from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import ContactLink, DealInvoiceLink
from extension.store.models import AuditEvent, Company, utcnow
from extension.store.settings_models import UserRole
from tests.panel.conftest import AMY, DEAL, Sandbox
from tests.support import ADMIN_ID, COMPANY_ID, REP_ID

OTHER_COMPANY, OTHER_REALM, OTHER_USER = 5_001, "5550001", 77


async def _other_company(sandbox: Sandbox, invoice_ids: list[str]) -> None:
    """Another Pipedrive company with its own QuickBooks: its invoices linked to a deal with
    the same id as ours, and its contact linked to its customer 77."""
    async with sandbox.db() as session, session.begin():
        session.add(Company(id=OTHER_COMPANY, name="Other", domain="other"))
        await session.flush()
        for invoice_id in invoice_ids:
            session.add(
                MirroredInvoice(
                    company_id=OTHER_COMPANY,
                    realm_id=OTHER_REALM,
                    invoice_id=invoice_id,
                    customer_id="77",
                    txn_date=date(2026, 1, 5),
                    currency="USD",
                    total=Decimal("10"),
                    balance=Decimal("10"),
                    bill_email="x@other.example",
                    online_payment_allowed=True,
                    qbo_updated_at=utcnow(),
                )  # fmt: skip
            )
            session.add(
                DealInvoiceLink(
                    company_id=OTHER_COMPANY,
                    realm_id=OTHER_REALM,
                    invoice_id=invoice_id,
                    deal_id=DEAL,
                    deal_title="Theirs",
                    origin="created",
                    linked_by_user_id=OTHER_USER,
                )  # fmt: skip
            )
        session.add(
            ContactLink(
                company_id=OTHER_COMPANY,
                contact_kind="organization",
                contact_id=201,
                realm_id=OTHER_REALM,
                customer_id="77",
                customer_name="Theirs Inc",
                linked_by_user_id=OTHER_USER,
            )  # fmt: skip
        )


async def _counts(sandbox: Sandbox) -> tuple[int, ...]:
    async with sandbox.db() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(DealInvoiceLink)) or 0),
            int(await session.scalar(select(func.count()).select_from(ContactLink)) or 0),
            int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
            int(
                await session.scalar(
                    select(func.count())
                    .select_from(MirroredInvoice)
                    .where(MirroredInvoice.deleted.is_(True) | MirroredInvoice.voided.is_(True))
                )
                or 0
            ),
        )


ACTIONS = ["send", "copy-link", "void", "delete", "unlink", "link"]


async def _post(sandbox: Sandbox, path: str, user_id: int = ADMIN_ID) -> httpx.Response:
    return await sandbox.client.post(
        path,
        data={"view": "panel", "to": "x@other.example", "move": "1"},
        headers=sandbox.headers(user_id, **{"HX-Target": "invoice-x"}),
    )


@pytest.mark.parametrize("action", ACTIONS)
async def test_an_invoice_of_another_company_is_not_found(sandbox: Sandbox, action: str) -> None:
    # "900" exists only there; "100" exists in both companies' QuickBooks, linked to a deal 101
    # over there and to nothing here.
    ours = await sandbox.invoice("10.00")
    assert ours.id == "100"
    await _other_company(sandbox, ["900", "100"])
    before = await _counts(sandbox)
    sandbox.qbo.requests.clear()
    for invoice_id in ("900", "100", "abc", "1" * 40):
        response = await _post(sandbox, f"/deals/{DEAL}/invoices/{invoice_id}/{action}")
        assert response.status_code == 404, (invoice_id, response.text)
    assert sandbox.qbo.requests == []
    assert await _counts(sandbox) == before
    async with sandbox.db() as session:
        theirs = list(
            await session.scalars(
                select(DealInvoiceLink.deal_id).where(DealInvoiceLink.company_id == OTHER_COMPANY)
            )
        )
    assert theirs == [DEAL, DEAL]


async def test_a_pdf_of_another_company_is_not_found(sandbox: Sandbox) -> None:
    await _other_company(sandbox, ["900"])
    signer = DownloadSigner(str(sandbox.services.settings.secret_key))
    token = signer.issue(DownloadGrant(COMPANY_ID, ADMIN_ID, DEAL, "900"))
    response = await sandbox.client.get(f"/deals/{DEAL}/invoices/900/pdf?t={token}")
    assert response.status_code == 404 and sandbox.qbo.requests == []
    # A link signed for the other company's user cannot be used by anyone here either.
    theirs = signer.issue(DownloadGrant(OTHER_COMPANY, OTHER_USER, DEAL, "900"))
    response = await sandbox.client.get(f"/deals/{DEAL}/invoices/900/pdf?t={theirs}")
    assert response.status_code == 401 and sandbox.qbo.requests == []


async def test_a_customer_of_another_company_is_not_found(sandbox: Sandbox) -> None:
    await _other_company(sandbox, ["900"])
    await sandbox.link_contact(AMY)
    sandbox.qbo.requests.clear()
    for path in ("content", "rows", "more"):
        response = await sandbox.client.get(
            f"/modals/all-invoices/{DEAL}/{path}",
            params={"customer": "77", "after": "2026-01-05_1"},
            headers=sandbox.headers(**{"HX-Target": "all-list"}),
        )
        assert response.status_code == 404, path
    assert sandbox.qbo.requests == []
    # Without the filter, our own customer's invoices only: theirs never show.
    response = await sandbox.client.get(
        f"/modals/all-invoices/{DEAL}/content",
        headers=sandbox.headers(**{"HX-Target": "modal-content"}),
    )
    assert response.status_code == 200 and "invoice-900" not in response.text


async def test_the_other_companys_links_never_reach_our_panel(sandbox: Sandbox) -> None:
    await _other_company(sandbox, ["900"])
    content = await sandbox.content()
    assert content.status_code == 200 and "invoice-900" not in content.text
    refreshed = await sandbox.refresh()
    assert refreshed.status_code == 200 and "invoice-900" not in refreshed.text
    assert sandbox.qbo.requests == []  # our deal has no invoice: nothing to read
    # Unlinking our contact leaves theirs alone.
    await sandbox.link_contact(AMY)
    before = await _counts(sandbox)
    unlinked = await sandbox.client.post(
        f"/panel/deal/{DEAL}/unlink-contact",
        headers=sandbox.headers(**{"HX-Target": "panel-content"}),
    )
    assert unlinked.status_code == 200
    assert (await _counts(sandbox))[1] == before[1] - 1


@pytest.mark.parametrize("path", ["content", "refresh", "unlink-contact"])
async def test_a_deal_of_another_company_is_not_found(sandbox: Sandbox, path: str) -> None:
    method = "GET" if path == "content" else "POST"
    response = await sandbox.client.request(
        method, f"/panel/deal/999/{path}", headers=sandbox.headers(**{"HX-Target": "panel-content"})
    )
    assert response.status_code == 404  # Pipedrive does not know it for this user
    assert sandbox.qbo.requests == []


async def _linked(sandbox: Sandbox) -> str:
    invoice = await sandbox.invoice("10.00")
    await sandbox.link(invoice.id)
    await sandbox.link_contact(AMY)
    await sandbox.refresh()
    sandbox.qbo.requests.clear()
    return invoice.id


@pytest.mark.parametrize("action", ["void", "delete", "unlink"])
async def test_a_creator_forging_a_managers_action_gets_403(sandbox: Sandbox, action: str) -> None:
    invoice_id = await _linked(sandbox)
    before = await _counts(sandbox)
    response = await _post(sandbox, f"/deals/{DEAL}/invoices/{invoice_id}/{action}", REP_ID)
    assert response.status_code == 403
    assert sandbox.qbo.requests == [] and await _counts(sandbox) == before


async def test_a_creator_forging_unlink_contact_gets_403(sandbox: Sandbox) -> None:
    await _linked(sandbox)
    before = await _counts(sandbox)
    response = await sandbox.client.post(
        f"/panel/deal/{DEAL}/unlink-contact",
        headers=sandbox.headers(REP_ID, **{"HX-Target": "panel-content"}),
    )
    assert response.status_code == 403 and await _counts(sandbox) == before


@pytest.mark.parametrize("action", ["send", "copy-link", "link"])
async def test_a_viewer_forging_a_creators_action_gets_403(sandbox: Sandbox, action: str) -> None:
    invoice_id = await _linked(sandbox)
    async with sandbox.db() as session, session.begin():
        session.add(UserRole(company_id=COMPANY_ID, user_id=REP_ID, role="viewer"))
    before = await _counts(sandbox)
    response = await _post(sandbox, f"/deals/{DEAL}/invoices/{invoice_id}/{action}", REP_ID)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#app-error"
    assert sandbox.qbo.requests == [] and await _counts(sandbox) == before


async def test_a_viewer_may_download_the_pdf(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox)
    async with sandbox.db() as session, session.begin():
        session.add(UserRole(company_id=COMPANY_ID, user_id=REP_ID, role="viewer"))
    signer = DownloadSigner(str(sandbox.services.settings.secret_key))
    token = signer.issue(DownloadGrant(COMPANY_ID, REP_ID, DEAL, invoice_id))
    response = await sandbox.client.get(f"/deals/{DEAL}/invoices/{invoice_id}/pdf?t={token}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


async def test_actions_need_a_session(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox)
    for action in ACTIONS:
        response = await sandbox.client.post(
            f"/deals/{DEAL}/invoices/{invoice_id}/{action}", headers={"HX-Request": "true"}
        )
        assert response.status_code == 401, action
    assert sandbox.qbo.requests == []


def test_every_endpoint_of_this_issue_is_covered() -> None:
    """A new endpoint under /deals/…/invoices/ must join the lists above."""
    from extension.web.invoice_actions import routes

    names = {route.name for mount in routes for route in mount.routes}  # type: ignore[attr-defined]
    covered: set[Any] = {a.replace("-", "_") for a in ACTIONS} | {"pdf"}
    assert names == covered
