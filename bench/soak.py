"""Faults and load: simulated people on two app processes for a few minutes while QuickBooks
fails at random, one process is killed mid-create and started again; then the books are
checked. Run by ``make soak`` (never by ``make test``):

    .venv/bin/python -m bench.soak [--seconds 180] [--users 8] [--seed 1]

Set-up (loopback only): the stand-ins in a process of their own
(``python -m extension.sandbox.standalone``), two ``python -m extension serve`` processes on a
throw-away PostgreSQL database (one process on a throw-away SQLite file when PostgreSQL does
not answer on 127.0.0.1:5432 and ``TEST_DATABASE_URL`` is unset), the sandbox company
installed and connected through the consent pages. QuickBooks then answers 2.5% of API
requests 500 and 2.5% 503, lets 1% time out (no answer until the app gives up), and lets 1% of
writes time out after it committed them.

Each simulated person, over HTTP as the browser does it, picks a deal and opens its panel,
presses Refresh, creates an invoice in the modal (links, submit, waits, "Try again" when told
QuickBooks did not confirm it), or sends or voids an invoice from the panel. Each create
carries a marker in its private note, so every invoice in QuickBooks names its draft. A
quarter into the run QuickBooks holds the invoice POSTs it receives until one of the second
process's creates is under way, that process is killed with SIGKILL, QuickBooks finishes the
held invoices, and the process is started again two seconds later; meanwhile people are sent
to the other one.

After the load the faults stop and everyone whose create was not settled opens the modal
again to finish it (the app offers to); a draft the dead process held waits out its lease
first. Then QuickBooks' invoices and the app's drafts are compared:

- duplicates: a draft with more than one invoice in QuickBooks;
- lost: a create its person saw succeed that QuickBooks does not have, an invoice in
  QuickBooks for a draft the app does not know as posted, or a draft neither posted nor
  showing its person why;
- 500s from the app, and failures (4xx/5xx) whose page says nothing in words.

It prints requests, faults injected by kind, those findings and p50/p95 latency per request
kind, and exits 1 if any duplicate, lost create, 500 or unworded failure was found.

Why asyncio and httpx rather than locust: each person here is a multi-step flow that reads the
pages it gets (session token, form fields, draft key, row buttons) and ends in a check of
QuickBooks against the database. Locust's gevent workers would need its monkey-patching next
to asyncpg and the asyncio harness that starts and kills the processes, and its statistics are
a few lines here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from extension.invoicing.create_drafts import LEASE
from extension.store.db import create_engine, create_sessionmaker
from extension.store.invoice_models import CreateAttempt
from tests.cluster import US_REALM, AppProcess, Cluster, Upstreams, cluster, set_up_company
from tests.cluster_users import (
    Outcome,
    User,
    create_invoice,
    created_id,
    marker_of,
    shown,
    worded,
)
from tests.conftest import _PG_ADMIN_URL, _create_pg_database, _drop_pg_database

FAULT_RATES = {"500": 0.025, "503": 0.025, "timeout": 0.01, "timeout_after_commit": 0.01}
PEOPLE = (9001, 9003, 9004, 9002)  # three admins and a sales rep (who may not void)
DEALS = (101, 105, 106, 107)  # the sandbox's deals in dollars with products
STALL_SECONDS = 40.0  # QuickBooks' "no answer": longer than the app's 30 s read timeout


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    cut_off: Counter[str] = field(default_factory=Counter)  # no answer (the process died)
    app_500s: list[str] = field(default_factory=list)
    unworded: list[str] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # marker -> where it ended
    in_flight: Counter[str] = field(default_factory=Counter)  # requests, by kind
    killed_at: float = 0.0  # time.monotonic() of the SIGKILL

    def record(self, kind: str, response: httpx.Response | None, seconds: float) -> None:
        if response is None:
            self.cut_off[kind] += 1
            return
        self.latencies[kind].append(seconds)
        self.statuses[(kind, response.status_code)] += 1
        where = f"{response.request.method} {response.request.url.path} {response.status_code}"
        if response.status_code == 500:
            self.app_500s.append(where)
        if response.status_code >= 400 and not worded(response):
            self.unworded.append(where)


class Balancer:
    """Sends each request to a live app process, round robin, as a proxy with health checks."""

    def __init__(self, apps: list[AppProcess]) -> None:
        self.apps = apps
        self.down: set[str] = set()
        self._turn = itertools.cycle(range(len(apps)))

    def pick(self) -> str:
        for _ in self.apps:
            app = self.apps[next(self._turn)]
            if app.name not in self.down:
                return app.base_url
        return self.apps[0].base_url


async def _person(
    http: httpx.AsyncClient,
    balancer: Balancer,
    user_id: int,
    tally: Tally,
    until: float,
    rng: random.Random,
) -> None:
    user = User(http, balancer.pick, user_id, tally.record, tally.in_flight)
    while time.monotonic() < until:
        deal = rng.choice(DEALS)
        roll = rng.random()
        try:
            if roll < 0.45:
                await user.open_panel(deal)
            elif roll < 0.65:
                if not user.session:
                    await user.open_panel(deal)
                await user.refresh(deal)
            elif roll < 0.80:  # each create costs about 15 QuickBooks requests
                marker = "soak-" + secrets.token_hex(6)

                def drafted(key: str, marker: str = marker) -> None:
                    tally.outcomes[marker] = Outcome("unresolved", draft_key=key)

                tally.outcomes[marker] = await create_invoice(
                    user, deal, marker, tries=3, patience=120.0, on_draft=drafted
                )
            else:
                page = await user.open_panel(deal)
                kind = "send" if roll < 0.93 or user_id == 9002 else "void"
                buttons = [
                    b for b in page.select(f"[data-action={kind}][hx-post]")
                    if not b.has_attr("disabled")
                ]  # fmt: skip
                if buttons:
                    await user.act(f"row {kind}", rng.choice(buttons))
        except (httpx.TransportError, httpx.HTTPStatusError, AssertionError):
            pass  # recorded as cut off (or its status) already; the person carries on
        await asyncio.sleep(rng.uniform(1.0, 3.0))  # a person reads before the next click


async def _kill_mid_create(
    apps: list[AppProcess], upstreams: Upstreams, balancer: Balancer, tally: Tally, at: float
) -> str:
    await asyncio.sleep(at)
    victim = apps[-1]
    submitting = f"create submit {victim.base_url}"
    # QuickBooks holds the invoice POSTs it receives until one comes from the victim (the
    # process owning the connection's port), so the kill lands while QuickBooks works on an
    # invoice the victim asked for.
    creates = {"method": "POST", "path_endswith": "/invoice", "query_lacks": "operation="}
    await upstreams.control("hold", creates)
    deadline = time.monotonic() + 30
    assert victim.process is not None
    held = 0
    while time.monotonic() < deadline:
        ports = set((await upstreams.state())["held_from_ports"])
        held = len(ports & _ports_of(victim.process.pid))
        if held and tally.in_flight[submitting]:
            break
        await asyncio.sleep(0.1)
    balancer.down.add(victim.name)
    victim.kill()
    tally.killed_at = time.monotonic()
    killed = (
        f"{victim.name}, its create submits in flight: {tally.in_flight[submitting]}, "
        f"its invoice POSTs held at QuickBooks: {held}"
    )
    await upstreams.control("hold", {})
    await asyncio.sleep(2)
    await victim.start()
    balancer.down.discard(victim.name)
    return killed


def _ports_of(pid: int) -> set[int]:
    """Local TCP ports of the sockets process ``pid`` has open (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def _drafts(database_url: str) -> list[CreateAttempt]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(select(CreateAttempt)))
    finally:
        await engine.dispose()


