"""The sandbox's Pipedrive company with the app installed and QuickBooks connected, and helpers
to make invoices in the QuickBooks stand-in and link them to deal 101 as the product would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.accounts.quickbooks_connection import client_for_company
from extension.invoicing.company_clock import CompanyClock, learn_clock
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.invoice_models import Invoice, InvoiceDraft, InvoiceLineDraft
from extension.sandbox.quickbooks import QuickBooksStandIn, stand_in
from extension.sandbox.quickbooks.payments import create_payment
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.deal_links import link_invoice
from extension.store.link_models import ContactKind, LinkOrigin
from extension.store.links import link_contact
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    REP_ID,
    ConsentFlow,
    SleepRecorder,
    connect_through_consent,
    session_headers,
)

DEAL = 101  # "Website redesign": organization 201, person 301
ZONE = ZoneInfo("America/Los_Angeles")  # the stand-in's US company keeps its books there
OTHER_DEAL = 102
AMY = "1"  # Amy's Bird Sanctuary (USD)
COOL_CARS = "2"


@dataclass
class Sandbox:
    client: httpx.AsyncClient
    services: Services
    db: async_sessionmaker[AsyncSession]
    qbo: QuickBooksStandIn
    qb: QuickBooksClient

    def headers(self, user_id: int = ADMIN_ID, **extra: str) -> dict[str, str]:
        return {**session_headers(self.services, company_id=COMPANY_ID, user_id=user_id), **extra}

    async def invoice(
        self,
        amount: str = "100.00",
        *,
        customer: str = AMY,
        txn_date: date | None = None,
        due_date: date | None = None,
        email: str = "birds@intuit.example",
        online: bool = False,
        number: str = "",
    ) -> Invoice:
        """An invoice made in the QuickBooks stand-in through its API (the client)."""
        line = InvoiceLineDraft(item_id="1", amount=Decimal(amount), description="Work")
        draft = InvoiceDraft(
            customer_id=customer,
            lines=(line,),
            txn_date=txn_date,
            due_date=due_date,
            bill_email=email,
            allow_online_payment=online,
            doc_number=number,
        )
        return await self.qb.create_invoice(draft)

    async def link(
        self, invoice_id: str, deal_id: int = DEAL, title: str = "Website redesign"
    ) -> None:
        async with self.db() as session, session.begin():
            await link_invoice(
                session,
                COMPANY_ID,
                realm_id=US_REALM_ID,
                invoice_id=invoice_id,
                deal_id=deal_id,
                deal_title=title,
                origin=LinkOrigin.CREATED,
                user_id=ADMIN_ID,
            )

    async def link_contact(
        self,
        customer: str = AMY,
        *,
        kind: ContactKind = ContactKind.ORGANIZATION,
        contact: int = 201,
    ) -> None:
        names = {AMY: "Amy's Bird Sanctuary", COOL_CARS: "Cool Cars"}
        async with self.db() as session, session.begin():
            await link_contact(
                session,
                COMPANY_ID,
                kind=kind,
                contact_id=contact,
                realm_id=US_REALM_ID,
                customer_id=customer,
                customer_name=names.get(customer, ""),
                customer_currency="USD",
                user_id=ADMIN_ID,
            )

    def pay(self, invoice_id: str, amount: str) -> dict[str, Any]:
        """A payment recorded in the stand-in (what its payment page does)."""
        company = self.qbo.companies[US_REALM_ID]
        invoice = company.get("Invoice", invoice_id)
        assert invoice is not None
        return create_payment(
            company,
            {
                "CustomerRef": invoice["CustomerRef"],
                "TotalAmt": Decimal(amount),
                "Line": [
                    {
                        "Amount": Decimal(amount),
                        "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
                    }
                ],
            },
        )

    def stored(self, invoice_id: str) -> dict[str, Any] | None:
        return self.qbo.companies[US_REALM_ID].get("Invoice", invoice_id)

    def writes(self) -> list[Any]:
        return [r for r in self.qbo.requests if r.method == "POST"]

    async def content(self, user_id: int = ADMIN_ID, deal_id: int = DEAL) -> httpx.Response:
        return await self.client.get(
            f"/panel/deal/{deal_id}/content",
            headers=self.headers(user_id, **{"HX-Target": "panel-content"}),
        )

    async def refresh(self, user_id: int = ADMIN_ID, deal_id: int = DEAL) -> httpx.Response:
        return await self.client.post(
            f"/panel/deal/{deal_id}/refresh",
            headers=self.headers(user_id, **{"HX-Target": "invoice-list"}),
        )

    async def act(
        self,
        action: str,
        invoice_id: str,
        *,
        user_id: int = ADMIN_ID,
        deal_id: int = DEAL,
        **form: str,
    ) -> httpx.Response:
        return await self.client.post(
            f"/deals/{deal_id}/invoices/{invoice_id}/{action}",
            data={"view": "panel", **form},
            headers=self.headers(user_id, **{"HX-Target": f"invoice-{invoice_id}"}),
        )


@pytest.fixture
async def sandbox(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> Sandbox:
    SleepRecorder().install(services)
    flow = ConsentFlow(client)
    assert (await flow.install(user_id=ADMIN_ID)).status_code in (200, 303)
    assert (await flow.install(user_id=REP_ID)).status_code in (200, 303)
    connected = await connect_through_consent(
        client, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
    )
    assert connected.status_code == 200, connected.text
    assert services.sandbox is not None
    qbo = stand_in(services.sandbox)
    qb = await client_for_company(services, COMPANY_ID)
    # The company's zone, as CompanyInfo.DefaultTimeZone names it, known from the start: every
    # "today" below is the stand-in company's today.
    async with db() as session, session.begin():
        await learn_clock(session, COMPANY_ID, US_REALM_ID, CompanyClock(), zone=ZONE.key)
    qbo.requests.clear()
    return Sandbox(client, services, db, qbo, qb)


def company_today() -> date:
    return datetime.now(ZONE).date()


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def row(response: httpx.Response, invoice_id: str) -> Tag:
    found = soup(response).select_one(f"#invoice-{invoice_id}")
    assert found is not None, response.text
    return found


def status_of(response: httpx.Response, invoice_id: str) -> str:
    return str(row(response, invoice_id)["data-status"])
