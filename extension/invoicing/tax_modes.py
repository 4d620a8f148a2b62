"""How the connected QuickBooks company taxes an invoice, and what the summary can say about it.

Three models (reference quickbooks.md §3.2):

- US with automated sales tax (``Preferences.TaxPrefs.PartnerTaxEnabled``): each line is
  marked taxable (``TAX``) or not (``NON``) and QuickBooks' engine computes the tax from the
  addresses; a ``TxnTaxCodeRef`` we sent would be replaced, so none is sent and no amount can
  be promised before posting.
- US without it: lines are ``TAX``/``NON`` and the whole invoice carries one sales tax rate,
  ``TxnTaxDetail.TxnTaxCodeRef`` (a tax code, by default the one chosen in settings).
- Outside the US ("global"): every line carries a real tax code and the invoice says how
  prices relate to tax with ``GlobalTaxCalculation``, from the deal's Pipedrive tax method:
  exclusive → ``TaxExcluded``, inclusive → ``TaxInclusive``, none → ``NotApplicable``.

A company that does not use sales tax (``TaxPrefs.UsingSalesTax`` false, where QuickBooks
ignores ``TxnTaxDetail``) gets no tax codes at all (``US_NO_TAX``, ``GLOBAL_NO_TAX``); outside
the US it still states ``NotApplicable``, because ``GlobalTaxCalculation`` is required there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

from extension.invoicing.drafts import TaxMethod
from extension.quickbooks.models import CompanyInfo, Preferences, TaxCode, TaxRate

__all__ = [
    "TaxModel",
    "TaxNote",
    "US_TAXABLE",
    "US_NON_TAXABLE",
    "tax_model",
    "global_tax_calculation",
    "tax_code_rates",
    "match_tax_code",
    "tax_note",
]

US_TAXABLE, US_NON_TAXABLE = "TAX", "NON"


class TaxModel(StrEnum):
    US_AUTOMATED = "us_automated"
    US_MANUAL = "us_manual"
    US_NO_TAX = "us_no_tax"
    GLOBAL = "global"
    GLOBAL_NO_TAX = "global_no_tax"

    @property
    def is_us(self) -> bool:
        return self in (TaxModel.US_AUTOMATED, TaxModel.US_MANUAL, TaxModel.US_NO_TAX)

    @property
    def taxes(self) -> bool:
        return self not in (TaxModel.US_NO_TAX, TaxModel.GLOBAL_NO_TAX)

    @property
    def needs_line_tax_codes(self) -> bool:
        """Global companies need a real tax code on every line (QuickBooks refuses otherwise)."""
        return self is TaxModel.GLOBAL


class TaxNote(StrEnum):
    """What the summary says about tax; the template words each one."""

    COMPUTED_BY_QUICKBOOKS = "computed_by_quickbooks"  # automated sales tax, after posting
    ADDED = "added"  # on top of the lines, at the rates of their tax codes
    INCLUDED = "included"  # inside the line amounts (TaxInclusive)
    NOT_APPLICABLE = "not_applicable"  # no tax on this invoice
    RATE_UNKNOWN = "rate_unknown"  # added by QuickBooks at a rate we could not read


def tax_model(preferences: Preferences, company: CompanyInfo) -> TaxModel:
    if company.uses_global_tax_model:
        return TaxModel.GLOBAL if preferences.using_sales_tax else TaxModel.GLOBAL_NO_TAX
    if preferences.partner_tax_enabled:
        return TaxModel.US_AUTOMATED
    return TaxModel.US_MANUAL if preferences.using_sales_tax else TaxModel.US_NO_TAX


_CALCULATION = {
    TaxMethod.EXCLUSIVE: "TaxExcluded",
    TaxMethod.INCLUSIVE: "TaxInclusive",
    TaxMethod.NONE: "NotApplicable",
}


def global_tax_calculation(model: TaxModel, method: TaxMethod) -> str | None:
    """``GlobalTaxCalculation`` for the invoice, or None where it must not be sent (US)."""
    if model.is_us:
        return None  # "Not applicable to US companies" (Intuit Invoice reference)
    if model is TaxModel.GLOBAL_NO_TAX:
        return "NotApplicable"
    return _CALCULATION[method]


def tax_code_rates(codes: Iterable[TaxCode], rates: Iterable[TaxRate]) -> dict[str, Decimal]:
    """Each tax code's total sales rate in percent: the sum of its sales tax rates.

    A code whose rates cannot all be found is left out, so callers treat its rate as unknown
    rather than as zero.
    """
    by_id = {rate.id: rate.rate_value for rate in rates}
    result: dict[str, Decimal] = {}
    for code in codes:
        refs = code.sales_tax_rates
        if all(ref.value in by_id for ref in refs):
            result[code.id] = sum((by_id[ref.value] for ref in refs), Decimal("0"))
    return result


def match_tax_code(rate: Decimal, rates: Mapping[str, Decimal], preferred: str) -> str:
    """The tax code for a Pipedrive tax percentage: the preferred one when its rate matches,
    else the first code with that rate (by id, so the choice is stable), else the preferred."""
    if rates.get(preferred) == rate:
        return preferred
    matching = sorted((code for code, value in rates.items() if value == rate), key=_id_order)
    return matching[0] if matching else preferred


def _id_order(code_id: str) -> tuple[int, str]:
    return (int(code_id), "") if code_id.isascii() and code_id.isdigit() else (1 << 62, code_id)


def tax_note(model: TaxModel, method: TaxMethod, rate_known: bool) -> TaxNote:
    if model is TaxModel.US_AUTOMATED:
        return TaxNote.COMPUTED_BY_QUICKBOOKS
    if not model.taxes or (model is TaxModel.GLOBAL and method is TaxMethod.NONE):
        return TaxNote.NOT_APPLICABLE
    if model is TaxModel.GLOBAL and method is TaxMethod.INCLUSIVE:
        return TaxNote.INCLUDED
    return TaxNote.ADDED if rate_known else TaxNote.RATE_UNKNOWN
