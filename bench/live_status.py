"""Live status, measured: QuickBooks requests per burst of N webhook events, and the delay from
a payment recorded on the QuickBooks stand-in's payment page to the open deal panel showing it.

Run from the repository root: ``.venv/bin/python -m bench.live_status [--payments 5]``.
Everything runs on 127.0.0.1 in sandbox mode with a throw-away SQLite database: the app (its
event worker and reconciler in the background, as in production), the stand-ins, and Debian's
chromium driven by Playwright for the delay.

- **Requests per burst**: N linked invoices each paid in QuickBooks, then Intuit's 2·N
  notifications (a Payment and an Invoice event each) in one delivery; the requests the event
  worker sends for them, against the 2·N a one-read-per-event worker would send.
- **Payment → panel**: the deal panel open in Chromium; a payment recorded on the stand-in's
  payment page; the time until the invoice's card says Paid (Playwright checks every few
  milliseconds). The panel asks every two seconds, so about one second of each delay is the
  wait for its next question.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn

from bench.report import Section
from extension.app import create_app
from extension.invoicing.event_worker import EventWorker
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft
from extension.quickbooks.limits import BackgroundShare
from extension.sandbox.quickbooks import rules, stand_in, webhook_sender
from extension.sandbox.quickbooks.payments import create_payment
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.settings import Settings
from extension.store.deal_links import link_invoice
from extension.store.link_models import LinkOrigin
from extension.store.migrate import upgrade
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    TEST_ENV,
    ConsentFlow,
    RunningApp,
    connect_through_consent,
)

DEAL = 101
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


async def _burst(size: int, directory: Path) -> int:
    """QuickBooks requests the event worker sends for ``2 * size`` notifications."""
    url = f"sqlite+aiosqlite:///{directory / f'burst-{size}.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = Settings.from_env({**TEST_ENV, "DATABASE_URL": url})  # background off
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        running = RunningApp(app, dict(state or {}))
        services = running.services
        transport = httpx.ASGITransport(app=running)
        async with httpx.AsyncClient(transport=transport, base_url=settings.app_base_url) as http:
            await ConsentFlow(http).install(user_id=ADMIN_ID)
            await connect_through_consent(
                http, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
            )
        assert services.sandbox is not None
        qbo = stand_in(services.sandbox)
        company = qbo.companies[US_REALM_ID]
        body = InvoiceDraft(
            customer_id="1", lines=(InvoiceLineDraft(item_id="1", amount=Decimal("100")),)
        ).to_api()
        async with services.sessionmaker() as session, session.begin():
            for _ in range(size):  # made in the stand-in directly: its API would throttle
                invoice = rules.create_invoice(company, dict(body))
                await link_invoice(session, COMPANY_ID, realm_id=US_REALM_ID,
                                   invoice_id=invoice["Id"], deal_id=DEAL, deal_title="Bench",
                                   origin=LinkOrigin.CREATED, user_id=ADMIN_ID)  # fmt: skip
        before = len(company.changes)
        for invoice_id in list(company.table("Invoice")):
            create_payment(company, {
                "CustomerRef": {"value": "1"}, "TotalAmt": Decimal("40"),
                "Line": [{"Amount": Decimal("40"),
                          "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
            })  # fmt: skip
        sender = webhook_sender(services.sandbox)
        sender.notify(US_REALM_ID, company.changes[before:])
        await sender.drain()
        qbo.requests.clear()
        worker = EventWorker(services, "bench", BackgroundShare(services.runtime.realm_limits))
        while await worker.apply_pending():
            pass
        return len(qbo.requests)


@contextmanager
def _server(directory: Path) -> Iterator[tuple[str, Settings]]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite+aiosqlite:///{directory / 'live.db'}"
    upgrade(url)
    env = {**TEST_ENV, "APP_BASE_URL": base, "DATABASE_URL": url, "QBO_BACKGROUND_SYNC": "1"}
    settings = Settings.from_env(env)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield base, settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _delays(payments: int, directory: Path) -> list[float]:
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.walk import create_invoice, quickbooks_token

    class _Server:  # what the walk's helpers need of a live server
        def __init__(self, base_url: str, settings: Settings) -> None:
            self.base_url, self.settings = base_url, settings

    delays: list[float] = []
    with _server(directory) as (base, settings), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{base}/sandbox/deals/{DEAL}?user=admin")
        page.get_by_role("button", name="Install app").click()
        page.get_by_role("button", name="Allow and install").click()
        page.wait_for_url("**/sandbox/settings?**")
        settings_frame = page.frame_locator("iframe[data-kind=settings]")
        with page.expect_popup() as consent_window:
            settings_frame.get_by_role("button", name="Connect to QuickBooks").click()
        consent = consent_window.value
        consent.get_by_role("button", name="Connect").click()
        consent.close()
        expect(settings_frame.locator("#qbo-connection")).to_contain_text("Connected to")
        server = _Server(base, settings)
        token = quickbooks_token(server)  # type: ignore[arg-type]
        line = {"DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}  # fmt: skip
        ids = [
            create_invoice(server, token, {"CustomerRef": {"value": "1"},  # type: ignore[arg-type]
                                           "Line": [{**line, "Amount": 100}]})["Id"]
            for _ in range(payments)
        ]  # fmt: skip
        from tests.browser.walk import link

        link(server, ids)  # type: ignore[arg-type]
        page.goto(f"{base}/sandbox/deals/{DEAL}?user=admin")
        panel = page.frame_locator("iframe[data-kind=panel]")
        tab = page.context.new_page()
        for index, invoice_id in enumerate(ids):
            row = panel.locator(f"#invoice-{invoice_id}")
            expect(row).to_have_attribute("data-status", "open", timeout=15_000)
            tab.goto(f"{base}/sandbox/quickbooks/payments/new?invoice={invoice_id}")
            tab.get_by_label("Amount").fill("100")
            # Not in step with the panel's questions: a payment lands anywhere in between.
            page.wait_for_timeout(700 * (index % 3))
            started = time.monotonic()
            tab.get_by_role("button", name="Record payment").click()
            expect(row).to_have_attribute("data-status", "paid", timeout=15_000)
            delays.append(time.monotonic() - started)
        browser.close()
    return delays


async def run_bursts() -> Section:
    """The requests-per-burst half, for ``python -m bench`` (the browser half runs alone)."""
    section = Section("Live status: QuickBooks requests for a burst of webhook events")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (10, 400):
            requests = await _burst(size, Path(tmp))
            section.add(f"{2 * size} events: QuickBooks requests", requests)
            section.add(f"{2 * size} events: one read per event would send", 2 * size)
    return section


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_status")
    parser.add_argument("--payments", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        print("QuickBooks requests for a burst of notifications (a payment and an invoice each)")
        for size in (1, 10, 100, 400):
            requests = asyncio.run(_burst(size, directory))
            print(
                f"  {2 * size:4d} events: {requests} requests"
                f" (one read per event: {2 * size}; ratio {2 * size / requests:.0f}x)"
            )
        delays = _delays(args.payments, directory)
    print(f"payment recorded -> panel shows Paid, {len(delays)} payments:")
    print(
        f"  min {min(delays):.2f} s, median {statistics.median(delays):.2f} s,"
        f" max {max(delays):.2f} s"
    )


if __name__ == "__main__":
    main()
