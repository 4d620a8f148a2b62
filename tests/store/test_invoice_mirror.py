"""The invoice mirror: LastUpdatedTime wins, in any order and under concurrency; deletion;
the deal's listing; exact money."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.deal_links import link_invoice
from extension.store.invoice_mirror import (
    InvoiceVersion,
    deal_invoices,
    deal_last_read,
    mark_deleted,
    mirrored_invoices,
    upsert_invoices,
)
from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import LinkOrigin
from tests.store.conftest import (
    COMPANY,
    NOW,
    OTHER_REALM,
    REALM,
    USER,
    Sessions,
    concurrently,
    count_rows,
)


def version(invoice_id: str = "130", minutes: int = 0, **changes: object) -> InvoiceVersion:
    base = InvoiceVersion(
        invoice_id=invoice_id,
        customer_id="58",
        customer_name="Acme Oy",
        txn_date=date(2026, 2, 20),
        due_date=date(2026, 3, 22),
        currency="EUR",
        total=Decimal("1250.00"),
        balance=Decimal("1250.00"),
        updated_at=NOW + timedelta(minutes=minutes),
        doc_number="1037",
        sync_token=str(minutes),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def _upsert(db: Sessions, *versions: InvoiceVersion, read_minutes: int = 0) -> set[str]:
    async with db() as session, session.begin():
        return await upsert_invoices(
            session, COMPANY, REALM, versions, read_at=NOW + timedelta(minutes=read_minutes)
        )


async def _stored(db: Sessions, invoice_id: str = "130") -> MirroredInvoice:
    async with db() as session:
        rows = await mirrored_invoices(session, COMPANY, REALM, [invoice_id])
    return rows[invoice_id]


async def test_a_new_invoice_is_stored_with_every_field(db: Sessions) -> None:
    delivered = NOW - timedelta(days=1)
    stored = await _upsert(
        db,
        version(
            email_status="EmailSent",
            delivered_at=delivered,
            bill_email="ap@acme.example",
            online_payment_allowed=True,
        ),
    )
    assert stored == {"130"}
    row = await _stored(db)
    assert (row.realm_id, row.customer_id, row.customer_name, row.doc_number) == (
        REALM,
        "58",
        "Acme Oy",
        "1037",
    )
    assert (row.txn_date, row.due_date, row.currency) == (
        date(2026, 2, 20),
        date(2026, 3, 22),
        "EUR",
    )
    assert (row.total, row.balance, str(row.total)) == (Decimal("1250"), Decimal("1250"), "1250.00")
    assert (row.email_status, row.delivered_at, row.bill_email) == (
        "EmailSent",
        delivered,
        "ap@acme.example",
    )
    assert row.online_payment_allowed and not row.voided and not row.deleted
    assert (row.qbo_updated_at, row.read_at, row.sync_token) == (NOW, NOW, "0")


async def test_a_newer_version_replaces_an_equal_one_is_read_again_an_older_one_changes_nothing(
    db: Sessions,
) -> None:
    await _upsert(db, version(minutes=10, balance=Decimal("1000")))
    assert await _upsert(db, version(minutes=10, balance=Decimal("1000")), read_minutes=5) == {
        "130"
    }
    assert (await _stored(db)).read_at == NOW + timedelta(minutes=5)
    assert await _upsert(db, version(minutes=3, balance=Decimal("1250")), read_minutes=9) == set()
    row = await _stored(db)
    assert (row.balance, row.sync_token, row.read_at) == (
        Decimal("1000"),
        "10",
        NOW + timedelta(minutes=5),
    )
    assert await _upsert(db, version(minutes=20, balance=Decimal("0"))) == {"130"}
    assert (await _stored(db)).balance == Decimal("0")


async def test_one_batch_with_two_versions_of_an_invoice_keeps_the_newer(db: Sessions) -> None:
    stored = await _upsert(
        db,
        version(minutes=5, balance=Decimal("5")),
        version("131"),
        version(minutes=2, balance=Decimal("2")),
    )
    assert stored == {"130", "131"}
    assert (await _stored(db)).balance == Decimal("5")


async def test_amounts_are_exact_and_more_than_five_decimals_are_refused(db: Sessions) -> None:
    await _upsert(db, version(total=Decimal("0.1"), balance=Decimal("12345678.12345")))
    row = await _stored(db)
    assert (str(row.total), str(row.balance)) == ("0.10", "12345678.12345")
    with pytest.raises(StatementError, match="more than 5 decimals"):
        await _upsert(db, version("131", total=Decimal("0.000001")))


async def test_deletion_is_kept_against_older_versions_and_lifted_by_newer(db: Sessions) -> None:
    await _upsert(db, version(minutes=10))
    async with db() as session, session.begin():
        assert await mark_deleted(
            session, COMPANY, REALM, "130", deleted_at=NOW + timedelta(minutes=15)
        )
        assert not await mark_deleted(session, COMPANY, REALM, "999", deleted_at=NOW)
    row = await _stored(db)
    assert row.deleted and row.qbo_updated_at == NOW + timedelta(minutes=15)
    assert row.total == Decimal("1250")  # the panel still shows what it was
    assert await _upsert(db, version(minutes=12)) == set()  # a late webhook re-read
    assert (await _stored(db)).deleted
    assert await _upsert(db, version(minutes=16)) == {"130"}
    assert not (await _stored(db)).deleted


async def test_a_deletion_dated_before_the_stored_version_keeps_the_newer_time(
    db: Sessions,
) -> None:
    await _upsert(db, version(minutes=10))
    async with db() as session, session.begin():
        await mark_deleted(session, COMPANY, REALM, "130", deleted_at=NOW)
    row = await _stored(db)
    assert row.deleted and row.qbo_updated_at == NOW + timedelta(minutes=10)


async def test_the_deals_invoices_newest_first_and_its_last_read(db: Sessions) -> None:
    await _upsert(db, version("130", txn_date=date(2026, 1, 5)), read_minutes=7)
    await _upsert(db, version("131", txn_date=date(2026, 2, 5)), read_minutes=3)
    await _upsert(db, version("132", txn_date=date(2026, 2, 9)), read_minutes=1)
    async with db() as session, session.begin():
        for invoice_id, deal in (("130", 1), ("131", 1), ("140", 1), ("132", 2)):
            await link_invoice(
                session,
                COMPANY,
                realm_id=REALM,
                invoice_id=invoice_id,
                deal_id=deal,
                deal_title="",
                origin=LinkOrigin.CREATED,
                user_id=USER,
            )
    async with db() as session:
        listed = await deal_invoices(session, COMPANY, REALM, 1)
        last_read = await deal_last_read(session, COMPANY, REALM, 1)
        assert await deal_last_read(session, COMPANY, REALM, 3) is None
        assert await deal_invoices(session, COMPANY, OTHER_REALM, 1) == []
    assert [(link.invoice_id, m.invoice_id if m else None) for link, m in listed] == [
        ("131", "131"),
        ("130", "130"),
        ("140", None),  # linked, not read from QuickBooks yet
    ]
    assert last_read == NOW + timedelta(minutes=3)


async def test_concurrent_versions_in_any_order_leave_the_newest(
    db: Sessions, other_db: Sessions
) -> None:
    """Ten versions of one new invoice arrive at once, shuffled, through two engines: no
    duplicate-key error, one row, and it is the newest version."""
    versions = [version(minutes=m, balance=Decimal(m)) for m in range(10)]
    random.Random(7).shuffle(versions)

    async def upsert(session: AsyncSession, index: int) -> set[str]:
        return await upsert_invoices(session, COMPANY, REALM, [versions[index]])

    results = await concurrently([db, other_db], 10, upsert)
    assert [r for r in results if isinstance(r, BaseException)] == []
    row = await _stored(db)
    assert (row.balance, row.qbo_updated_at) == (Decimal(9), NOW + timedelta(minutes=9))
    assert await count_rows(db, MirroredInvoice) == 1


async def test_concurrent_out_of_order_versions_of_an_existing_invoice(
    db: Sessions, other_db: Sessions
) -> None:
    """The stored version is newer than all but one of ten concurrent arrivals."""
    await _upsert(db, version(minutes=50, balance=Decimal(50)))
    minutes = [*range(40, 49), 60]
    random.Random(3).shuffle(minutes)

    async def upsert(session: AsyncSession, index: int) -> set[str]:
        m = minutes[index]
        return await upsert_invoices(
            session, COMPANY, REALM, [version(minutes=m, balance=Decimal(m))]
        )

    results = await concurrently([db, other_db], 10, upsert)
    assert sorted(len(r) for r in results if isinstance(r, set)) == [0] * 9 + [1]
    assert (await _stored(db)).balance == Decimal(60)
    async with db() as session:
        assert [r.balance for r in await session.scalars(select(MirroredInvoice))] == [Decimal(60)]
