"""The create-invoice modal's sentences: each problem code, the line notes QuickBooks prints,
and the hints beside fields. Every one goes through the catalogs; numbers and dates through
Babel, in the viewer's locale.

The domain names problems by code and data (``extension.invoicing.problems``); this is the one
place that turns them into words, so a new code shows up here or as its code (never as a
half-translated sentence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from extension.i18n import format_date, format_money, format_number, gettext, ngettext
from extension.invoicing.create_screen import CurrencyHint, CurrencyHintKind
from extension.invoicing.drafts import BillingFrequency, DiscountType, DraftLine, RecurringBilling
from extension.invoicing.problems import Problem, Severity

__all__ = [
    "problem_text",
    "worded_problems",
    "line_note",
    "recurring_text",
    "currency_hint_text",
]


def _show(value: Any) -> str:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def _params(problem: Problem) -> dict[str, str]:
    return {key: _show(value) for key, value in problem.params.items()}


Wording = Callable[[dict[str, str]], str]

_TEXT: dict[str, Wording] = {
    "not_a_number": lambda p: gettext("“%(value)s” is not a number.", **p),
    "ambiguous_number": lambda p: gettext(
        "“%(value)s” can be read two ways. Write it without a thousands separator.", **p
    ),
    "not_a_date": lambda p: gettext("“%(value)s” is not a date.", **p),
    "not_an_id": lambda p: gettext("“%(value)s” is not a valid reference.", **p),
    "too_many_lines": lambda p: gettext("An invoice can have at most %(limit)s lines.", **p),
    "customer_not_linked": lambda p: gettext(
        "Link this contact to a QuickBooks customer: click the warning sign next to To."
    ),
    "customer_not_found": lambda p: gettext(
        "This customer is no longer in QuickBooks. Link the contact to another customer."
    ),
    "customer_inactive": lambda p: gettext(
        "“%(name)s” is inactive in QuickBooks. Link another customer, or make it active in "
        "QuickBooks.",
        **p,
    ),
    "email_required": lambda p: gettext("Enter an email address."),
    "email_missing": lambda p: gettext(
        "Without an email QuickBooks cannot send this invoice, and it gets no payment link."
    ),
    "email_invalid": lambda p: gettext("“%(value)s” is not an email address.", **p),
    "too_long": lambda p: gettext("At most %(limit)s characters; this has %(length)s.", **p),
    "too_many_address_lines": lambda p: gettext(
        "QuickBooks keeps at most %(limit)s address lines.", **p
    ),
    "currency_required": lambda p: gettext("Choose the invoice's currency."),
    "currency_not_home": lambda p: gettext(
        "Multicurrency is off in QuickBooks, so invoices can only be in %(home)s. Invoice in "
        "%(home)s, or turn multicurrency on in QuickBooks (Account and settings › Advanced › "
        "Currency).",
        **p,
    ),
    "currency_mismatch": lambda p: gettext(
        "%(customer)s is billed in %(customer_currency)s, and QuickBooks keeps each customer in "
        "one currency. Invoice in %(customer_currency)s, or link a customer billed in "
        "%(currency)s (create one if there is none).",
        **p,
    ),
    "date_required": lambda p: gettext("Enter a date."),
    "due_before_invoice_date": lambda p: gettext(
        "The due date is before the invoice date (%(invoice_date)s).", **p
    ),
    "number_required": lambda p: gettext(
        "Enter an invoice number: this QuickBooks company numbers invoices by hand."
    ),
    "number_taken": lambda p: gettext(
        "Invoice number %(number)s is already used in QuickBooks. Enter another one.", **p
    ),
    "sales_tax_code_required": lambda p: gettext("Choose the sales tax rate for this invoice."),
    "tax_code_not_found": lambda p: gettext(
        "This tax code is no longer active in QuickBooks. Choose another one."
    ),
    "tax_code_required": lambda p: gettext("Choose a tax code for this line."),
    "tax_rate_unknown": lambda p: gettext(
        "QuickBooks did not tell us this tax code's rate, so the tax is known only after the "
        "invoice is created."
    ),
    "tax_rate_differs": lambda p: gettext(
        "Pipedrive has %(pipedrive_rate)s%% tax on this product; this tax code is "
        "%(quickbooks_rate)s%%. QuickBooks will use its own rate.",
        **p,
    ),
    "item_not_linked": lambda p: gettext(
        "Link this line to a QuickBooks product or service: click the warning sign."
    ),
    "item_not_found": lambda p: gettext(
        "This QuickBooks product or service no longer exists. Link another one."
    ),
    "item_is_category": lambda p: gettext(
        "“%(item)s” is a category in QuickBooks, which cannot be invoiced. Choose a product "
        "or service.",
        **p,
    ),
    "item_inactive": lambda p: gettext(
        "“%(item)s” is inactive in QuickBooks. Link another product or service, or make it "
        "active in QuickBooks.",
        **p,
    ),
    "quantity_not_positive": lambda p: gettext("The quantity must be more than 0."),
    "number_too_large": lambda p: gettext("Too large: QuickBooks takes less than %(limit)s.", **p),
    "amount_too_large": lambda p: gettext(
        "This line's amount is too large: QuickBooks takes less than %(limit)s.", **p
    ),
    "too_precise": lambda p: gettext("At most %(places)s decimals.", **p),
    "negative": lambda p: gettext("Cannot be negative."),
    "discount_over_100": lambda p: gettext("A discount cannot be more than 100%."),
    "discount_over_total": lambda p: gettext(
        "The discount is more than the line (%(total)s).", **p
    ),
    "tax_rate_out_of_range": lambda p: gettext("A tax rate is between 0 and 100%."),
    "lines_required": lambda p: gettext("Add at least one line."),
    "name_required": lambda p: gettext("Enter a name."),
    "name_invalid_characters": lambda p: gettext(
        "QuickBooks does not allow colons, tabs or line breaks in names."
    ),
    "name_taken": lambda p: gettext(
        "“%(name)s” is already used by a customer, vendor or employee in QuickBooks. Link that "
        "customer instead, or use another name, such as “%(suggestion)s”.",
        **p,
    ),
    "item_name_taken": lambda p: gettext(
        "A product or service called “%(name)s” already exists in QuickBooks. Link it "
        "instead, or use another name, such as “%(suggestion)s”.",
        **p,
    ),
    "income_account_required": lambda p: gettext("Choose the income account."),
    "income_account_not_found": lambda p: gettext(
        "This income account is no longer active in QuickBooks. Choose another one."
    ),
    "terms_not_found": lambda p: gettext(
        "These terms are no longer in QuickBooks. Choose other terms."
    ),
    "quickbooks_refused": lambda p: gettext(
        "QuickBooks refused this: %(detail)s (error %(code)s).", **p
    ),
}


def problem_text(problem: Problem) -> str:
    wording = _TEXT.get(problem.code)
    if wording is None:
        return problem.code
    return wording(_params(problem))


def worded_problems(
    problems: Iterable[Problem],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(errors, warnings), each field → sentences, in the order found."""
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for problem in problems:
        target = warnings if problem.severity is Severity.WARNING else errors
        target.setdefault(problem.field, []).append(problem_text(problem))
    return errors, warnings


