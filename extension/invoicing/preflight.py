"""Every problem of a draft, found before anything is sent to QuickBooks, all at once.

QuickBooks must never be the first to find a problem. The checks here repeat the business
rules and limits QuickBooks enforces, each with its source:

- ``DocNumber`` at most 21 characters (Intuit Invoice reference; reference §3.1), unique
  (6140), only with custom transaction numbers (``SalesFormsPrefs.CustomTxnNumbers``).
- Line ``Description`` and ``PrivateNote`` at most 4000 characters (Intuit Invoice reference).
- At most 750 lines on a taxable invoice (Intuit Invoice business rules).
- ``Amount`` "max 15 digits in 10.5 format" (Intuit reference): under 10¹⁰, and quantities
  with at most five decimals (the same money format; QuickBooks documents no other).
- Addresses: ``Line1``–``Line5`` at most 500 characters each and 2000 together, ``City``,
  ``Country`` and ``CountrySubDivisionCode`` 255, ``PostalCode`` 30 (PhysicalAddress).
- Email: at most 100 characters (EmailAddress) and containing ``@`` and ``.`` (Customer rules).
- The transaction currency is the customer's, and only the home currency without
  multicurrency ("Manage multiple currencies"; reference §3.1 ``CurrencyRef``).
- ``DisplayName`` unique across customers, vendors and employees (6240), without ``:``, tab or
  newline, at most 500 characters (Customer rules).
- Global companies: a tax code on every line (QuickBooks refuses "Make sure all your
  transactions have a VAT rate"); inactive items, customers and codes are refused (2500).

The function receives entities freshly re-read by the caller (never a cache) and lookup
results; it fetches nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from extension.invoicing.drafts import DiscountType, DraftInvoice, DraftLine, TaxMethod
from extension.invoicing.line_math import line_figures
from extension.invoicing.problems import Problem, Severity
from extension.invoicing.tax_modes import US_NON_TAXABLE, US_TAXABLE, TaxModel
from extension.invoicing.to_quickbooks import line_description, private_note
from extension.quickbooks.models import Customer, Item, TaxCode

__all__ = [
    "MAX_DOC_NUMBER",
    "MAX_DESCRIPTION",
    "MAX_TAXABLE_LINES",
    "MAX_AMOUNT",
    "CompanyFacts",
    "Lookups",
    "preflight",
    "check_new_customer",
    "check_email",
    "suggest_display_name",
]

MAX_DOC_NUMBER = 21
MAX_DESCRIPTION = 4000
MAX_PRIVATE_NOTE = 4000
MAX_TAXABLE_LINES = 750
MAX_AMOUNT = Decimal("1E10")  # "max 15 digits in 10.5 format": ten digits before the point
MAX_QUANTITY_PLACES = 5
MAX_ADDRESS_LINES = 5
MAX_ADDRESS_LINE = 500
MAX_ADDRESS_TOTAL = 2000
MAX_ADDRESS_FIELD = 255
MAX_POSTAL_CODE = 30
MAX_EMAIL = 100
MAX_DISPLAY_NAME = 500


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    model: TaxModel
    home_currency: str
    multicurrency: bool
    custom_txn_numbers: bool


@dataclass(frozen=True, slots=True)
class Lookups:
    """What the caller re-read from QuickBooks just before the check.

    ``customer`` is the linked customer (None when it was not found); ``items`` maps each linked
    item id to the item read (None: not found); ``tax_codes`` are the company's codes by id
    with ``tax_code_rates`` their rates; ``number_taken`` is whether an invoice already has the
    number (None when it was not looked up).
    """

    customer: Customer | None = None
    items: Mapping[str, Item | None] = field(default_factory=dict)
    tax_codes: Mapping[str, TaxCode] = field(default_factory=dict)
    tax_code_rates: Mapping[str, Decimal] = field(default_factory=dict)
    number_taken: bool | None = None
    email_required: bool = False


def check_email(key: str, email: str, required: bool) -> list[Problem]:
    if not email:
        return [Problem(key, "email_required")] if required else []
    if len(email) > MAX_EMAIL:
        return [Problem(key, "too_long", {"limit": MAX_EMAIL, "length": len(email)})]
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain.strip(".")) or "@" in domain or " " in email:
        return [Problem(key, "email_invalid", {"value": email})]
    return []


def _too_long(key: str, text: str, limit: int) -> list[Problem]:
    return (
        [Problem(key, "too_long", {"limit": limit, "length": len(text)})]
        if len(text) > limit
        else []
    )


def _customer(draft: DraftInvoice, facts: CompanyFacts, found: Lookups) -> list[Problem]:
    c, problems = draft.customer, []
    if c.customer_id is None:
        problems.append(Problem("customer-customer_id", "customer_not_linked"))
    elif found.customer is None or found.customer.id != c.customer_id:
        problems.append(Problem("customer-customer_id", "customer_not_found"))
    elif not found.customer.active:
        problems.append(
            Problem(
                "customer-customer_id", "customer_inactive", {"name": found.customer.display_name}
            )
        )
    problems += check_email("customer-email", c.email, found.email_required)
    if len(c.address_lines) > MAX_ADDRESS_LINES:
        problems.append(
            Problem("customer-address", "too_many_address_lines", {"limit": MAX_ADDRESS_LINES})
        )
    for line in c.address_lines:
        problems += _too_long("customer-address", line, MAX_ADDRESS_LINE)
    problems += _too_long("customer-address", "".join(c.address_lines), MAX_ADDRESS_TOTAL)
    for key, value in (("city", c.city), ("region", c.region), ("country", c.country)):
        problems += _too_long(f"customer-{key}", value, MAX_ADDRESS_FIELD)
    problems += _too_long("customer-postal_code", c.postal_code, MAX_POSTAL_CODE)
    # One "too long" per field is enough: the first over-long address line says what to fix.
    first = {(p.field, p.code): p for p in reversed(problems)}
    return [p for p in problems if first[(p.field, p.code)] is p]


def _currency(draft: DraftInvoice, facts: CompanyFacts, found: Lookups) -> list[Problem]:
    currency = draft.details.currency
    if not currency:
        return [Problem("details-currency", "currency_required")]
    if not facts.multicurrency and currency != facts.home_currency:
        return [
            Problem(
                "details-currency",
                "currency_not_home",
                {"currency": currency, "home": facts.home_currency},
            )
        ]
    customer = found.customer
    if customer is not None and draft.customer.customer_id == customer.id:
        # Without multicurrency customers carry no CurrencyRef: they are in the home currency.
        theirs = customer.currency.value if customer.currency else facts.home_currency
        if theirs != currency:
            params = {
                "currency": currency,
                "customer_currency": theirs,
                "customer": customer.display_name,
            }
            return [Problem("details-currency", "currency_mismatch", params)]
    return []


def _details(draft: DraftInvoice, facts: CompanyFacts, found: Lookups) -> list[Problem]:
    d, problems = draft.details, []
    if d.invoice_date is None:
        problems.append(Problem("details-invoice_date", "date_required"))
    if d.due_date is None:
        problems.append(Problem("details-due_date", "date_required"))
    if d.invoice_date and d.due_date and d.due_date < d.invoice_date:
        params = {"due_date": d.due_date, "invoice_date": d.invoice_date}
        problems.append(Problem("details-due_date", "due_before_invoice_date", params))
    if facts.custom_txn_numbers:
        if not d.number:
            problems.append(Problem("details-number", "number_required"))
        elif len(d.number) > MAX_DOC_NUMBER:
            problems += _too_long("details-number", d.number, MAX_DOC_NUMBER)
        elif found.number_taken:
            problems.append(Problem("details-number", "number_taken", {"number": d.number}))
    problems += _too_long("details-private_note", private_note(draft), MAX_PRIVATE_NOTE)
    # One sales tax rate for the invoice, needed only when a line is taxable.
    if facts.model is TaxModel.US_MANUAL and any(line.taxable_us for line in draft.lines):
        code = d.sales_tax_code_id
        if not code:
            problems.append(Problem("details-sales_tax_code_id", "sales_tax_code_required"))
        elif code not in found.tax_codes or not found.tax_codes[code].active:
            problems.append(
                Problem("details-sales_tax_code_id", "tax_code_not_found", {"code": code})
            )
    return problems


def _item(key: str, line: DraftLine, found: Lookups) -> list[Problem]:
    if line.item_id is None:
        return [Problem(key, "item_not_linked", {"name": line.name})]
    item = found.items.get(line.item_id)
    if item is None:
        return [Problem(key, "item_not_found", {"name": line.name})]
    if item.type == "Category":
        return [Problem(key, "item_is_category", {"item": item.name})]
    if not item.active:
        return [Problem(key, "item_inactive", {"item": item.name})]
    return []


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _numbers(key: str, line: DraftLine) -> list[Problem]:
    problems: list[Problem] = []
    qty, price, discount, rate = line.quantity, line.unit_price, line.discount.value, line.tax_rate
    if qty is not None:
        if qty <= 0:
            problems.append(Problem(key + "quantity", "quantity_not_positive"))
        elif qty >= MAX_AMOUNT:
            problems.append(Problem(key + "quantity", "number_too_large", {"limit": MAX_AMOUNT}))
        elif _places(qty) > MAX_QUANTITY_PLACES:
            problems.append(
                Problem(key + "quantity", "too_precise", {"places": MAX_QUANTITY_PLACES})
            )
    if price is not None:
        if price < 0:
            problems.append(Problem(key + "unit_price", "negative"))
        elif price >= MAX_AMOUNT:
            problems.append(Problem(key + "unit_price", "number_too_large", {"limit": MAX_AMOUNT}))
    if discount is not None:
        if discount < 0:
            problems.append(Problem(key + "discount", "negative"))
        elif line.discount.kind is DiscountType.PERCENTAGE and discount > 100:
            problems.append(Problem(key + "discount", "discount_over_100"))
    if rate is not None and not 0 <= rate <= 100:
        problems.append(Problem(key + "tax_rate", "tax_rate_out_of_range"))
    if problems or None in (qty, price, discount, rate):
        return problems  # the line's total means nothing yet
    figures = line_figures(line)
    if figures.discount > figures.gross:
        problems.append(Problem(key + "discount", "discount_over_total", {"total": figures.gross}))
    elif figures.total >= MAX_AMOUNT:
        problems.append(Problem(key + "quantity", "amount_too_large", {"limit": MAX_AMOUNT}))
    return problems


def _tax(
    key: str, line: DraftLine, facts: CompanyFacts, method: TaxMethod, found: Lookups
) -> list[Problem]:
    code = line.tax_code_id
    if facts.model.is_us and facts.model.taxes:
        ok = code in (US_TAXABLE, US_NON_TAXABLE)
        return [] if ok else [Problem(key + "tax_code_id", "tax_code_required")]
    if not facts.model.needs_line_tax_codes:
        return []
    if not code:
        return [Problem(key + "tax_code_id", "tax_code_required")]
    if code not in found.tax_codes or not found.tax_codes[code].active:
        return [Problem(key + "tax_code_id", "tax_code_not_found", {"code": code})]
    rate = found.tax_code_rates.get(code)
    if rate is None:
        # Tax-inclusive lines are split into net and tax at the code's rate: it must be known.
        severity = Severity.ERROR if method is TaxMethod.INCLUSIVE else Severity.WARNING
        return [Problem(key + "tax_code_id", "tax_rate_unknown", {"code": code}, severity)]
    if method is not TaxMethod.NONE and line.tax_rate is not None and rate != line.tax_rate:
        params = {"pipedrive_rate": line.tax_rate, "quickbooks_rate": rate}
        return [Problem(key + "tax_code_id", "tax_rate_differs", params, Severity.WARNING)]
    return []


def _lines(draft: DraftInvoice, facts: CompanyFacts, found: Lookups) -> list[Problem]:
    if not draft.lines:
        return [Problem("lines", "lines_required")]
    problems: list[Problem] = []
    taxable = facts.model.taxes and any(line.tax_code_id != US_NON_TAXABLE for line in draft.lines)
    if taxable and len(draft.lines) > MAX_TAXABLE_LINES:
        problems.append(Problem("lines", "too_many_lines", {"limit": MAX_TAXABLE_LINES}))
    for index, line in enumerate(draft.lines):
        key = f"lines-{index}-"
        problems += _item(key + "item_id", line, found)
        problems += _numbers(key, line)
        problems += _tax(key, line, facts, draft.details.tax_method, found)
        problems += _too_long(key + "description", line_description(line), MAX_DESCRIPTION)
    return problems


def preflight(draft: DraftInvoice, facts: CompanyFacts, found: Lookups) -> tuple[Problem, ...]:
    """All problems of the draft, each on its field, in the order the form shows them."""
    return tuple(
        _customer(draft, facts, found)
        + _currency(draft, facts, found)
        + _details(draft, facts, found)
        + _lines(draft, facts, found)
    )


def suggest_display_name(name: str, taken: Iterable[str]) -> str:
    """The first of "Name (2)", "Name (3)", … that nobody uses (compared case-insensitively)."""
    used = {t.casefold() for t in taken}
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = name[: MAX_DISPLAY_NAME - len(suffix)] + suffix
        if candidate.casefold() not in used:
            return candidate
        n += 1


def check_new_customer(
    name: str, currency: str, facts: CompanyFacts, taken: Iterable[str]
) -> tuple[Problem, ...]:
    """Problems of a customer about to be created. ``taken`` are the DisplayNames of customers,
    vendors and employees that match the name (and its suggested variants), as looked up."""
    key, problems = "customer-name", []
    taken = list(taken)
    if not name.strip():
        problems.append(Problem(key, "name_required"))
    elif any(ch in name for ch in ":\t\n\r"):
        problems.append(Problem(key, "name_invalid_characters"))
    elif len(name) > MAX_DISPLAY_NAME:
        problems += _too_long(key, name, MAX_DISPLAY_NAME)
    elif name.strip().casefold() in {t.casefold() for t in taken}:
        params = {"name": name, "suggestion": suggest_display_name(name.strip(), taken)}
        problems.append(Problem(key, "name_taken", params))
    if not facts.multicurrency and currency and currency != facts.home_currency:
        problems.append(
            Problem(
                "details-currency",
                "currency_not_home",
                {"currency": currency, "home": facts.home_currency},
            )
        )
    return tuple(problems)
