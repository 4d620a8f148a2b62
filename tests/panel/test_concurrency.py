"""Two people (or two panels) at once, with real concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import DealInvoiceLink
from tests.panel.conftest import AMY, Sandbox, status_of
from tests.support import COMPANY_ID


async def test_concurrent_refreshes_of_one_deal_agree(sandbox: Sandbox) -> None:
    invoices = [await sandbox.invoice(f"{n}0.00") for n in range(1, 4)]
    for invoice in invoices:
        await sandbox.link(invoice.id)
    sandbox.pay(invoices[0].id, "5.00")

    answers = await asyncio.gather(*(sandbox.refresh() for _ in range(4)))

    assert [a.status_code for a in answers] == [200] * 4
    for answer in answers:
        assert status_of(answer, invoices[0].id) == "partially_paid"
    async with sandbox.db() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(MirroredInvoice)
            .where(MirroredInvoice.company_id == COMPANY_ID)
        )
    assert rows == 3


async def test_one_invoice_linked_from_two_deals_at_once_goes_to_one(sandbox: Sandbox) -> None:
    # Deals 101 and 103 share their organization, linked to Amy's Bird Sanctuary.
    await sandbox.link_contact(AMY)
    invoice = await sandbox.invoice("10.00")
    await sandbox.client.get(
        "/modals/all-invoices/101/content",
        headers=sandbox.headers(**{"HX-Target": "modal-content"}),
    )

    answers = await asyncio.gather(
        sandbox.act("link", invoice.id, deal_id=101, view="modal"),
        sandbox.act("link", invoice.id, deal_id=103, view="modal"),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    async with sandbox.db() as session:
        deals = list(
            await session.scalars(
                select(DealInvoiceLink.deal_id).where(DealInvoiceLink.invoice_id == invoice.id)
            )
        )
    winner = 101 if answers[0].status_code == 200 else 103
    assert deals == [winner]
