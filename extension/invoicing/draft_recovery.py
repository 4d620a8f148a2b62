"""Posts whose process died, finished without their person.

A person clicked "Create invoice"; the app claimed the draft, stored its body and requestid, and
its process died before it recorded QuickBooks' answer (a crash, a deploy, SIGKILL). The draft
stays "posting" until the claim's lease runs out. Before this module, only the person could
settle it, by opening the modal again ("Finish the earlier invoice"); meanwhile the invoice may
be in QuickBooks without showing on the deal.

The process that holds the company's reconciler lease settles such posts at each round:
it claims the draft (only while it is still abandoned: a draft its person is retrying, or saw
fail, is not touched) and sends the stored body again with the stored requestid. QuickBooks
answers a requestid it has seen with the invoice it made then, so nothing is made twice; if the
first request never reached it, the invoice is made now, which is what the person asked for.
Then the invoice is linked to the deal and mirrored as the modal would. A refusal is recorded
on the draft, for its person to read when they open it.
"""

from __future__ import annotations

import logging

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.invoicing.create_drafts import LEASE
from extension.invoicing.create_post import finalize_post, release_claim
from extension.pipedrive.errors import PipedriveError
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError, QuickBooksRejected
from extension.quickbooks.limits import Limits
from extension.services import Services
from extension.store.create_attempts import abandoned_posts, claim_attempt
from extension.store.invoice_models import CreateAttempt

__all__ = ["settle_abandoned_posts"]

logger = logging.getLogger(__name__)


async def settle_abandoned_posts(
    services: Services, company_id: int, realm_id: str, *, limits: Limits | None = None
) -> list[str]:
    """Finish this company's abandoned posts; returns the invoice ids they settled as.
    Raises the QuickBooks client's errors other than a refusal (the draft then stays
    abandoned, for the next round or its person)."""
    async with services.sessionmaker() as session:
        found = await abandoned_posts(session, company_id, realm_id)
    if not found:
        return []
    quickbooks = await client_for_company(services, company_id, limits=limits)
    if quickbooks.realm_id != realm_id:
        return []  # connected to another QuickBooks company since: these drafts are not its
    settled: list[str] = []
    for candidate in found:
        async with services.sessionmaker() as session, session.begin():
            claim = await claim_attempt(
                session, company_id, candidate.draft_key, body="", lease=LEASE, abandoned_only=True
            )
        if not claim.won:
            continue  # its person, or another process, got there first
        assert claim.attempt is not None
        invoice_id = await _replay(services, claim.attempt, quickbooks)
        if invoice_id is not None:
            settled.append(invoice_id)
    return settled


async def _replay(
    services: Services, attempt: CreateAttempt, quickbooks: QuickBooksClient
) -> str | None:
    body = (attempt.request_body or "").encode()
    try:
        invoice = await quickbooks.create_invoice_from_body(body, requestid=attempt.request_id)
    except QuickBooksRejected as exc:
        await release_claim(services, attempt, exc, rotate=True)
        logger.info("abandoned draft %s refused by QuickBooks: %s", attempt.draft_key, exc)
        return None
    except QuickBooksError as exc:
        await release_claim(services, attempt, exc, rotate=False)
        raise
    await finalize_post(services, attempt, await _deal_title(services, attempt), invoice)
    logger.info(
        "abandoned draft %s of deal %s settled as invoice %s",
        attempt.draft_key,
        attempt.deal_id,
        invoice.id,
    )
    return invoice.id


async def _deal_title(services: Services, attempt: CreateAttempt) -> str:
    """The deal's title as its person sees it, for the link; empty when Pipedrive will not say
    (the link then names the deal by its id)."""
    try:
        pipedrive = await client_for_user(services, attempt.company_id, attempt.user_id)
        return (await pipedrive.deal(attempt.deal_id)).title
    except PipedriveError as exc:
        logger.info("deal %s of an abandoned draft not readable: %s", attempt.deal_id, exc)
        return ""
