"""The form's live parts: lines added, moved and removed; the summary re-rendered from what is
typed; the due date from the terms. Nothing typed is rewritten, nothing is swapped that the
user may be typing in."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.create.conftest import Modal, open_form


async def test_lines_are_added_moved_and_removed_keeping_what_was_typed(modal: Modal) -> None:
    form = await open_form(modal, 101)
    first, second, third = form.line_keys()
    typed = {**form.fields, "lines-1-quantity": "12,5,0"}  # not a number yet: kept as typed

    async def op(name: str, key: str, fields: dict[str, str]) -> BeautifulSoup:
        response = await modal.post(
            "/modals/create-invoice/101/lines", {**fields, "op": name, "line_key": key}
        )
        assert response.status_code == 200, response.text
        page = BeautifulSoup(response.text, "html.parser")
        assert page.select_one("#summary[hx-swap-oob]") is not None
        return page

    moved = await op("up", second, typed)
    keys = [str(li["data-line-key"]) for li in moved.select("#lines li.line")]
    assert keys == [second, first, third]
    assert moved.select_one("#lines-0-quantity")["value"] == "12,5,0"
    assert moved.select_one("#lines")["data-focus"] == second

    added = await op("add", first, typed)
    rows = added.select("#lines li.line")
    assert len(rows) == 4 and str(rows[0]["data-line-key"]) == first
    new = rows[1]
    assert added.select_one("#lines")["data-focus"] == new["data-line-key"]
    assert new.select_one("input[name=lines-1-name]")["value"] == ""
    assert new.select_one("input[name=lines-1-quantity]")["value"] == "1"
    assert new.select_one("select[name=lines-1-tax_code_id] option[selected]")["value"] == "NON"
    assert new.select_one(".line__item--unlinked") is not None  # items searched directly

    removed = await op("remove", third, typed)
    assert [str(li["data-line-key"]) for li in removed.select("#lines li.line")] == [
        first,
        second,
    ]
    summary = removed.select_one("#summary")
    assert summary is not None
    assert "1 line is left out until its numbers can be read." in summary.get_text()


async def test_the_summary_and_line_totals_follow_what_is_typed(modal: Modal) -> None:
    form = await open_form(modal, 101)
    keys = form.line_keys()
    response = await modal.post(
        "/modals/create-invoice/101/summary",
        {**form.fields, "lines-0-quantity": "2", "details-currency": "EUR"},
    )
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    swapped = sorted(str(e["id"]) for e in page.select("[hx-swap-oob]"))
    assert swapped == sorted(["summary", "currency-hint", *[f"line-total-{k}" for k in keys]])
    assert page.select_one(f"#line-total-{keys[0]}").get_text() == "€18,000.00"
    total = page.select_one("#summary [data-total]")
    assert (
        total is not None and total.get_text() == "€23,520.00"
    )  # 21,800 net + 8% on the 21,500 taxable
    # Two sentences with white space between them, as the browser shows it.
    note = " ".join(page.select_one("#summary .summary__note").get_text().split())
    assert note == "Tax is added to the lines at the QuickBooks rates shown. Amounts in EUR."
    hint = page.select_one("#currency-hint")
    assert hint is not None and "billed in EUR from then on" in hint.get_text()
    assert page.select("input, select, textarea") == []  # no field is ever replaced


async def test_choosing_terms_recomputes_the_due_date(modal: Modal) -> None:
    form = await open_form(modal, 101)
    response = await modal.post(
        "/modals/create-invoice/101/due-date",
        {**form.fields, "details-invoice_date": "2026-03-13", "details-terms_id": "2"},
    )
    page = BeautifulSoup(response.text, "html.parser")
    due = page.select_one("#due-date-field #details-due_date")
    assert due is not None and due["value"] == "2026-03-28"  # Net 15


async def test_an_untaxed_invoice_says_so_and_names_its_currency(modal: Modal) -> None:
    form = await open_form(modal, 105)  # "Seed delivery subscription": a product without tax
    response = await modal.post("/modals/create-invoice/105/summary", form.fields)
    page = BeautifulSoup(response.text, "html.parser")
    note = " ".join(page.select_one("#summary .summary__note").get_text().split())
    assert note == "No tax on this invoice. Amounts in USD."
