"""Deal ↔ invoice links: one deal per invoice, loud refusals, explicit moves, unlinking."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.deal_links import (
    InvoiceLinkedElsewhere,
    deal_links,
    link_invoice,
    linked_invoice_ids,
    links_for_invoices,
    unlink_invoice,
)
from extension.store.link_models import DealInvoiceLink, LinkOrigin
from tests.store.conftest import (
    COMPANY,
    NOW,
    OTHER_REALM,
    REALM,
    USER,
    Sessions,
    audit_actions,
    concurrently,
    count_rows,
)


async def _link(
    session: AsyncSession,
    invoice_id: str,
    deal_id: int,
    *,
    move: bool = False,
    origin: LinkOrigin = LinkOrigin.LINKED,
    title: str = "",
    user_id: int = USER,
    realm_id: str = REALM,
    minutes: int = 0,
) -> DealInvoiceLink:
    return await link_invoice(
        session,
        COMPANY,
        realm_id=realm_id,
        invoice_id=invoice_id,
        deal_id=deal_id,
        deal_title=title or f"Deal {deal_id}",
        origin=origin,
        user_id=user_id,
        move=move,
        now=NOW + timedelta(minutes=minutes),
    )


async def test_linking_an_invoice_records_origin_who_and_when(db: Sessions) -> None:
    async with db() as session, session.begin():
        link = await _link(session, "130", 1, origin=LinkOrigin.CREATED)
    assert (link.invoice_id, link.deal_id, link.deal_title) == ("130", 1, "Deal 1")
    assert (link.origin, link.linked_by_user_id, link.linked_at) == ("created", USER, NOW)
    assert await audit_actions(db) == [
        ("invoice.linked", {"invoice_id": "130", "deal_id": 1, "origin": "created"})
    ]


async def test_linking_to_the_same_deal_again_keeps_the_link_and_refreshes_the_title(
    db: Sessions,
) -> None:
    async with db() as session, session.begin():
        first = await _link(session, "130", 1, origin=LinkOrigin.CREATED)
        again = await _link(session, "130", 1, title="Renamed deal", user_id=12, minutes=5)
    assert again.id == first.id
    assert (again.origin, again.linked_by_user_id, again.linked_at) == ("created", USER, NOW)
    assert again.deal_title == "Renamed deal"
    assert len(await audit_actions(db)) == 1


async def test_linking_to_another_deal_fails_naming_the_deal_and_changes_nothing(
    db: Sessions,
) -> None:
    async with db() as session, session.begin():
        await _link(session, "130", 1, title="Big deal")
    async with db() as session, session.begin():
        with pytest.raises(InvoiceLinkedElsewhere) as refused:
            await _link(session, "130", 2)
    assert (refused.value.deal_id, refused.value.deal_title) == (1, "Big deal")
    async with db() as session:
        assert (await links_for_invoices(session, COMPANY, REALM, ["130"]))["130"].deal_id == 1
    assert len(await audit_actions(db)) == 1


async def test_moving_an_invoice_to_another_deal_when_asked(db: Sessions) -> None:
    async with db() as session, session.begin():
        await _link(session, "130", 1, origin=LinkOrigin.CREATED)
        moved = await _link(session, "130", 2, move=True, user_id=12, minutes=3)
    assert (moved.deal_id, moved.origin, moved.linked_by_user_id) == (2, "linked", 12)
    assert await count_rows(db, DealInvoiceLink) == 1
    assert (await audit_actions(db))[-1] == (
        "invoice.moved",
        {"invoice_id": "130", "deal_id": 2, "origin": "linked", "from_deal_id": 1},
    )


async def test_unlinking_only_from_the_deal_that_has_it(db: Sessions) -> None:
    async with db() as session, session.begin():
        await _link(session, "130", 1)
        assert not await unlink_invoice(
            session, COMPANY, realm_id=REALM, invoice_id="130", deal_id=2, user_id=USER
        )
        assert await unlink_invoice(
            session, COMPANY, realm_id=REALM, invoice_id="130", deal_id=1, user_id=USER
        )
    assert await count_rows(db, DealInvoiceLink) == 0
    assert (await audit_actions(db))[-1] == (
        "invoice.unlinked",
        {"invoice_id": "130", "deal_id": 1},
    )


async def test_listing_and_looking_up_links(db: Sessions) -> None:
    async with db() as session, session.begin():
        await _link(session, "130", 1, minutes=0)
        await _link(session, "131", 1, minutes=2)
        await _link(session, "132", 2, minutes=1)
        await _link(session, "130", 1, realm_id=OTHER_REALM)  # the same id in other books
    async with db() as session:
        assert [link.invoice_id for link in await deal_links(session, COMPANY, REALM, 1)] == [
            "131",
            "130",
        ]
        found = await links_for_invoices(session, COMPANY, REALM, ["130", "132", "999"])
        assert {k: v.deal_id for k, v in found.items()} == {"130": 1, "132": 2}
        assert await links_for_invoices(session, COMPANY, REALM, []) == {}
        assert await linked_invoice_ids(session, COMPANY, REALM) == ["130", "131", "132"]


@pytest.mark.parametrize("move", [False, True])
async def test_concurrent_links_of_one_invoice_to_different_deals(
    db: Sessions, other_db: Sessions, move: bool
) -> None:
    """Ten deals claim one invoice at once through two engines. Without ``move`` exactly one
    succeeds and nine are told which deal has it; with ``move`` all succeed in turn and the
    invoice ends on one deal, the last mover's."""

    async def link(session: AsyncSession, index: int) -> DealInvoiceLink:
        return await _link(session, "130", 100 + index, move=move, user_id=index)

    results = await concurrently([db, other_db], 10, link)
    winners = [r for r in results if isinstance(r, DealInvoiceLink)]
    refused = [r for r in results if isinstance(r, InvoiceLinkedElsewhere)]
    assert len(winners) + len(refused) == 10, results
    async with db() as session:
        links = await links_for_invoices(session, COMPANY, REALM, ["130"])
    assert await count_rows(db, DealInvoiceLink) == 1
    audits = await audit_actions(db)
    if move:
        assert len(winners) == 10
        assert [a for a, _ in audits] == ["invoice.linked"] + ["invoice.moved"] * 9
        # Each move names the deal the invoice was really on: the audit trail is one chain.
        for (_, before), (_, after) in pairwise(audits):
            assert after["from_deal_id"] == before["deal_id"], audits
        assert audits[-1][1]["deal_id"] == links["130"].deal_id
    else:
        assert len(winners) == 1
        assert {r.deal_id for r in refused} == {winners[0].deal_id} == {links["130"].deal_id}
        assert [a for a, _ in audits] == ["invoice.linked"]
