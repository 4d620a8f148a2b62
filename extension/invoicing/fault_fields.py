"""Which form field a QuickBooks refusal concerns, so it is shown where it can be fixed.

Pre-flight should leave QuickBooks nothing to refuse, but the books can change between the
check and the post (someone takes the number, deactivates an item). QuickBooks names the
property at fault in each error's ``element`` (reference quickbooks.md §6.1), and for a few
codes the code alone says it (6140 the document number, 6070 a line's amount). An ``ItemRef``
or ``TaxCodeRef`` refusal names the id in its detail ("Invalid Reference Id : ItemRef element
id 583 not found"), which finds the lines using it. Anything else goes above the form.
"""

from __future__ import annotations

import re

from extension.invoicing.drafts import DraftInvoice
from extension.invoicing.problems import Problem
from extension.quickbooks.errors import FaultError, QuickBooksRejected

__all__ = ["fault_problems", "FORM_LEVEL"]

FORM_LEVEL = "form"
_BY_ELEMENT = {
    "customerref": "customer-customer_id",
    "billemail": "customer-email",
    "billaddr": "customer-address",
    "primaryemailaddr": "customer-email",
    "displayname": "customer-name",
    "currencyref": "details-currency",
    "docnumber": "details-number",
    "txndate": "details-invoice_date",
    "duedate": "details-due_date",
    "salestermref": "details-terms_id",
    "customermemo": "details-message",
    "privatenote": "details-private_note",
    "txntaxcoderef": "details-sales_tax_code_id",
    "globaltaxcalculation": "details-tax_method",
    "line": "lines",
    "amount": "lines",
}
_LINE_REFS = {"itemref": "item_id", "taxcoderef": "tax_code_id"}
_ID_IN_DETAIL = re.compile(r"\bid\s+([0-9A-Za-z]+)\b")


def _line_fields(error: FaultError, draft: DraftInvoice | None, attribute: str) -> list[str]:
    found = _ID_IN_DETAIL.search(error.detail)
    if draft is None or found is None:
        return ["lines"]
    wanted = found.group(1)
    fields = [
        f"lines-{index}-{attribute}"
        for index, line in enumerate(draft.lines)
        if (line.item_id if attribute == "item_id" else line.tax_code_id) == wanted
    ]
    return fields or ["lines"]


def _fields(error: FaultError, draft: DraftInvoice | None) -> list[str]:
    if error.code == "6140":
        return ["details-number"]
    if error.code == "6070":
        return ["lines"]
    if error.code == "6240":
        return ["customer-name"]
    element = error.element.strip().lower()
    if element in _LINE_REFS:
        return _line_fields(error, draft, _LINE_REFS[element])
    return [_BY_ELEMENT.get(element, FORM_LEVEL)]


def fault_problems(error: QuickBooksRejected, draft: DraftInvoice | None) -> tuple[Problem, ...]:
    """One problem per error QuickBooks gave, on the field it names (or ``form``)."""
    problems: list[Problem] = []
    for fault in error.errors or [FaultError(error.code, error.fault_message, error.detail)]:
        detail = fault.detail or fault.message
        for field in _fields(fault, draft):
            params = {"code": fault.code or "?", "detail": detail}
            problems.append(Problem(field, "quickbooks_refused", params))
    return tuple(problems)
