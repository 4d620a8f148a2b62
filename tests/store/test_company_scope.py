"""Every invoice table is scoped by company: another company's ids find nothing and change
nothing through any repository function, and a company teardown removes every row it owns."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect, select

from extension.store.create_attempts import (
    ClaimOutcome,
    claim_attempt,
    create_draft,
    get_attempt,
    record_failure,
    record_success,
)
from extension.store.deal_links import (
    deal_links,
    link_invoice,
    linked_invoice_ids,
    links_for_invoices,
    unlink_invoice,
)
from extension.store.installations import delete_company
from extension.store.invoice_mirror import (
    InvoiceVersion,
    deal_invoices,
    deal_last_read,
    mark_deleted,
    mirrored_invoices,
    upsert_invoices,
)
from extension.store.invoice_models import CreateAttempt, InvoiceSyncState, MirroredInvoice
from extension.store.invoice_pages import customer_invoice_page, customer_range_totals
from extension.store.link_models import (
    ContactKind,
    ContactLink,
    DealInvoiceLink,
    LinkOrigin,
    ProductLink,
)
from extension.store.links import (
    contact_links,
    forget_contact_link,
    forget_product_link,
    link_contact,
    link_product,
    note_customer_seen,
    note_item_seen,
    product_links,
)
from extension.store.sync_state import (
    acquire_reconciler_lease,
    advance_cdc_checkpoint,
    cdc_checkpoint,
    release_reconciler_lease,
    renew_reconciler_lease,
)
from tests.store.conftest import COMPANY, NOW, OTHER_COMPANY, REALM, USER, Sessions, count_rows

TABLES: list[Any] = [
    ContactLink,
    ProductLink,
    DealInvoiceLink,
    MirroredInvoice,
    CreateAttempt,
    InvoiceSyncState,
]
ORG = ContactKind.ORGANIZATION
VERSION = InvoiceVersion(
    invoice_id="130",
    customer_id="58",
    txn_date=date(2026, 2, 20),
    currency="EUR",
    total=Decimal("10.00"),
    balance=Decimal("10.00"),
    updated_at=NOW,
)


async def _fill(db: Sessions, company_id: int) -> str:
    """One row in every invoice table for the company; returns the draft's lease token."""
    async with db() as session, session.begin():
        await link_contact(
            session,
            company_id,
            kind=ORG,
            contact_id=7,
            realm_id=REALM,
            customer_id="58",
            customer_name="Acme",
            customer_currency="EUR",
            user_id=USER,
        )
        await link_product(
            session,
            company_id,
            product_id=3,
            realm_id=REALM,
            item_id="19",
            item_name="Hours",
            user_id=USER,
        )
        await link_invoice(
            session,
            company_id,
            realm_id=REALM,
            invoice_id="130",
            deal_id=1,
            deal_title="Deal",
            origin=LinkOrigin.CREATED,
            user_id=USER,
        )
        await upsert_invoices(session, company_id, REALM, [VERSION], read_at=NOW)
        await create_draft(
            session, company_id, draft_key="draft-1", realm_id=REALM, deal_id=1, user_id=USER
        )
        claim = await claim_attempt(
            session, company_id, "draft-1", body="{}", lease=timedelta(minutes=2)
        )
        await acquire_reconciler_lease(
            session, company_id, REALM, holder="process-a", ttl=timedelta(minutes=5), now=NOW
        )
        await advance_cdc_checkpoint(
            session, company_id, REALM, holder="process-a", to=NOW, now=NOW
        )
    assert claim.attempt is not None and claim.attempt.lease_token is not None
    return claim.attempt.lease_token


async def _snapshot(db: Sessions, company_id: int) -> dict[str, list[dict[str, Any]]]:
    async with db() as session:
        snapshot = {}
        for model in TABLES:
            rows = await session.scalars(select(model).where(model.company_id == company_id))
            columns = [c.key for c in inspect(model).column_attrs]
            snapshot[model.__tablename__] = sorted(
                ({key: getattr(row, key) for key in columns} for row in rows), key=repr
            )
        return snapshot


async def test_another_companys_ids_find_nothing_and_change_nothing(db: Sessions) -> None:
    token = await _fill(db, COMPANY)
    before = await _snapshot(db, COMPANY)
    them = OTHER_COMPANY
    async with db() as session, session.begin():
        # Reads find nothing.
        assert await contact_links(session, them, REALM, [(ORG, 7)]) == {}
        assert await product_links(session, them, REALM, [3]) == {}
        assert await deal_links(session, them, REALM, 1) == []
        assert await links_for_invoices(session, them, REALM, ["130"]) == {}
        assert await linked_invoice_ids(session, them, REALM) == []
        assert await mirrored_invoices(session, them, REALM, ["130"]) == {}
        assert await deal_invoices(session, them, REALM, 1) == []
        assert await deal_last_read(session, them, REALM, 1) is None
        page = await customer_invoice_page(
            session, them, REALM, ["58"], date(2026, 1, 1), date(2027, 1, 1)
        )
        assert page.rows == [] and page.next_cursor is None
        assert (
            await customer_range_totals(
                session,
                them,
                REALM,
                ["58"],
                date(2026, 1, 1),
                date(2027, 1, 1),
                today=date(2026, 3, 1),
            )
            == []
        )
        assert await get_attempt(session, them, "draft-1") is None
        assert await cdc_checkpoint(session, them, REALM) is None
        # Writes by id find nothing to change.
        assert not await forget_contact_link(session, them, kind=ORG, contact_id=7, user_id=USER)
        assert not await forget_product_link(session, them, product_id=3, user_id=USER)
        assert await note_customer_seen(session, them, REALM, "58", name="X", currency="USD") == 0
        assert await note_item_seen(session, them, REALM, "19", name="X") == 0
        assert not await unlink_invoice(
            session, them, realm_id=REALM, invoice_id="130", deal_id=1, user_id=USER
        )
        assert not await mark_deleted(
            session, them, REALM, "130", deleted_at=NOW + timedelta(days=1)
        )
        claim = await claim_attempt(session, them, "draft-1", body="{}", lease=timedelta(minutes=2))
        assert claim.outcome is ClaimOutcome.NOT_FOUND
        assert (
            await record_failure(
                session,
                them,
                "draft-1",
                lease_token=token,
                error_code="x",
                rejected_by_quickbooks=True,
            )
            is None
        )
        assert not await renew_reconciler_lease(
            session, them, REALM, holder="process-a", ttl=timedelta(hours=1)
        )
        assert not await release_reconciler_lease(session, them, REALM, holder="process-a")
        assert not await advance_cdc_checkpoint(
            session, them, REALM, holder="process-a", to=NOW + timedelta(days=1)
        )
    async with db() as session, session.begin():
        with pytest.raises(LookupError):
            await record_success(session, them, "draft-1", invoice_id="999")
    # Writes that create rows create the other company's own, independent ones.
    await _fill(db, them)
    assert await _snapshot(db, COMPANY) == before


async def test_deleting_a_company_removes_every_invoice_row_it_owns(db: Sessions) -> None:
    await _fill(db, COMPANY)
    await _fill(db, OTHER_COMPANY)
    async with db() as session, session.begin():
        await delete_company(session, COMPANY)
    for model in TABLES:
        assert await count_rows(db, model, COMPANY) == 0, model.__tablename__
        assert await count_rows(db, model, OTHER_COMPANY) == 1, model.__tablename__
