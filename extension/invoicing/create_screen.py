"""What the create-invoice form shows, built from the fields as the browser holds them (pure).

The form re-renders from raw text so nothing typed is ever rewritten: "12,5,0" comes back as
"12,5,0" with a problem beside it. What is computed (line totals, the summary, the currency
hint) comes from parsing those same fields in the user's locale. The company's side (tax
model, codes, terms, currencies) comes from the signed books snapshot the form carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from extension.invoicing.books import BooksSnapshot
from extension.invoicing.draft_form import parse_draft_form
from extension.invoicing.drafts import RecurringBilling
from extension.invoicing.line_editing import ensure_keys, line_groups, with_lines
from extension.invoicing.line_math import DraftSummary, line_figures, summarize
from extension.invoicing.problems import Problem

__all__ = [
    "CurrencyHintKind",
    "CurrencyHint",
    "LineView",
    "CreateScreen",
    "ScreenNotice",
    "build_screen",
    "blank_line",
]


class CurrencyHintKind(StrEnum):
    HOME_ONLY = "home_only"  # multicurrency off and another currency chosen
    CUSTOMER_DIFFERS = "customer_differs"  # the linked customer bills in another currency
    NEW_CUSTOMER_CURRENCY = "new_customer_currency"  # not linked: a new customer gets it


@dataclass(frozen=True, slots=True)
class CurrencyHint:
    kind: CurrencyHintKind
    currency: str
    home: str
    customer_name: str = ""
    customer_currency: str = ""


class ScreenNotice(StrEnum):
    """A message above the form; the web layer words it."""

    NONE = ""
    PROBLEMS = "problems"  # pre-flight found problems: nothing was sent
    REFUSED = "refused"  # QuickBooks refused the invoice: nothing was created
    MAY_HAVE_COMMITTED = "may_have_committed"  # no answer: the next try resends it unchanged
    CUSTOMER_UPDATE_FAILED = "customer_update_failed"  # nothing was created


@dataclass(frozen=True, slots=True)
class LineView:
    index: int
    key: str
    fields: dict[str, str]
    total: Decimal | None  # the line as Pipedrive sums it before exclusive tax
    recurring: RecurringBilling | None
    linked: bool
    has_product: bool


@dataclass(frozen=True, slots=True)
class CreateScreen:
    deal_id: int
    draft_key: str
    books: BooksSnapshot
    books_token: str
    fields: dict[str, str]
    lines: tuple[LineView, ...]
    summary: DraftSummary
    unreadable_lines: int  # lines left out of the summary until their numbers can be read
    currency: str
    currency_hint: CurrencyHint | None
    problems: tuple[Problem, ...] = ()
    notice: ScreenNotice = ScreenNotice.NONE
    focus_key: str = ""
    deal_title: str = ""
    deal_url: str = ""
    # The failure behind a notice (worded by the web layer's one error path).
    error: Exception | None = None
    # An earlier draft of this deal whose invoice QuickBooks may have created unconfirmed.
    earlier_draft: str = ""

    @property
    def display_currency(self) -> str:
        """The currency to format money in: a three-letter code, or none while one is typed."""
        code = self.currency
        return code if len(code) == 3 and code.isascii() and code.isalpha() else ""

    @property
    def linked_customer(self) -> bool:
        return bool(self.fields.get("customer-customer_id"))

    @property
    def problem_fields(self) -> set[str]:
        return {p.field for p in self.problems}


def blank_line(tax_code_id: str = "") -> dict[str, str]:
    """The fields of a line added by hand: one unit, no product, the company's tax default."""
    return {
        "name": "",
        "description": "",
        "quantity": "1",
        "unit_price": "",
        "discount": "0",
        "discount_type": "percentage",
        "tax_rate": "0",
        "tax_code_id": tax_code_id,
        "service_date": "",
        "item_id": "",
        "item_name": "",
        "product_id": "",
        "product_code": "",
        "deal_product_id": "",
        "billing_frequency": "",
        "billing_cycles": "",
        "billing_start": "",
    }


def _currency_hint(fields: Mapping[str, str], books: BooksSnapshot) -> CurrencyHint | None:
    currency = fields.get("details-currency", "").strip().upper()
    if not currency:
        return None
    home = books.home_currency
    if not books.multicurrency and currency != home:
        return CurrencyHint(CurrencyHintKind.HOME_ONLY, currency, home)
    customer_id = fields.get("customer-customer_id", "")
    theirs = fields.get("customer-customer_currency", "").strip().upper() or home
    if customer_id and theirs != currency:
        return CurrencyHint(
            CurrencyHintKind.CUSTOMER_DIFFERS,
            currency,
            home,
            fields.get("customer-customer_name", ""),
            theirs,
        )
    if not customer_id and currency != home:
        return CurrencyHint(CurrencyHintKind.NEW_CUSTOMER_CURRENCY, currency, home)
    return None


def build_screen(
    form: Mapping[str, str],
    books: BooksSnapshot,
    books_token: str,
    *,
    deal_id: int,
    locale: str,
    problems: tuple[Problem, ...] = (),
    notice: ScreenNotice = ScreenNotice.NONE,
    focus_key: str = "",
    deal_title: str = "",
    deal_url: str = "",
) -> CreateScreen:
    """The screen for ``form`` (raw fields); every line gets a stable key."""
    groups = ensure_keys(line_groups(form))
    fields = with_lines(form, groups)
    draft, _ = parse_draft_form(fields, locale, None)
    lines = []
    for index, (group, line) in enumerate(zip(groups, draft.lines, strict=True)):
        numeric = None not in (line.quantity, line.unit_price, line.discount.value)
        lines.append(
            LineView(
                index=index,
                key=group["key"],
                fields=group,
                total=line_figures(line).total if numeric else None,
                recurring=line.recurring,
                linked=bool(line.item_id),
                has_product=line.product_id is not None,
            )
        )
    method = draft.details.tax_method
    summary = summarize(
        draft.lines, books.model, method, books.rates, draft.details.sales_tax_code_id
    )
    unreadable = sum(
        1
        for line in draft.lines
        if None in (line.quantity, line.unit_price, line.discount.value, line.tax_rate)
    )
    return CreateScreen(
        deal_id=deal_id,
        draft_key=fields.get("draft_key", ""),
        books=books,
        books_token=books_token,
        fields=fields,
        lines=tuple(lines),
        summary=summary,
        unreadable_lines=unreadable,
        currency=draft.details.currency,
        currency_hint=_currency_hint(fields, books),
        problems=problems,
        notice=notice,
        focus_key=focus_key,
        deal_title=deal_title or fields.get("deal_title", ""),
        deal_url=deal_url or fields.get("deal_url", ""),
    )
