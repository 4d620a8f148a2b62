"""Opening the create-invoice modal and creating a 10-line invoice, in-process against the
stand-ins with an injected upstream latency L: upstream calls, Pipedrive's token cost (the
stand-in charges each endpoint's published ``x-token-cost``), the round trips that had to wait
for one another, and the wall time.

Opening reads the deal, its person, organization and products, the remembered customer and
item links and QuickBooks' company lists; the field definitions are cached per company, so the
figures are those of a company that opened the modal before (the first opening warms them).
"""

from __future__ import annotations

import statistics
import time

from bs4 import BeautifulSoup

from bench.harness import Bench, in_process
from bench.report import Section
from tests.create.conftest import Form, Modal

__all__ = ["run"]

DEAL = 101  # "Website redesign": an organization, a person and three products
ROUNDS = 5


async def _ten_lines(modal: Modal, form: Form) -> None:
    """The deal's three lines and seven added by hand; the customer and every line linked."""
    for _ in range(7):
        response = await modal.post(
            f"/modals/create-invoice/{DEAL}/lines", {**form.fields, "op": "add", "line_key": ""}
        )
        lines = BeautifulSoup(response.text, "html.parser").select_one("#lines")
        old = form.page.select_one("#lines")
        assert lines is not None and old is not None
        old.replace_with(lines)
    fields = form.fields
    for index in range(3, 10):
        fields.update({f"lines-{index}-name": f"Extra {index}",
                       f"lines-{index}-unit_price": "12.34"})  # fmt: skip
    for key, value in fields.items():
        element = form.page.select_one(f"[name='{key}']")
        assert element is not None
        element["value"] = value
    await form.link_customer("customer:2")
    await form.link_all_lines("1")


async def _opening(bench: Bench, modal: Modal, latency: float, section: Section) -> Form:
    await modal.open(DEAL, "warm-up")  # field definitions are cached per company
    bench.set_latency(latency)
    times, calls = [], []
    for n in range(ROUNDS):
        bench.mark()
        start = time.perf_counter()
        page = await modal.open(DEAL, f"bench-{n}")
        times.append(time.perf_counter() - start)
        calls.append(bench.calls())
    wall = statistics.median(times)
    last = calls[-1]
    section.add("open modal: Pipedrive calls", last.pipedrive)
    section.add("open modal: QuickBooks calls", last.quickbooks)
    section.add("open modal: round trips one after another", last.rounds())
    section.add("open modal: wall time, median", wall * 1000, " ms",
                limit=2.5 * latency * 1000, target="open create modal, wall time")  # fmt: skip
    section.add("open modal: wall time / L", wall / latency, " L")
    section.add(
        "open modal: Pipedrive token cost",
        last.pipedrive_tokens,
        limit=15,
        target="open create modal, Pipedrive token cost",
        note="deal 1 + deal products 10 + person 1 + organization 1 + one per product (3)",
    )
    return Form(modal, DEAL, page)


async def _creating(bench: Bench, form: Form, latency: float, section: Section) -> None:
    bench.set_latency(0.0)
    await _ten_lines(form.modal, form)
    bench.set_latency(latency)
    bench.mark()
    start = time.perf_counter()
    response = await form.submit()
    wall = time.perf_counter() - start
    assert BeautifulSoup(response.text, "html.parser").select_one("#created"), response.text
    calls = bench.calls()
    section.add("create, 10 lines: QuickBooks calls", calls.quickbooks)
    section.add("create, 10 lines: Pipedrive calls", calls.pipedrive)
    section.add(
        "create, 10 lines: QuickBooks round trips one after another",
        calls.rounds("quickbooks"),
        limit=3,
        target="create 10-line invoice, dependent QuickBooks round trips",
    )
    section.add("create, 10 lines: wall time", wall * 1000, " ms")


async def run(latency: float) -> Section:
    section = Section(f"Create-invoice modal, deal {DEAL}, L = {latency * 1000:.0f} ms")
    async with in_process() as bench:
        modal = Modal(bench.client, bench.services, bench.qbo)
        form = await _opening(bench, modal, latency, section)
        await _creating(bench, form, latency, section)
    return section