async def _finish_unsettled(
    http: httpx.AsyncClient, balancer: Balancer, tally: Tally, database_url: str
) -> int:
    """Everyone whose create is not settled opens the modal again and finishes it, as the
    modal offers, once a dead holder's lease has run out; returns how many were finished."""
    drafts = {a.draft_key: a for a in await _drafts(database_url)}
    pending = [
        (marker, outcome)
        for marker, outcome in tally.outcomes.items()
        if outcome.kind != "created"
        and outcome.draft_key in drafts
        and drafts[outcome.draft_key].may_have_committed
    ]

    async def finish(marker: str, outcome: Outcome) -> None:
        attempt = drafts[outcome.draft_key]
        user = User(http, balancer.pick, attempt.user_id, tally.record)
        form = await user.open_modal(attempt.deal_id)
        # The modal offers the newest unsettled draft first; finish them one by one.
        for _ in range(5):
            earlier = form.earlier_draft()
            if earlier is None:
                break
            answer = await form.resubmit(earlier)
            if earlier == outcome.draft_key:
                tally.outcomes[marker] = await _settle(user, form, earlier, answer)
                return
            form = await user.open_modal(attempt.deal_id)

    for marker, outcome in pending:  # one by one: each person finishes their own
        with contextlib.suppress(httpx.TransportError, httpx.HTTPStatusError, AssertionError):
            await finish(marker, outcome)
    return len(pending)


