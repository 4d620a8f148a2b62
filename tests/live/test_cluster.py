"""Two app processes on one PostgreSQL database, against the stand-ins in a process of their
own (tests/cluster.py): what the processes must agree on through the database.

- 20 requests at once, split over both processes, find the QuickBooks access token expired:
  QuickBooks sees one refresh;
- the same draft posted at once through both processes: one invoice in QuickBooks;
- a process killed (SIGKILL) while QuickBooks holds its invoice POST, then started again: the
  draft waits out its lease, then one "Try again" settles it as the one invoice QuickBooks made.

One reconciler among several processes is tests/live/test_processes.py. The full load with
random faults is ``make soak``. Every wait is bounded; only 127.0.0.1 is used.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from extension.store.db import create_engine, create_sessionmaker
from extension.store.invoice_models import CreateAttempt
from extension.store.models import utcnow
from extension.store.quickbooks_models import QuickBooksConnection, QuickBooksWebhookEvent
from tests.cluster import ADMIN_ID, US_REALM, Cluster, cluster, set_up_company
from tests.cluster_users import CreateForm, User, create_invoice, created_id, marker_of, shown
from tests.conftest import _PG_ADMIN_URL, _create_pg_database, _drop_pg_database
from tests.integration.test_serving import REAL_MODE

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="module")]

DEAL = 101
# Invoice creates only: POST …/invoice without ?operation= (void, delete and updates have one).
CREATES = {"method": "POST", "path_endswith": "/invoice", "query_lacks": "operation="}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def two(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    if _PG_ADMIN_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must reach PostgreSQL on 127.0.0.1:5432 (or TEST_DATABASE_URL)")
        pytest.skip("PostgreSQL is not reachable here")
    name = "cluster_" + secrets.token_hex(4)
    url = await _create_pg_database(_PG_ADMIN_URL, name)
    try:
        # The background work of both processes runs, as in production; an injected timeout
        # (none here) would hold its request for at most 5 s.
        async with cluster(tmp_path_factory.mktemp("cluster"), url, stall_seconds=5) as running:
            await set_up_company(running.entry)
            yield running
    finally:
        await _drop_pg_database(_PG_ADMIN_URL, name)


def _user(http: httpx.AsyncClient, app_url: str) -> User:
    return User(http, lambda: app_url, ADMIN_ID)


def _through(form: CreateForm, app_url: str) -> CreateForm:
    """The same modal window (its page, its session) with its next request sent to ``app_url``."""
    user = User(form.user.http, lambda: app_url, form.user.user_id)
    user.session = form.user.session
    return CreateForm(user, form.deal_id, form.response)


async def _invoices_marked(two: Cluster, marker: str) -> list[str]:
    invoices = (await two.upstreams.state())["invoices"][US_REALM]
    return [i["Id"] for i in invoices if marker_of(i["PrivateNote"]) == marker]


async def _attempt(two: Cluster, draft_key: str) -> CreateAttempt:
    engine = create_engine(two.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            found = await session.scalar(
                select(CreateAttempt).where(CreateAttempt.draft_key == draft_key)
            )
    finally:
        await engine.dispose()
    assert found is not None
    return found


async def _execute(two: Cluster, statement: object) -> None:
    engine = create_engine(two.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(statement)  # type: ignore[call-overload]
    finally:
        await engine.dispose()


async def _until(check: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def _ready_form(user: User) -> CreateForm:
    form = await user.open_modal(DEAL)
    await form.link_everything()
    return form


async def test_twenty_requests_on_two_processes_refresh_an_expired_token_once(
    two: Cluster,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        # The deal has an invoice, so its Refresh reads QuickBooks.
        made = await create_invoice(_user(http, two.apps[0].base_url), DEAL, "soak-0000")
        assert made.kind == "created"
        users = [_user(http, app.base_url) for app in two.apps for _ in range(10)]
        await asyncio.gather(*(user.open_panel(DEAL) for user in users))
        before = (await two.upstreams.state())["token_requests"].count("refresh_token")
        # An hour and more later: Intuit no longer takes the access token, and the app's
        # record says so too.
        await two.upstreams.control("clock", {"advance": 3700})
        past = utcnow() - timedelta(minutes=1)
        await _execute(two, update(QuickBooksConnection).values(access_token_expires_at=past))

        refreshed = await asyncio.gather(*(user.refresh(DEAL) for user in users))

    assert [r.status_code for r in refreshed] == [200] * 20
    assert all("could not be reached" not in r.text for r in refreshed)
    token_requests = (await two.upstreams.state())["token_requests"]
    assert token_requests.count("refresh_token") - before == 1
    # Both processes answered, and both used the one new token: QuickBooks accepted every read.
    assert {r.url.port for r in refreshed} == {app.port for app in two.apps}


async def test_one_draft_posted_through_both_processes_at_once_is_one_invoice(
    two: Cluster,
) -> None:
    marker = "soak-" + secrets.token_hex(4)
    async with httpx.AsyncClient(timeout=30) as http:
        form = await _ready_form(_user(http, two.apps[0].base_url))
        fields = {**form.fields, "details-private_note": marker}
        # QuickBooks answers no invoice POST until every click is in.
        await two.upstreams.control("hold", CREATES)
        clicks = [
            asyncio.ensure_future(_through(form, app.base_url).submit(**fields))
            for app in two.apps
            for _ in range(3)
        ]

        async def held() -> bool:
            return bool((await two.upstreams.state())["held"] >= 1)

        await _until(held)
        await asyncio.sleep(0.5)
        await two.upstreams.control("hold", {})
        answers = await asyncio.gather(*clicks)

        assert {shown(a) for a in answers} <= {"created", "waiting"}, [shown(a) for a in answers]
        # Each window that was told to wait sees the same invoice once it asks again.
        seen = set()
        for app in two.apps:
            state = await _through(form, app.base_url).state(form.draft_key)
            assert shown(state) == "created"
            seen.add(created_id(state))

    [invoice_id] = await _invoices_marked(two, marker)
    assert seen == {invoice_id}
    assert {created_id(a) for a in answers if shown(a) == "created"} == {invoice_id}
    attempt = await _attempt(two, form.draft_key)
    assert (attempt.state, attempt.invoice_id) == ("posted", invoice_id)


async def test_a_process_killed_mid_create_leaves_a_draft_that_settles_once(
    two: Cluster,
) -> None:
    marker = "soak-" + secrets.token_hex(4)
    victim, survivor = two.apps[1], two.apps[0]
    async with httpx.AsyncClient(timeout=30) as http:
        form = await _ready_form(_user(http, victim.base_url))
        key = form.draft_key
        await two.upstreams.control("hold", CREATES)
        click = asyncio.ensure_future(form.submit(**{"details-private_note": marker}))

        async def held() -> bool:
            return bool((await two.upstreams.state())["held"] >= 1)

        await _until(held)
        victim.kill()  # mid-request: its claim on the draft is in the database, nothing else
        with pytest.raises(httpx.TransportError):
            await click
        # QuickBooks still makes the invoice the dead process asked for.
        await two.upstreams.control("hold", {})

        async def made() -> bool:
            return len(await _invoices_marked(two, marker)) == 1

        await _until(made)
        await victim.start()

        # Within the dead holder's lease, both processes say the invoice is being created.
        for app in (victim, survivor):
            other = _through(form, app.base_url)
            assert shown(await other.state(key)) == "waiting"

        # The lease runs out (three minutes, moved here instead of waited for): the draft says
        # QuickBooks did not confirm it, and "Try again" resends it under its requestid.
        past = utcnow() - timedelta(seconds=1)
        await _execute(
            two,
            update(CreateAttempt)
            .where(CreateAttempt.draft_key == key)
            .values(lease_expires_at=past),
        )
        again = _through(form, victim.base_url)
        stalled = await again.state(key)
        assert shown(stalled) == "stalled", stalled.text
        done = await again.resubmit(key)
        assert shown(done) == "created", done.text

    [invoice_id] = await _invoices_marked(two, marker)
    assert created_id(done) == invoice_id
    attempt = await _attempt(two, key)
    assert (attempt.state, attempt.invoice_id) == ("posted", invoice_id)
    posts = [
        p for p in (await two.upstreams.state())["invoice_posts"]
        if p["requestid"] == attempt.request_id
    ]  # fmt: skip
    assert len(posts) == 2  # the cut-off one and the replay QuickBooks answered from memory


async def _events(two: Cluster, dedup_like: str) -> list[QuickBooksWebhookEvent]:
    engine = create_engine(two.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.scalars(
                select(QuickBooksWebhookEvent).where(
                    QuickBooksWebhookEvent.dedup_key.like(dedup_like)
                )
            )
            return list(rows)
    finally:
        await engine.dispose()


def _signed(events: list[dict[str, Any]], verifier: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(events).encode()
    digest = hmac.new(verifier.encode(), body, hashlib.sha256).digest()
    return body, {
        "intuit-signature": base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


async def test_a_burst_of_1000_notifications_over_both_processes_is_applied_once_each(
    two: Cluster,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        made = [
            await create_invoice(_user(http, two.apps[0].base_url), deal, f"soak-b{deal}")
            for deal in (105, 106)
        ]
        assert {m.kind for m in made} == {"created"}
        burst = "burst-" + secrets.token_hex(4)
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        events = [
            {
                "specversion": "1.0",
                "id": f"{burst}-{n}",
                "source": "intuit.test",
                "type": "qbo.invoice.updated.v1",
                "datacontenttype": "application/json",
                "time": at,
                "intuitentityid": made[n % 2].invoice_id,
                "intuitaccountid": US_REALM,
                "data": {},
            }
            for n in range(1000)
        ]
        verifier = REAL_MODE["QBO_WEBHOOK_VERIFIER_TOKEN"]
        forged, headers = _signed([{**events[0], "id": f"{burst}-forged"}], "not-the-verifier")
        refused = await http.post(
            two.apps[1].base_url + "/quickbooks/webhooks", content=forged, headers=headers
        )
        assert refused.status_code in (401, 403)

        # What the two creates notified (their own webhooks) is applied before the burst.
        async def settled() -> bool:
            return all(r.processed_at is not None for r in await _events(two, "ce:%"))

        await _until(settled)
        mark = (await two.upstreams.state())["api_requests"]
        # Ten deliveries of 100 over both processes at once, and Intuit's retry of two of
        # them to the other process.
        batches = [events[n : n + 100] for n in range(0, 1000, 100)]
        deliveries = [(two.apps[n % 2], batch) for n, batch in enumerate(batches)]
        deliveries += [(two.apps[(n + 1) % 2], batches[n]) for n in (0, 1)]
        answers = await asyncio.gather(
            *(
                http.post(app.base_url + "/quickbooks/webhooks", content=body, headers=signed)
                for app, batch in deliveries
                for body, signed in [_signed(batch, verifier)]
            )
        )
        assert [a.status_code for a in answers] == [200] * 12

    async def all_applied() -> bool:
        rows = await _events(two, f"ce:{burst}-%")
        return len(rows) == 1000 and all(r.processed_at is not None for r in rows)

    await _until(all_applied, 30)
    rows = await _events(two, f"ce:{burst}-%")
    assert {r.outcome for r in rows} == {"applied"}
    assert f"ce:{burst}-forged" not in {r.dedup_key for r in rows}
    response = await two.upstreams.http.get("/control/requests", params={"since": mark})
    reads = response.json()["requests"]
    # Each worker round reads the invoices its claimed events name in one query: at most
    # one round per delivery, never one read per event.
    assert 1 <= len(reads) <= len(deliveries), reads
    assert all("FROM Invoice" in r["query"].get("query", "") for r in reads), reads