def recurring_text(recurring: RecurringBilling) -> str:
    """What a line billed on a schedule says about itself."""
    frequency = {
        BillingFrequency.WEEKLY: gettext("Billed weekly"),
        BillingFrequency.MONTHLY: gettext("Billed monthly"),
        BillingFrequency.QUARTERLY: gettext("Billed quarterly"),
        BillingFrequency.SEMI_ANNUALLY: gettext("Billed every six months"),
        BillingFrequency.ANNUALLY: gettext("Billed yearly"),
    }.get(recurring.frequency, "")
    if recurring.cycles:
        period = ngettext(
            "this invoice is for its only period.",
            "this invoice is for the first of %(num)d periods.",
            recurring.cycles,
        )
    else:
        period = gettext("this invoice is for the first period.")
    return f"{frequency}: {period}"


def line_note(line: DraftLine, currency: str) -> str:
    """Printed on the invoice under the line: the list price and discount given, and the
    billing period of a subscription. The unit price QuickBooks shows is after the discount."""
    notes: list[str] = []
    value = line.discount.value
    if value and line.unit_price is not None:
        price = format_money(line.unit_price, currency)
        if line.discount.kind is DiscountType.PERCENTAGE:
            notes.append(
                gettext(
                    "List price %(price)s, %(percent)s%% discount.",
                    price=price,
                    percent=format_number(value),
                )
            )
        else:
            notes.append(
                gettext(
                    "List price %(price)s, %(amount)s off the line.",
                    price=price,
                    amount=format_money(value, currency),
                )
            )
    if line.recurring is not None:
        notes.append(recurring_text(line.recurring))
    return "\n".join(notes)


def currency_hint_text(hint: CurrencyHint) -> str:
    values = {
        "currency": hint.currency,
        "home": hint.home,
        "customer": hint.customer_name,
        "customer_currency": hint.customer_currency,
    }
    if hint.kind is CurrencyHintKind.HOME_ONLY:
        return gettext(
            "Multicurrency is off in QuickBooks: invoices can only be in %(home)s. Invoice in "
            "%(home)s, or turn multicurrency on in QuickBooks.",
            **values,
        )
    if hint.kind is CurrencyHintKind.CUSTOMER_DIFFERS:
        return gettext(
            "%(customer)s is billed in %(customer_currency)s. Invoice in %(customer_currency)s, "
            "or link a customer billed in %(currency)s (or create one).",
            **values,
        )
    return gettext(
        "A customer created for this invoice is billed in %(currency)s from then on.", **values
    )