async def _settle(user: User, form: Any, key: str, answer: httpx.Response) -> Outcome:
    for _ in range(30):
        seen = shown(answer)
        if seen == "created":
            return Outcome("created", created_id(answer), key)
        if seen != "waiting":
            break
        await asyncio.sleep(1)
        answer = await form.state(key)
    return Outcome("failed" if worded(answer) else "unresolved", draft_key=key)


@dataclass
class Findings:
    duplicates: list[str]
    lost: list[str]
    drafts: Counter[str]


async def _check(two: Cluster, tally: Tally) -> Findings:
    invoices = (await two.upstreams.state())["invoices"][US_REALM]
    by_marker: dict[str, list[str]] = defaultdict(list)
    for invoice in invoices:
        marker = marker_of(invoice["PrivateNote"])
        if marker:
            by_marker[marker].append(invoice["Id"])
    drafts = {a.draft_key: a for a in await _drafts(two.database_url)}
    duplicates = [f"{m}: invoices {ids}" for m, ids in by_marker.items() if len(ids) > 1]
    lost: list[str] = []
    states: Counter[str] = Counter()
    for marker, outcome in tally.outcomes.items():
        in_books = by_marker.get(marker, [])
        attempt = drafts.get(outcome.draft_key)
        states[attempt.state if attempt else "never saved"] += 1
        if outcome.kind == "created" and outcome.invoice_id not in in_books:
            lost.append(f"{marker}: shown created as {outcome.invoice_id}, QuickBooks {in_books}")
        if in_books and (attempt is None or attempt.state != "posted"):
            lost.append(f"{marker}: in QuickBooks as {in_books}, the app's draft is not posted")
        if attempt is not None and attempt.state == "posted" and attempt.invoice_id not in in_books:
            lost.append(f"{marker}: posted as {attempt.invoice_id}, QuickBooks {in_books}")
        sent = attempt is not None and attempt.request_body is not None
        if outcome.kind == "unresolved" and sent and not in_books:
            lost.append(f"{marker}: sent, neither created nor a failure shown in words")
    return Findings(duplicates, lost, states)


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _report(tally: Tally, state: dict[str, Any], findings: Findings, facts: dict[str, Any]) -> None:
    requests = sum(tally.statuses.values()) + sum(tally.cut_off.values())
    print()
    for name, value in facts.items():
        print(f"{name:<34} {value}")
    print(f"{'requests to the app':<34} {requests}")
    print(f"{'  cut off (process killed)':<34} {sum(tally.cut_off.values())}")
    print(f"{'QuickBooks API requests':<34} {state['api_requests']}")
    injected = state["faults_injected"]
    print(f"{'QuickBooks faults injected':<34} {sum(injected.values())}")
    for kind in FAULT_RATES:
        print(f"{'  ' + kind:<34} {injected.get(kind, 0)}")
    outcomes = Counter(o.kind for o in tally.outcomes.values())
    print(
        f"{'creates':<34} {len(tally.outcomes)}  "
        + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items()))
    )
    print(
        f"{'drafts in the app':<34} "
        + ", ".join(f"{k} {n}" for k, n in sorted(findings.drafts.items()))
    )
    print(f"{'duplicates found':<34} {len(findings.duplicates)}")
    print(f"{'lost creates found':<34} {len(findings.lost)}")
    print(f"{'app 500s':<34} {len(tally.app_500s)}")
    print(f"{'failures not shown in words':<34} {len(tally.unworded)}")
    for line in (findings.duplicates + findings.lost + tally.app_500s + tally.unworded)[:20]:
        print("  " + line)
    print()
    header = ("request kind", "count", "429", "other 4xx/5xx", "p50 ms", "p95 ms")
    print("{:<16} {:>6} {:>5} {:>14} {:>7} {:>7}".format(*header))
    for kind in sorted(tally.latencies):
        values = tally.latencies[kind]
        mine = {status: n for (k, status), n in tally.statuses.items() if k == kind}
        throttled = mine.get(429, 0)
        failed = sum(n for status, n in mine.items() if status >= 400) - throttled
        print(
            f"{kind:<16} {len(values):>6} {throttled:>5} {failed:>14} "
            f"{_percentile(values, 50) * 1000:>7.0f} {_percentile(values, 95) * 1000:>7.0f}"
        )


