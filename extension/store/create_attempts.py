"""Exactly-once invoice creation: one attempt per create-invoice draft, and the ``requestid`` that
makes QuickBooks answer a repeated request with its first answer instead of a second invoice.

States::

    open ──claim──▶ posting ──record_success──▶ posted   (final, holds the invoice id)
                     │   ▲
      record_failure │   │ claim (a failed attempt, or a posting one whose lease ran out)
                     ▼   │
                    failed

- **open**: the draft exists (created when the modal opens, idempotent on its draft key) and
  already has its requestid: the id is in the database before QuickBooks ever sees it.
- **posting**: one caller won the claim, a conditional ``UPDATE … WHERE state is claimable``
  that exactly one of any number of concurrent claimers matches, and holds a lease. The others
  learn "already posting, wait" (``BUSY``) or "already posted: invoice X" (``POSTED``).
- **posted**: :func:`record_success` stored the invoice id. Recording it again with the same
  id changes nothing; a different id raises :class:`PostedAsAnotherInvoice`.
- **failed**: :func:`record_failure` stored the error code; a new claim may try again.

The requestid rule. QuickBooks answers a request whose requestid it has already seen with the
response it gave the first time, whatever that was (reference quickbooks.md §4.4). Hence:

1. **One body per requestid.** The first claim under a requestid stores the body it is about
   to send; every later claim under the same requestid gets that stored body back
   (:attr:`Claim.body`) and must send it unchanged. A changed body under a used requestid has
   no documented outcome.
2. **Rotate only on a refusal QuickBooks gave to this requestid**: a Fault answered to the
   request that carried it (validation, business rule, duplicate number, stale object).
   Because QuickBooks replays first answers, a refusal now proves no invoice was ever created
   under this id; and the old id would only replay that refusal after the user fixed the form.
   The next claim then sends a fresh requestid with the body it brings.
3. **Keep it in every other case**: a timeout or dropped connection (QuickBooks may have
   committed), a 5xx, a holder that died (its lease ran out), but also a 401/403 or 429 from
   Intuit's gateway and a failure before anything was sent. Those say nothing about what an
   earlier send under this id did, and that send may have created the invoice. The next claim
   replays the same requestid with the same body: if QuickBooks created the invoice it answers
   with it, if it never saw the request it creates it now; one invoice either way.
4. When unsure, keep: keeping wrongly costs one replayed refusal, rotating wrongly can cost a
   duplicate invoice.

The lease. A claim holds the attempt until ``lease_expires_at``. The lease must outlast the
longest the holder can spend on the call, retries and back-off included: QuickBooks does not
document what a second request with the same requestid does while the first still runs, so a
second claimer must not get in while the first may still be talking to QuickBooks. After
expiry a claimer takes over with the same requestid and body (rule 3). Each claim gets a new
``lease_token``; :func:`record_failure` is accepted only from the current holder, so a holder
that lost its lease cannot mark failed an attempt its successor is posting.
:func:`record_success` is accepted from anyone: one requestid has one outcome, and whoever
learns it first may record it.

Crash recovery: :func:`abandoned_posts` lists a company's posts whose holder died (posting with
an expired lease); claiming one with ``abandoned_only`` and replaying it settles it exactly
once, without the person (the reconciler does). A failed post with a kept requestid waits for
its person's "Try again"; :func:`unresolved_attempts` lists both kinds across companies. Every
function runs in the caller's transaction, and a claim must be committed before QuickBooks is
called, or other processes cannot see it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from extension.store.installations import record_audit
from extension.store.invoice_models import CreateAttempt
from extension.store.models import utcnow
from extension.store.upsert import insert_for

__all__ = [
    "AttemptState",
    "ClaimOutcome",
    "Claim",
    "DraftKeyConflict",
    "PostedAsAnotherInvoice",
    "new_draft_key",
    "create_draft",
    "get_attempt",
    "claim_attempt",
    "record_success",
    "record_failure",
    "unresolved_attempts",
    "abandoned_posts",
    "unresolved_for_deal",
    "purge_abandoned_drafts",
]

# A claim that lost the race re-reads the row; if it became claimable in between (the winner
# already failed), it tries again. Each round means another writer committed.
_MAX_ROUNDS = 5


class AttemptState(StrEnum):
    OPEN = "open"
    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"  # this caller posts now
    BUSY = "busy"  # another caller is posting: wait, then look again
    POSTED = "posted"  # done already: show attempt.invoice_id
    NOT_FOUND = "not_found"  # no such draft in this company


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    attempt: CreateAttempt | None

    @property
    def won(self) -> bool:
        return self.outcome is ClaimOutcome.CLAIMED

    @property
    def replay(self) -> bool:
        """This requestid was claimed before: its stored body goes out again, unchanged."""
        return self.won and self.attempt is not None and self.attempt.request_claims > 1

    @property
    def body(self) -> str:
        """The body to send with ``attempt.request_id`` (the stored one on a replay)."""
        assert self.won and self.attempt is not None and self.attempt.request_body is not None
        return self.attempt.request_body


class DraftKeyConflict(Exception):
    """The draft key belongs to a draft of another deal or user (a forged or reused key)."""


class PostedAsAnotherInvoice(Exception):
    """Success was recorded with one invoice id and is now reported with another: QuickBooks
    holds two invoices for one draft, and a person must look."""

    def __init__(self, draft_key: str, posted_invoice_id: str, reported_invoice_id: str) -> None:
        super().__init__(
            f"draft {draft_key} posted as invoice {posted_invoice_id}, not {reported_invoice_id}"
        )
        self.draft_key = draft_key
        self.posted_invoice_id = posted_invoice_id
        self.reported_invoice_id = reported_invoice_id


def new_draft_key() -> str:
    """A public, unguessable key for a draft, made when the create-invoice modal opens."""
    return secrets.token_urlsafe(24)


def _new_request_id() -> str:
    return uuid.uuid4().hex  # 32 characters: within QuickBooks' 50 (and a batch's 36)


def _draft(company_id: int, draft_key: str) -> tuple[ColumnElement[bool], ...]:
    return (CreateAttempt.company_id == company_id, CreateAttempt.draft_key == draft_key)


async def get_attempt(
    session: AsyncSession, company_id: int, draft_key: str
) -> CreateAttempt | None:
    return await session.scalar(
        select(CreateAttempt)
        .where(*_draft(company_id, draft_key))
        .execution_options(populate_existing=True)
    )


async def create_draft(
    session: AsyncSession,
    company_id: int,
    *,
    draft_key: str,
    realm_id: str,
    deal_id: int,
    user_id: int,
    now: datetime | None = None,
) -> CreateAttempt:
    """The draft's attempt, created on first call with a fresh requestid; later calls with the
    same key (a reload, a second tab) return the same attempt."""
    at = now or utcnow()
    await session.execute(
        insert_for(session, CreateAttempt)
        .values(
            company_id=company_id,
            draft_key=draft_key,
            realm_id=realm_id,
            deal_id=deal_id,
            user_id=user_id,
            state=AttemptState.OPEN.value,
            request_id=_new_request_id(),
            request_claims=0,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing(index_elements=["company_id", "draft_key"])
    )
    attempt = await get_attempt(session, company_id, draft_key)
    assert attempt is not None
    if (attempt.deal_id, attempt.user_id, attempt.realm_id) != (deal_id, user_id, realm_id):
        raise DraftKeyConflict(f"draft {draft_key} belongs to another deal, user or realm")
    return attempt


async def claim_attempt(
    session: AsyncSession,
    company_id: int,
    draft_key: str,
    *,
    body: str,
    lease: timedelta,
    now: datetime | None = None,
    abandoned_only: bool = False,
) -> Claim:
    """Try to become the one caller that posts this draft now (see the module's rules).
    ``abandoned_only``: only a post whose holder died (posting, lease expired), for a caller
    acting without the person: a draft they left open or saw fail stays theirs to decide."""
    at = now or utcnow()
    abandoned = and_(
        CreateAttempt.state == AttemptState.POSTING.value,
        CreateAttempt.lease_expires_at <= at,
    )
    claimable = (
        abandoned
        if abandoned_only
        else or_(
            CreateAttempt.state.in_((AttemptState.OPEN.value, AttemptState.FAILED.value)),
            abandoned,
        )
    )
    for _ in range(_MAX_ROUNDS):
        won = await session.scalar(
            update(CreateAttempt)
            .where(*_draft(company_id, draft_key), claimable)
            .values(
                state=AttemptState.POSTING.value,
                lease_token=secrets.token_hex(16),
                lease_expires_at=at + lease,
                # Rule 1: a requestid already used keeps its body.
                request_body=func.coalesce(CreateAttempt.request_body, body),
                request_claims=CreateAttempt.request_claims + 1,
                updated_at=at,
            )
            .returning(CreateAttempt)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        if won is not None:
            return Claim(ClaimOutcome.CLAIMED, won)
        current = await get_attempt(session, company_id, draft_key)
        if current is None:
            return Claim(ClaimOutcome.NOT_FOUND, None)
        if current.state == AttemptState.POSTED:
            return Claim(ClaimOutcome.POSTED, current)
        expires = current.lease_expires_at
        if current.state == AttemptState.POSTING and expires is not None and expires > at:
            return Claim(ClaimOutcome.BUSY, current)
    return Claim(ClaimOutcome.BUSY, await get_attempt(session, company_id, draft_key))


async def record_success(
    session: AsyncSession,
    company_id: int,
    draft_key: str,
    *,
    invoice_id: str,
    now: datetime | None = None,
) -> CreateAttempt:
    """The draft is posted as ``invoice_id``; audited once, however often it is recorded."""
    at = now or utcnow()
    posted = await session.scalar(
        update(CreateAttempt)
        .where(*_draft(company_id, draft_key), CreateAttempt.state != AttemptState.POSTED.value)
        .values(
            state=AttemptState.POSTED.value,
            invoice_id=invoice_id,
            lease_token=None,
            lease_expires_at=None,
            last_error=None,
            posted_at=at,
            updated_at=at,
        )
        .returning(CreateAttempt)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if posted is not None:
        await record_audit(
            session,
            company_id,
            posted.user_id,
            "invoice.created",
            {"deal_id": posted.deal_id, "invoice_id": invoice_id},
            at=at,
        )
        return posted
    current = await get_attempt(session, company_id, draft_key)
    if current is None:
        raise LookupError(f"no draft {draft_key} in company {company_id}")
    if current.invoice_id != invoice_id:
        raise PostedAsAnotherInvoice(draft_key, current.invoice_id or "", invoice_id)
    return current


async def record_failure(
    session: AsyncSession,
    company_id: int,
    draft_key: str,
    *,
    lease_token: str,
    error_code: str,
    rejected_by_quickbooks: bool,
    now: datetime | None = None,
) -> CreateAttempt | None:
    """The holder's post failed. ``rejected_by_quickbooks``: QuickBooks answered the request
    carrying this requestid with a Fault (rule 2: a fresh requestid for the next claim);
    anything else keeps it (rule 3).

    None when the caller no longer holds the attempt (its lease was taken over, or the attempt
    was posted meanwhile): nothing is changed.
    """
    at = now or utcnow()
    values: dict[str, object] = {
        "state": AttemptState.FAILED.value,
        "last_error": error_code[:64],
        "lease_token": None,
        "lease_expires_at": None,
        "updated_at": at,
    }
    if rejected_by_quickbooks:
        values.update(request_id=_new_request_id(), request_body=None, request_claims=0)
    return await session.scalar(
        update(CreateAttempt)
        .where(
            *_draft(company_id, draft_key),
            CreateAttempt.state == AttemptState.POSTING.value,
            CreateAttempt.lease_token == lease_token,
        )
        .values(**values)
        .returning(CreateAttempt)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def unresolved_attempts(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 100
) -> list[CreateAttempt]:
    """Attempts of every company whose outcome is unknown, oldest first: posting with an
    expired lease (the holder died) and failed with a kept requestid. For start-up recovery,
    the one query here that is not scoped by company."""
    at = now or utcnow()
    rows = await session.scalars(
        select(CreateAttempt)
        .where(
            or_(
                and_(
                    CreateAttempt.state == AttemptState.POSTING.value,
                    CreateAttempt.lease_expires_at <= at,
                ),
                and_(
                    CreateAttempt.state == AttemptState.FAILED.value,
                    CreateAttempt.request_body.is_not(None),
                ),
            )
        )
        .order_by(CreateAttempt.updated_at, CreateAttempt.id)
        .limit(limit)
    )
    return list(rows)


async def abandoned_posts(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    *,
    now: datetime | None = None,
    limit: int = 20,
) -> list[CreateAttempt]:
    """This company's posts whose holder died (posting, lease expired), oldest first."""
    at = now or utcnow()
    rows = await session.scalars(
        select(CreateAttempt)
        .where(
            CreateAttempt.company_id == company_id,
            CreateAttempt.realm_id == realm_id,
            CreateAttempt.state == AttemptState.POSTING.value,
            CreateAttempt.lease_expires_at <= at,
            CreateAttempt.request_body.is_not(None),
        )
        .order_by(CreateAttempt.updated_at, CreateAttempt.id)
        .limit(limit)
    )
    return list(rows)


async def unresolved_for_deal(
    session: AsyncSession,
    company_id: int,
    *,
    deal_id: int,
    user_id: int,
    now: datetime | None = None,
) -> list[CreateAttempt]:
    """This user's drafts of this deal whose outcome is unknown (as :func:`unresolved_attempts`),
    newest first: a new opening of the modal offers to finish them before making another."""
    at = now or utcnow()
    rows = await session.scalars(
        select(CreateAttempt)
        .where(
            CreateAttempt.company_id == company_id,
            CreateAttempt.deal_id == deal_id,
            CreateAttempt.user_id == user_id,
            CreateAttempt.request_body.is_not(None),
            or_(
                CreateAttempt.state == AttemptState.FAILED.value,
                and_(
                    CreateAttempt.state == AttemptState.POSTING.value,
                    CreateAttempt.lease_expires_at <= at,
                ),
            ),
        )
        .order_by(CreateAttempt.updated_at.desc(), CreateAttempt.id.desc())
    )
    return list(rows)


async def purge_abandoned_drafts(session: AsyncSession, *, before: datetime) -> int:
    """Delete drafts untouched since ``before`` that can have created nothing: never sent, or
    refused by QuickBooks (their requestid rotated). Posted and unresolved ones stay."""
    result = await session.execute(
        delete(CreateAttempt).where(
            CreateAttempt.state.in_((AttemptState.OPEN.value, AttemptState.FAILED.value)),
            CreateAttempt.request_body.is_(None),
            CreateAttempt.updated_at < before,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount)
