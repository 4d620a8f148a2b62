"""The stand-in's random faults (the load test's knob): seeded, at the rates asked for, and
answered like the one-off faults the other tests inject."""

from __future__ import annotations

import contextlib
from collections import Counter
from decimal import Decimal

import pytest

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault, RandomFaults
from tests.support import SleepRecorder

RATES = {"500": 0.025, "503": 0.025, "timeout": 0.01, "timeout_after_commit": 0.01}


def _kinds(faults: RandomFaults, method: str, draws: int) -> list[str | None]:
    return [(f.kind if (f := faults.draw(method)) else None) for _ in range(draws)]


def test_the_same_seed_draws_the_same_faults_at_about_the_rates() -> None:
    first = _kinds(RandomFaults(RATES, seed=7), "POST", 20_000)  # type: ignore[arg-type]
    again = _kinds(RandomFaults(RATES, seed=7), "POST", 20_000)  # type: ignore[arg-type]
    other = _kinds(RandomFaults(RATES, seed=8), "POST", 20_000)  # type: ignore[arg-type]
    assert first == again and first != other
    counts = Counter(first)
    for kind, rate in RATES.items():
        assert abs(counts[kind] / 20_000 - rate) < rate * 0.25, (kind, counts[kind])


def test_a_read_never_times_out_after_a_commit_and_every_fault_is_counted() -> None:
    faults = RandomFaults({"timeout_after_commit": 1.0})
    assert _kinds(faults, "GET", 3) == ["timeout"] * 3
    assert _kinds(faults, "POST", 2) == ["timeout_after_commit"] * 2
    assert faults.injected == Counter({"timeout": 3, "timeout_after_commit": 2})


@pytest.mark.parametrize("rates", [{"500": 1.5}, {"500": -0.1}, {"500": 0.6, "503": 0.6}])
def test_rates_that_are_no_probabilities_are_refused(rates: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RandomFaults(rates)  # type: ignore[arg-type]


async def test_the_api_answers_drawn_faults_after_the_one_off_ones(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, sleeps: SleepRecorder
) -> None:
    draft = InvoiceDraft(
        customer_id="2", lines=(InvoiceLineDraft(item_id="2", amount=Decimal(75)),)
    )
    qbo.config.random_faults = RandomFaults({"timeout_after_commit": 1.0})
    qbo.config.faults.append(InjectedFault("503"))
    with contextlib.suppress(QuickBooksError):  # what the client makes of it is its business
        await qb.create_invoice(draft)
    posts = [r for r in qbo.requests if r.method == "POST"]
    # The one-off 503 first, then drawn timeouts after commit: one invoice, whatever the tries.
    assert len(posts) == 3 and len({p.query["requestid"] for p in posts}) == 1
    assert qbo.config.random_faults.injected == Counter({"timeout_after_commit": 2})
    assert len(qbo.companies[US_REALM_ID].table("Invoice")) == 1