async def _run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    pg_name = None
    if _PG_ADMIN_URL is not None and not args.sqlite:
        pg_name = "soak_" + secrets.token_hex(4)
        database_url = await _create_pg_database(_PG_ADMIN_URL, pg_name)
        apps, database = 2, "PostgreSQL, 2 app processes"
    else:
        database_url = f"sqlite+aiosqlite:///{work / 'soak.db'}"
        apps, database = 1, "SQLite, 1 app process"
    tally = Tally()
    try:
        async with cluster(work, database_url, apps=apps, stall_seconds=STALL_SECONDS) as two:
            await set_up_company(two.entry, PEOPLE)
            # A company on a bigger Pipedrive plan: the load is about QuickBooks' faults.
            await two.upstreams.control("pipedrive", {"daily_budget": 10_000_000})
            await two.upstreams.control("faults", {"rates": FAULT_RATES, "seed": args.seed})
            balancer = Balancer(two.apps)
            limits = httpx.Limits(max_connections=args.users * 2)
            async with httpx.AsyncClient(timeout=120, limits=limits) as http:
                print(f"soak: {args.users} people, {args.seconds:.0f} s, {database}; logs: {work}")
                started = time.monotonic()
                until = started + args.seconds
                people = [
                    _person(
                        http,
                        balancer,
                        PEOPLE[n % len(PEOPLE)],
                        tally,
                        until,
                        random.Random(rng.random()),
                    )
                    for n in range(args.users)
                ]
                kill = _kill_mid_create(two.apps, two.upstreams, balancer, tally, args.seconds / 4)
                results = await asyncio.gather(kill, *people)
                load_seconds = time.monotonic() - started
                await two.upstreams.control("faults", {})
                # A draft the killed process held is claimable once its lease has run out.
                lease_left = LEASE.total_seconds() - (time.monotonic() - tally.killed_at)
                if lease_left > 0:
                    print(
                        f"soak: load done; {lease_left:.0f} s until the killed process's leases end"
                    )
                    await asyncio.sleep(lease_left + 2)
                finished = await _finish_unsettled(http, balancer, tally, database_url)
            findings = await _check(two, tally)
            state = await two.upstreams.state()
            facts = {
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "database": database,
                "people, seconds of load": f"{args.users}, {load_seconds:.0f}",
                "killed (SIGKILL), restarted": results[0],
                "unsettled creates finished after": finished,
            }
            _report(tally, state, findings, facts)
    finally:
        if pg_name is not None and _PG_ADMIN_URL is not None:
            await _drop_pg_database(_PG_ADMIN_URL, pg_name)
    bad = findings.duplicates or findings.lost or tally.app_500s or tally.unworded
    print("\nsoak:", "FAILED" if bad else "passed")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=180.0, help="length of the load (default 180)"
    )
    parser.add_argument("--users", type=int, default=8, help="people working at once (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the faults and the people")
    parser.add_argument(
        "--sqlite", action="store_true", help="SQLite and one process even if PostgreSQL answers"
    )
    sys.exit(asyncio.run(_run(parser.parse_args())))


if __name__ == "__main__":
    main()
