"""The create-invoice modal in the user's language: the glossary's terms, money and numbers in
their formats, problems in their words, and numbers typed their way."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.create.conftest import Modal, form_fields
from tests.support import ConsentFlow

FINNISH_ID, RUSSIAN_ID = 9003, 9004


async def test_a_finnish_user_reads_and_types_the_invoice_in_finnish(modal: Modal) -> None:
    await ConsentFlow(modal.client).install(user_id=FINNISH_ID)
    aino = Modal(modal.client, modal.services, modal.qbo, user_id=FINNISH_ID)
    page = await aino.open(101)
    headings = [h.get_text(strip=True) for h in page.select(".invoice-form__section h2")]
    assert headings == ["Asiakastiedot", "Laskun tiedot"]
    assert page.select_one("#lines-title").get_text() == "Laskun kohteet"  # type: ignore[union-attr]
    assert page.select_one("label[for=customer-name]").get_text() == "Vastaanottaja"  # type: ignore[union-attr]
    totals = [o.get_text() for o in page.select("output.line__total")]
    assert totals == ["9\u00a0000,00\u00a0$", "3\u00a0500,00\u00a0$", "300,00\u00a0$"]
    fields = form_fields(page.select_one("#invoice-form"))  # type: ignore[arg-type]
    # A Finnish user types decimals with a comma; the form reads them so.
    summary = await aino.post(
        "/modals/create-invoice/101/summary", {**fields, "lines-0-quantity": "1,5"}
    )
    line = BeautifulSoup(summary.text, "html.parser").select_one("output.line__total")
    assert line is not None and line.get_text() == "13\u00a0500,00\u00a0$"
    refused = await aino.submit(101, {**fields, "lines-0-quantity": "abc"})
    errors = BeautifulSoup(refused.text, "html.parser")
    assert errors.select_one("#lines-0-quantity-error").get_text(strip=True) == (  # type: ignore[union-attr]
        "”abc” ei ole luku."
    )
    assert "QuickBooksiin ei lähetetty mitään" in errors.select_one("#form-notice").get_text()  # type: ignore[union-attr]


async def test_a_russian_user_gets_the_three_plural_forms(modal: Modal) -> None:
    await ConsentFlow(modal.client).install(user_id=RUSSIAN_ID)
    irina = Modal(modal.client, modal.services, modal.qbo, user_id=RUSSIAN_ID)
    page = await irina.open(101)
    fields = form_fields(page.select_one("#invoice-form"))  # type: ignore[arg-type]
    refused = await irina.submit(101, fields)  # nothing is linked: four problems
    notice = BeautifulSoup(refused.text, "html.parser").select_one("#form-notice")
    assert notice is not None and "4 пункта требуют вашего внимания." in notice.get_text()
