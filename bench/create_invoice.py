"""Opening the create-invoice modal and creating a 10-line invoice, in-process against the
stand-ins: how many upstream calls each takes, and its wall time with every upstream call
answering after a fixed latency, against what the same calls would take one after another.

Run from the repository root: ``.venv/bin/python -m bench.create_invoice [--latency 0.05]``.
Uses a throw-away SQLite database. The ratio "wall / sequential" says how much of the waiting
the parallel reads save (1.0 = none).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

from extension.app import create_app
from extension.sandbox.pipedrive import stand_in as pipedrive_stand_in
from extension.sandbox.quickbooks import stand_in as quickbooks_stand_in
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.store.migrate import upgrade_async
from tests.create.conftest import Form, Modal
from tests.support import (
    ADMIN_ID,
    BASE_URL,
    COMPANY_ID,
    ConsentFlow,
    RunningApp,
    connect_through_consent,
    make_settings,
    record,
)


async def _run(latency: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade_async(url)
        application = create_app(make_settings(url))
        async with application.router.lifespan_context(application) as state:
            running = RunningApp(application, dict(state or {}))
            services = running.services
            transport = httpx.ASGITransport(app=running)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                await ConsentFlow(client).install(user_id=ADMIN_ID)
                await connect_through_consent(
                    client, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
                )
                assert services.sandbox is not None
                qbo = quickbooks_stand_in(services.sandbox)
                pipedrive = pipedrive_stand_in(services.sandbox)
                modal = Modal(client, services, qbo)
                await modal.open(101, "warm-up")  # field definitions are cached per company
                qbo.config.latency = latency
                pipedrive.latency = latency
                pd_calls, qb_calls = record(services, "pipedrive"), record(services, "quickbooks")

                times = []
                for n in range(rounds):
                    pd_calls.requests.clear()
                    qb_calls.requests.clear()
                    start = time.perf_counter()
                    page = await modal.open(101, f"bench-{n}")
                    times.append(time.perf_counter() - start)
                opened = (len(pd_calls.requests), len(qb_calls.requests))
                open_wall = statistics.median(times)

                # Ten lines: the deal's three and seven added by hand, all linked to one item.
                form = Form(modal, 101, page)
                for _ in range(7):
                    response = await modal.post(
                        "/modals/create-invoice/101/lines",
                        {**form.fields, "op": "add", "line_key": ""},
                    )
                    lines = BeautifulSoup(response.text, "html.parser").select_one("#lines")
                    assert lines is not None
                    form.page.select_one("#lines").replace_with(lines)  # type: ignore[union-attr]
                fields = form.fields
                for index in range(3, 10):
                    fields.update({f"lines-{index}-name": f"Extra {index}",
                                   f"lines-{index}-unit_price": "12.34"})  # fmt: skip
                for key, value in fields.items():
                    form.page.select_one(f"[name='{key}']")["value"] = value  # type: ignore[index]
                await form.link_customer("customer:2")
                await form.link_all_lines("1")
                pd_calls.requests.clear()
                qb_calls.requests.clear()
                start = time.perf_counter()
                response = await form.submit()
                create_wall = time.perf_counter() - start
                assert BeautifulSoup(response.text, "html.parser").select_one("#created")
                created = (len(pd_calls.requests), len(qb_calls.requests))

    print(f"upstream latency per call: {latency * 1000:.0f} ms")
    for label, calls, wall in (
        ("open the modal", opened, open_wall),
        ("create, 10 lines", created, create_wall),
    ):
        sequential = (calls[0] + calls[1]) * latency
        ratio = wall / sequential if sequential else float("nan")
        print(
            f"{label:18} Pipedrive {calls[0]:2} calls, QuickBooks {calls[1]:2} calls, "
            f"wall {wall * 1000:6.0f} ms, one after another {sequential * 1000:6.0f} ms, "
            f"ratio {ratio:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    parser.add_argument("--rounds", type=int, default=5, help="openings to take the median of")
    args = parser.parse_args()
    asyncio.run(_run(args.latency, args.rounds))


if __name__ == "__main__":
    main()
