"""The in-process harness every benchmark shares: the app with its lifespan entered, both
stand-ins with an injected latency, a throw-away SQLite database, the sandbox company's admin
installed (through Pipedrive's consent) and QuickBooks connected (through Intuit's).

Upstream calls are counted from the stand-ins' own request logs (what arrived at "Pipedrive"
and "QuickBooks", and Pipedrive's token cost by its published per-endpoint ``x-token-cost``).
The app's two HTTP clients also record when each request left and its answer came back, so a
benchmark can tell how many of the calls had to wait for one another (dependent round trips).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from extension.app import create_app
from extension.sandbox.pipedrive import PipedriveStandIn
from extension.sandbox.pipedrive import stand_in as pipedrive_stand_in
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks import stand_in as quickbooks_stand_in
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.migrate import upgrade_async
from tests.support import (
    ADMIN_ID,
    BASE_URL,
    COMPANY_ID,
    ConsentFlow,
    RunningApp,
    connect_through_consent,
    make_settings,
    session_headers,
)

__all__ = ["Bench", "Calls", "Span", "in_process", "median_seconds", "dependent_rounds"]


@dataclass(frozen=True, slots=True)
class Span:
    """One upstream request as the app's client saw it: when it left and when it came back."""

    upstream: str
    method: str
    path: str
    started: float
    ended: float
    status: int


@dataclass(slots=True)
class _SpanRecorder:
    upstream: str
    spans: list[Span]
    _open: dict[int, float] = field(default_factory=dict)

    async def started(self, request: httpx.Request) -> None:
        self._open[id(request)] = time.perf_counter()

    async def answered(self, response: httpx.Response) -> None:
        request = response.request
        started = self._open.pop(id(request), time.perf_counter())
        self.spans.append(
            Span(
                self.upstream,
                request.method,
                request.url.path,
                started,
                time.perf_counter(),
                response.status_code,
            )
        )


@dataclass(frozen=True, slots=True)
class Calls:
    """What arrived at the stand-ins between two marks."""

    pipedrive: int
    quickbooks: int
    pipedrive_tokens: int
    throttled: int  # 429s answered by either stand-in, as the app's clients saw them
    spans: tuple[Span, ...]

    def rounds(self, upstream: str | None = None) -> int:
        return dependent_rounds([s for s in self.spans if upstream in (None, s.upstream)])


def dependent_rounds(spans: list[Span]) -> int:
    """The longest chain of requests each sent only after the one before it came back: how many
    round trips the user waits for, however many requests run side by side."""
    depth: list[int] = []
    ordered = sorted(spans, key=lambda s: s.started)
    for index, span in enumerate(ordered):
        before = [depth[j] for j in range(index) if ordered[j].ended <= span.started]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


@dataclass(slots=True)
class Bench:
    client: httpx.AsyncClient
    services: Services
    qbo: QuickBooksStandIn
    pipedrive: PipedriveStandIn
    spans: list[Span]
    _marks: tuple[int, int, int] = (0, 0, 0)

    def set_latency(self, seconds: float) -> None:
        """Every upstream call answers after ``seconds`` (both stand-ins)."""
        self.qbo.config.latency = seconds
        self.pipedrive.latency = seconds

    def headers(self, user_id: int = ADMIN_ID, **extra: str) -> dict[str, str]:
        """What the app's framed pages send on every htmx call."""
        return {**session_headers(self.services, company_id=COMPANY_ID, user_id=user_id), **extra}

    def mark(self) -> None:
        self._marks = (len(self.pipedrive.requests), len(self.qbo.requests), len(self.spans))

    def calls(self) -> Calls:
        """Upstream calls since the last :meth:`mark`."""
        pd_from, qb_from, span_from = self._marks
        pipedrive = self.pipedrive.requests[pd_from:]
        spans = tuple(self.spans[span_from:])
        return Calls(
            pipedrive=len(pipedrive),
            quickbooks=len(self.qbo.requests[qb_from:]),
            pipedrive_tokens=sum(r.token_cost for r in pipedrive),
            throttled=sum(1 for s in spans if s.status == 429),
            spans=spans,
        )


@asynccontextmanager
async def in_process(database_url: str | None = None) -> AsyncIterator[Bench]:
    """The app on a throw-away SQLite database (or ``database_url``), admin installed and
    QuickBooks (the stand-in's US company) connected; no latency until one is set."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade_async(url)
        application = create_app(make_settings(url))
        async with application.router.lifespan_context(application) as state:
            running = RunningApp(application, dict(state or {}))
            services = running.services
            assert services.sandbox is not None
            spans: list[Span] = []
            for name, http in (
                ("pipedrive", services.pipedrive_http),
                ("quickbooks", services.quickbooks_http),
            ):
                recorder = _SpanRecorder(name, spans)
                http.event_hooks["request"].append(recorder.started)
                http.event_hooks["response"].append(recorder.answered)
            transport = httpx.ASGITransport(app=running)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                await ConsentFlow(client).install(user_id=ADMIN_ID)
                connected = await connect_through_consent(
                    client, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
                )
                assert connected.status_code == 200, connected.text
                yield Bench(
                    client=client,
                    services=services,
                    qbo=quickbooks_stand_in(services.sandbox),
                    pipedrive=pipedrive_stand_in(services.sandbox),
                    spans=spans,
                )


async def median_seconds(act: Callable[[], Awaitable[object]], rounds: int) -> float:
    """Median wall time of ``rounds`` runs of ``act`` after one to warm up."""
    await act()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await act()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
