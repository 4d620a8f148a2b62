"""Exactly-once posting: drafts, claims, leases, the requestid rule, recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.create_attempts import (
    Claim,
    ClaimOutcome,
    DraftKeyConflict,
    PostedAsAnotherInvoice,
    claim_attempt,
    create_draft,
    get_attempt,
    new_draft_key,
    purge_abandoned_drafts,
    record_failure,
    record_success,
    unresolved_attempts,
    unresolved_for_deal,
)
from extension.store.invoice_models import CreateAttempt
from tests.store.conftest import (
    COMPANY,
    NOW,
    OTHER_COMPANY,
    REALM,
    USER,
    Sessions,
    audit_actions,
    concurrently,
)

LEASE = timedelta(minutes=2)
BODY = '{"CustomerRef":{"value":"58"},"Line":[]}'
DEAL = 77


async def _draft(db: Sessions, key: str = "draft-1", company_id: int = COMPANY) -> CreateAttempt:
    async with db() as session, session.begin():
        return await create_draft(
            session, company_id, draft_key=key, realm_id=REALM, deal_id=DEAL, user_id=USER, now=NOW
        )


async def _claim(db: Sessions, key: str = "draft-1", body: str = BODY, minutes: float = 0) -> Claim:
    async with db() as session, session.begin():
        return await claim_attempt(
            session, COMPANY, key, body=body, lease=LEASE, now=NOW + timedelta(minutes=minutes)
        )


async def _fail(
    db: Sessions, claim: Claim, *, rejected: bool, code: str = "6000"
) -> CreateAttempt | None:
    assert claim.attempt is not None and claim.attempt.lease_token is not None
    async with db() as session, session.begin():
        return await record_failure(
            session,
            COMPANY,
            claim.attempt.draft_key,
            lease_token=claim.attempt.lease_token,
            error_code=code,
            rejected_by_quickbooks=rejected,
            now=NOW,
        )


async def _succeed(db: Sessions, invoice_id: str = "130", key: str = "draft-1") -> CreateAttempt:
    async with db() as session, session.begin():
        return await record_success(session, COMPANY, key, invoice_id=invoice_id, now=NOW)


async def test_a_draft_has_its_requestid_before_anything_is_sent_and_is_idempotent(
    db: Sessions,
) -> None:
    key = new_draft_key()
    assert len(key) >= 32 and key != new_draft_key()
    first = await _draft(db, key)
    again = await _draft(db, key)  # a reload, a second tab
    assert (again.id, again.request_id) == (first.id, first.request_id)
    assert first.state == "open" and first.request_body is None and first.request_claims == 0
    assert len(first.request_id) <= 36  # QuickBooks: 50, and 36 in a batch
    async with db() as session, session.begin():
        with pytest.raises(DraftKeyConflict):
            await create_draft(
                session, COMPANY, draft_key=key, realm_id=REALM, deal_id=DEAL + 1, user_id=USER
            )


async def test_the_claim_stores_the_body_and_holds_a_lease(db: Sessions) -> None:
    draft = await _draft(db)
    claim = await _claim(db)
    assert claim.outcome is ClaimOutcome.CLAIMED and claim.won and not claim.replay
    attempt = claim.attempt
    assert attempt is not None
    assert (attempt.state, attempt.request_id, claim.body) == ("posting", draft.request_id, BODY)
    assert attempt.lease_expires_at == NOW + LEASE and attempt.lease_token


async def test_while_posting_others_wait_and_once_posted_they_see_the_invoice(db: Sessions) -> None:
    await _draft(db)
    await _claim(db)
    busy = await _claim(db, minutes=1)
    assert busy.outcome is ClaimOutcome.BUSY and not busy.won
    posted = await _succeed(db)
    assert (posted.state, posted.invoice_id, posted.lease_token) == ("posted", "130", None)
    after = await _claim(db, minutes=10)
    assert after.outcome is ClaimOutcome.POSTED
    assert after.attempt is not None and after.attempt.invoice_id == "130"


async def test_success_is_idempotent_audited_once_and_a_second_invoice_is_loud(
    db: Sessions,
) -> None:
    await _draft(db)
    await _claim(db)
    await _succeed(db)
    again = await _succeed(db)
    assert again.invoice_id == "130"
    assert await audit_actions(db) == [("invoice.created", {"deal_id": DEAL, "invoice_id": "130"})]
    with pytest.raises(PostedAsAnotherInvoice) as twice:
        await _succeed(db, "131")
    assert (twice.value.posted_invoice_id, twice.value.reported_invoice_id) == ("130", "131")
    async with db() as session, session.begin():
        with pytest.raises(LookupError):
            await record_success(session, COMPANY, "no-such-draft", invoice_id="1")


async def test_an_expired_lease_is_reclaimed_with_the_same_requestid_and_body(db: Sessions) -> None:
    draft = await _draft(db)
    first = await _claim(db)
    # The holder died mid-call. Its successor brings an edited body: the stored one goes out.
    second = await _claim(db, body='{"edited": true}', minutes=2)
    assert second.won and second.replay
    assert second.attempt is not None and first.attempt is not None
    assert second.attempt.request_id == draft.request_id
    assert second.body == BODY
    assert second.attempt.lease_token != first.attempt.lease_token
    # The first holder wakes up and reports a timeout: it no longer holds the attempt.
    assert await _fail(db, first, rejected=False, code="timeout") is None
    async with db() as session:
        current = await get_attempt(session, COMPANY, "draft-1")
    assert current is not None and current.state == "posting"
    # ...but whoever learns the outcome may record it: one requestid, one outcome.
    assert (await _succeed(db)).state == "posted"


async def test_a_failure_that_may_have_committed_keeps_the_requestid_and_body(db: Sessions) -> None:
    draft = await _draft(db)
    failed = await _fail(db, await _claim(db), rejected=False, code="timeout")
    assert failed is not None
    assert (failed.state, failed.last_error, failed.request_id) == (
        "failed",
        "timeout",
        draft.request_id,
    )
    assert failed.may_have_committed and failed.request_body == BODY
    retry = await _claim(db, body='{"edited": true}', minutes=1)
    assert retry.won and retry.replay and retry.body == BODY
    assert retry.attempt is not None and retry.attempt.request_id == draft.request_id


async def test_a_refusal_by_quickbooks_rotates_the_requestid_for_the_next_body(
    db: Sessions,
) -> None:
    draft = await _draft(db)
    failed = await _fail(db, await _claim(db), rejected=True, code="6070")
    assert failed is not None and failed.state == "failed" and failed.last_error == "6070"
    assert failed.request_id != draft.request_id and not failed.may_have_committed
    fixed = '{"fixed": true}'
    retry = await _claim(db, body=fixed, minutes=1)
    assert retry.won and not retry.replay and retry.body == fixed
    assert retry.attempt is not None and retry.attempt.request_id == failed.request_id


async def test_unresolved_attempts_for_recovery_across_companies(db: Sessions) -> None:
    for key in ("open", "dead", "alive", "timed-out", "refused", "posted"):
        await _draft(db, key)
    await _draft(db, "other-company", company_id=OTHER_COMPANY)
    await _claim(db, "dead", minutes=-10)
    await _claim(db, "alive")
    await _fail(db, await _claim(db, "timed-out"), rejected=False)
    await _fail(db, await _claim(db, "refused"), rejected=True)
    await _claim(db, "posted")
    await _succeed(db, key="posted")
    async with db() as session, session.begin():
        await claim_attempt(
            session, OTHER_COMPANY, "other-company", body=BODY, lease=LEASE, now=NOW - LEASE * 2
        )
    async with db() as session:
        found = await unresolved_attempts(session, now=NOW + timedelta(seconds=1))
    assert sorted((a.company_id, a.draft_key) for a in found) == [
        (COMPANY, "dead"),
        (COMPANY, "timed-out"),
        (OTHER_COMPANY, "other-company"),
    ]


async def test_unresolved_drafts_of_one_deal_and_user_are_found_for_a_new_opening(
    db: Sessions,
) -> None:
    for key in ("open", "dead", "alive", "timed-out", "refused", "posted"):
        await _draft(db, key)
    async with db() as session, session.begin():
        await create_draft(
            session, COMPANY, draft_key="other-deal", realm_id=REALM, deal_id=DEAL + 1,
            user_id=USER, now=NOW,
        )  # fmt: skip
    await _claim(db, "dead", minutes=-10)
    await _claim(db, "alive")
    await _fail(db, await _claim(db, "timed-out"), rejected=False)
    await _fail(db, await _claim(db, "refused"), rejected=True)
    await _claim(db, "posted")
    await _succeed(db, key="posted")
    await _fail(db, await _claim(db, "other-deal"), rejected=False)
    async with db() as session:
        found = await unresolved_for_deal(
            session, COMPANY, deal_id=DEAL, user_id=USER, now=NOW + timedelta(seconds=1)
        )
        other_user = await unresolved_for_deal(
            session, COMPANY, deal_id=DEAL, user_id=USER + 1, now=NOW + timedelta(seconds=1)
        )
    assert sorted(a.draft_key for a in found) == ["dead", "timed-out"]
    assert other_user == []


async def test_purging_abandoned_drafts_keeps_what_may_have_created_an_invoice(
    db: Sessions,
) -> None:
    for key in ("open", "refused", "timed-out", "posted", "posting"):
        await _draft(db, key)
    await _fail(db, await _claim(db, "refused"), rejected=True)
    await _fail(db, await _claim(db, "timed-out"), rejected=False)
    await _claim(db, "posted")
    await _succeed(db, key="posted")
    await _claim(db, "posting")
    async with db() as session, session.begin():
        assert await purge_abandoned_drafts(session, before=NOW - timedelta(days=1)) == 0
        assert await purge_abandoned_drafts(session, before=NOW + timedelta(days=30)) == 2
    async with db() as session:
        left = {
            key
            for key in ("open", "refused", "timed-out", "posted", "posting")
            if await get_attempt(session, COMPANY, key)
        }
    assert left == {"timed-out", "posted", "posting"}


@pytest.mark.parametrize("engines", [1, 2])
@pytest.mark.parametrize("lease_expired", [False, True])
async def test_of_ten_concurrent_claimers_exactly_one_posts(
    db: Sessions, other_db: Sessions, engines: int, lease_expired: bool
) -> None:
    """A double click, two tabs and a retry at once, in one process or two: one claim wins,
    every other caller is told to wait, and all of them carry the same requestid."""
    draft = await _draft(db)
    if lease_expired:
        await _claim(db, minutes=-5)  # a holder that died five minutes ago

    async def claim(session: AsyncSession, index: int) -> Claim:
        return await claim_attempt(
            session, COMPANY, "draft-1", body=f'{{"n":{index}}}', lease=LEASE, now=NOW
        )

    results = await concurrently([db, other_db][:engines], 10, claim)
    claims = [r for r in results if isinstance(r, Claim)]
    assert len(claims) == 10, results
    winners = [c for c in claims if c.won]
    assert len(winners) == 1
    assert {c.outcome for c in claims if not c.won} == {ClaimOutcome.BUSY}
    assert {c.attempt.request_id for c in claims if c.attempt} == {draft.request_id}
    async with db() as session:
        stored = await get_attempt(session, COMPANY, "draft-1")
    assert stored is not None and stored.lease_token == winners[0].attempt.lease_token  # type: ignore[union-attr]
    assert stored.request_claims == (2 if lease_expired else 1)
    assert stored.request_body == (BODY if lease_expired else winners[0].body)
