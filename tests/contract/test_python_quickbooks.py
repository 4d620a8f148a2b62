"""python-quickbooks (with intuit-oauth) against the stand-in, over real HTTP.

Both libraries were written against Intuit's live API, not against our stand-in: what they send
is what QuickBooks accepts in practice (full-object updates with read-only values in them,
empty strings for unset names, ``SELECT *, Sku FROM Item``, ``ORDER BY``), and how they read
answers is how QuickBooks answers. The stand-in must take the first and give the second. They
are synchronous (requests), so the app runs under uvicorn on a loopback port; intuit-oauth
finds the stand-in's endpoints through its OpenID discovery document, as it finds Intuit's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.term import Term

from extension.sandbox.quickbooks.seed import US_REALM_ID
from tests.live_server import LiveServer


@pytest.fixture
def qb(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> QuickBooks:
    """A python-quickbooks client connected the way its README says, through the stand-in."""
    # requests-oauthlib refuses plain http; the stand-in is on loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings = live_server.settings
    standin = live_server.base_url + "/sandbox/quickbooks"
    auth = AuthClient(
        client_id=settings.qbo_client_id,
        client_secret=str(settings.qbo_client_secret),
        redirect_uri=settings.app_base_url + "/quickbooks/callback",
        environment=standin + "/.well-known/openid_sandbox_configuration/",
    )
    assert auth.revoke_endpoint == standin + "/v2/oauth2/tokens/revoke"
    # The consent page, as an admin answers it; the code is taken from the redirect.
    with requests.Session() as browser:
        consent = browser.get(auth.get_authorization_url([Scopes.ACCOUNTING]), timeout=10)
        form = BeautifulSoup(consent.text, "html.parser").find("form")
        assert form is not None, consent.text
        data = {str(i["name"]): str(i.get("value", "")) for i in form.find_all("input")
                if i.get("type") != "radio"}  # fmt: skip
        data.update(realm_id=US_REALM_ID, decision="connect")
        decided = browser.post(
            live_server.base_url + str(form["action"]) if str(form["action"]).startswith("/")
            else str(form["action"]), data=data, allow_redirects=False, timeout=10,
        )  # fmt: skip
    query = parse_qs(urlsplit(decided.headers["location"]).query)
    auth.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])
    client = QuickBooks(
        auth_client=auth,
        refresh_token=auth.refresh_token,
        company_id=US_REALM_ID,
        minorversion=75,
        use_decimal=True,
    )
    client.api_url_v3 = standin + "/v3"  # its one setting for where the API lives
    return client


def test_lists_and_queries(qb: QuickBooks) -> None:
    customers = Customer.all(qb=qb)
    assert {c.DisplayName for c in customers} == {
        "Amy's Bird Sanctuary", "Cool Cars", "Maple Leaf Imports"}  # fmt: skip
    items = Item.all(qb=qb)  # SELECT *, Sku FROM Item
    assert "Services" in {i.Name for i in items}
    found = Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)
    assert [c.Id for c in found] == ["1"]
    assert Customer.count(qb=qb) == 3
    terms = Term.where("Active = true", order_by="DueDays DESC", qb=qb)
    assert [t.DueDays for t in terms] == [60, 30, 15, 0]
    with pytest.raises(ValidationException) as caught:
        Invoice.where("DocNum = '1001'", qb=qb)
    assert caught.value.error_code == 4001


def test_customer_created_and_fully_updated_as_the_library_sends_them(qb: QuickBooks) -> None:
    customer = Customer()
    customer.GivenName = "Ada"
    customer.FamilyName = "Lovelace"
    customer.CompanyName = "Analytical Engines"
    saved = customer.save(qb=qb)  # empty strings for the other names, Level, IsProject…
    assert saved.DisplayName == "Ada Lovelace" and saved.Id
    fetched = Customer.get(saved.Id, qb=qb)
    fetched.Notes = "Met at the exhibition"
    updated = fetched.save(qb=qb)  # a full update with every property read back
    assert updated.Notes == "Met at the exhibition"
    assert updated.CompanyName == "Analytical Engines" and updated.SyncToken == "1"


def test_invoice_lifecycle(qb: QuickBooks) -> None:
    customer = Customer.get(2, qb=qb)
    item = Item.get(1, qb=qb)
    line = SalesItemLine()
    line.Amount = Decimal("150.00")
    line.Description = "Consulting"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = Decimal("1.5")
    line.SalesItemLineDetail.UnitPrice = Decimal("100")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    created = invoice.save(qb=qb, request_id="contract-invoice-1")
    assert Decimal(str(created.TotalAmt)) == Decimal("150") and created.DocNumber
    again = invoice.save(qb=qb, request_id="contract-invoice-1")  # requestid replay
    assert again.Id == created.Id
    read = Invoice.get(created.Id, qb=qb)
    read.PrivateNote = "deal 42"
    updated = read.save(qb=qb)  # full update carrying TotalAmt, Balance, MetaData back
    assert updated.PrivateNote == "deal 42" and updated.SyncToken == "1"
    assert Decimal(str(updated.Balance)) == Decimal("150")
    assert [i.Id for i in Invoice.filter(DocNumber=created.DocNumber, qb=qb)] == [created.Id]
    assert qb.download_pdf("invoice", created.Id).startswith(b"%PDF")
    sent = updated.send(qb=qb, send_to="ap@cool-cars.example")
    assert sent["Invoice"]["EmailStatus"] == "EmailSent"
    Invoice.get(created.Id, qb=qb).void(qb=qb)
    voided = Invoice.get(created.Id, qb=qb)
    assert voided.PrivateNote == "Voided - deal 42" and Decimal(str(voided.TotalAmt)) == 0
    since = datetime.fromisoformat(voided.MetaData.LastUpdatedTime) - timedelta(minutes=5)
    changes = change_data_capture([Invoice], since.isoformat(), qb=qb)
    assert created.Id in {i.Id for i in changes.Invoice}


def test_errors_reach_the_library_as_quickbooks_errors(qb: QuickBooks) -> None:
    invoice = Invoice()
    invoice.CustomerRef = Customer.get(1, qb=qb).to_ref()
    line = SalesItemLine()
    line.Amount = 10
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = {"value": "999"}
    invoice.Line = [line]
    with pytest.raises(QuickbooksException) as caught:
        invoice.save(qb=qb)
    assert caught.value.error_code == 2500


def test_batch_create(qb: QuickBooks) -> None:
    customers = []
    for name in ("Batch One", "Batch Two"):
        customer = Customer()
        customer.DisplayName = name
        customers.append(customer)
    results = batch_create(customers, qb=qb)
    assert sorted(c.DisplayName for c in results.successes) == ["Batch One", "Batch Two"]
    assert results.faults == []
