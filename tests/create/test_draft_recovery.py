"""A post whose process died (the draft left "posting" with its claim run out) is finished by
the reconciler's lease holder, without its person: the stored body goes out again under the
stored requestid, so QuickBooks makes the invoice once whether or not it had it, and the
invoice is linked to the deal, mirrored and audited once. Drafts that are not abandoned (a
claim still running, a failure its person has seen) are left alone. On SQLite and PostgreSQL,
with real concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from extension.invoicing.draft_recovery import settle_abandoned_posts
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.services import Services
from extension.store.invoice_models import CreateAttempt
from extension.store.models import utcnow
from tests.create.conftest import Modal
from tests.create.test_exactly_once import _invoice_posts, _one_invoice_everywhere, _ready
from tests.live.conftest import reconciler_for
from tests.support import COMPANY_ID


async def _post_without_answer(modal: Modal, *, quickbooks_has_it: bool) -> CreateAttempt:
    """Submit while QuickBooks never answers (having made the invoice or not), then leave the
    draft as a process killed mid-post leaves it: posting, its claim run out."""
    form = await _ready(modal)
    faults = modal.qbo.config.faults
    if quickbooks_has_it:
        faults.append(InjectedFault("timeout_after_commit", method="POST", path_contains="invoice"))
    faults.append(InjectedFault("timeout", method="POST", path_contains="invoice", times=3))
    assert (await form.submit()).status_code == 200
    faults.clear()
    async with modal.services.sessionmaker() as session, session.begin():
        await session.execute(
            update(CreateAttempt).values(
                state="posting",
                lease_token="dead-process",
                lease_expires_at=utcnow() - timedelta(seconds=1),
            )
        )
        attempt = await session.scalar(select(CreateAttempt))
    assert attempt is not None and attempt.request_body is not None
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    assert len(company.table("Invoice")) == (1 if quickbooks_has_it else 0)
    return attempt


@pytest.mark.parametrize("quickbooks_has_it", [True, False], ids=["made", "never-reached"])
async def test_the_reconciler_finishes_a_post_whose_process_died(
    modal: Modal, services: Services, quickbooks_has_it: bool
) -> None:
    attempt = await _post_without_answer(modal, quickbooks_has_it=quickbooks_has_it)
    before = len(_invoice_posts(modal))

    await reconciler_for(services).round()

    replay = _invoice_posts(modal)[before:]
    assert len(replay) == 1
    assert replay[0].query["requestid"] == attempt.request_id
    assert replay[0].body == attempt.request_body.encode()  # type: ignore[union-attr]
    await _one_invoice_everywhere(modal, services)


async def test_two_settlers_at_once_finish_it_once(modal: Modal, services: Services) -> None:
    await _post_without_answer(modal, quickbooks_has_it=False)
    before = len(_invoice_posts(modal))
    first, second = await asyncio.gather(
        settle_abandoned_posts(services, COMPANY_ID, US_REALM_ID),
        settle_abandoned_posts(services, COMPANY_ID, US_REALM_ID),
    )
    assert len(first + second) == 1
    assert len(_invoice_posts(modal)) == before + 1
    await _one_invoice_everywhere(modal, services)


async def test_drafts_that_are_not_abandoned_are_left_to_their_person(
    modal: Modal, services: Services
) -> None:
    await _post_without_answer(modal, quickbooks_has_it=True)
    for state, expires in (("failed", None), ("posting", utcnow() + timedelta(minutes=2))):
        async with services.sessionmaker() as session, session.begin():
            await session.execute(
                update(CreateAttempt).values(state=state, lease_expires_at=expires)
            )
        before = len(_invoice_posts(modal))
        assert await settle_abandoned_posts(services, COMPANY_ID, US_REALM_ID) == []
        assert len(_invoice_posts(modal)) == before
        async with services.sessionmaker() as session:
            attempt = await session.scalar(select(CreateAttempt))
        assert attempt is not None and attempt.state == state


async def test_a_refusal_is_kept_on_the_draft_for_its_person(
    modal: Modal, services: Services
) -> None:
    await _post_without_answer(modal, quickbooks_has_it=False)
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    # QuickBooks refuses the stored body now (its customer was made inactive meanwhile).
    customer = company.table("Customer")["2"]
    customer["Active"] = False
    assert await settle_abandoned_posts(services, COMPANY_ID, US_REALM_ID) == []
    async with services.sessionmaker() as session:
        attempt = await session.scalar(select(CreateAttempt))
    assert attempt is not None and attempt.state == "failed"
    assert attempt.request_body is None  # refused: the next try is a new request
    assert company.table("Invoice") == {}
