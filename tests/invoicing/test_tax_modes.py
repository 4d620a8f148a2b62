"""Which tax model a QuickBooks company uses, and the tax code choices that follow from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extension.invoicing.drafts import TaxMethod
from extension.invoicing.tax_modes import (
    TaxModel,
    TaxNote,
    global_tax_calculation,
    match_tax_code,
    tax_code_rates,
    tax_model,
    tax_note,
)
from extension.quickbooks.models import Ref, TaxCode, TaxRate
from tests.invoicing.helpers import RATES, company, preferences


@pytest.mark.parametrize(
    ("country", "prefs", "model"),
    [
        ("US", {"partner_tax_enabled": True}, TaxModel.US_AUTOMATED),
        ("US", {}, TaxModel.US_MANUAL),
        ("US", {"using_sales_tax": False}, TaxModel.US_NO_TAX),
        ("", {}, TaxModel.US_MANUAL),  # CompanyInfo without Country: QuickBooks' US default
        ("GB", {}, TaxModel.GLOBAL),
        ("DE", {"partner_tax_enabled": True}, TaxModel.GLOBAL),  # AST is a US feature
        ("AU", {"using_sales_tax": False}, TaxModel.GLOBAL_NO_TAX),
    ],
)
def test_tax_model(country: str, prefs: dict[str, bool], model: TaxModel) -> None:
    assert tax_model(preferences(**prefs), company(country)) is model


@pytest.mark.parametrize(
    ("model", "method", "expected"),
    [
        (TaxModel.GLOBAL, TaxMethod.EXCLUSIVE, "TaxExcluded"),
        (TaxModel.GLOBAL, TaxMethod.INCLUSIVE, "TaxInclusive"),
        (TaxModel.GLOBAL, TaxMethod.NONE, "NotApplicable"),
        (TaxModel.GLOBAL_NO_TAX, TaxMethod.EXCLUSIVE, "NotApplicable"),
        (TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, None),
        (TaxModel.US_AUTOMATED, TaxMethod.INCLUSIVE, None),
        (TaxModel.US_NO_TAX, TaxMethod.NONE, None),
    ],
)
def test_global_tax_calculation(model: TaxModel, method: TaxMethod, expected: str | None) -> None:
    assert global_tax_calculation(model, method) == expected


def test_code_rates_add_up_a_codes_sales_rates_and_skip_unknown_ones() -> None:
    codes = [
        TaxCode("2", "California", sales_tax_rates=(Ref("3"), Ref("4"))),
        TaxCode("5", "VAT 19", sales_tax_rates=(Ref("8"),)),
        TaxCode("6", "Broken", sales_tax_rates=(Ref("99"),)),
        TaxCode("NON", "Non", sales_tax_rates=()),
    ]
    rates = [TaxRate("3", "State", Decimal("7.25")), TaxRate("4", "City", Decimal("1")),
             TaxRate("8", "VAT", Decimal("19"))]  # fmt: skip
    assert tax_code_rates(codes, rates) == {
        "2": Decimal("8.25"),
        "5": Decimal("19"),
        "NON": Decimal("0"),
    }


def test_match_tax_code_prefers_the_default_then_the_lowest_id() -> None:
    rates = {**RATES, "12": Decimal("19"), "10": Decimal("19")}
    assert match_tax_code(Decimal("19"), rates, "5") == "5"
    assert match_tax_code(Decimal("19"), rates, "6") == "5"
    assert match_tax_code(Decimal("7"), rates, "5") == "6"
    assert match_tax_code(Decimal("13"), rates, "5") == "5"  # no code at 13 %: the default


@pytest.mark.parametrize(
    ("model", "method", "known", "note"),
    [
        (TaxModel.US_AUTOMATED, TaxMethod.EXCLUSIVE, True, TaxNote.COMPUTED_BY_QUICKBOOKS),
        (TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, True, TaxNote.ADDED),
        (TaxModel.US_MANUAL, TaxMethod.EXCLUSIVE, False, TaxNote.RATE_UNKNOWN),
        (TaxModel.GLOBAL, TaxMethod.INCLUSIVE, True, TaxNote.INCLUDED),
        (TaxModel.GLOBAL, TaxMethod.NONE, True, TaxNote.NOT_APPLICABLE),
        (TaxModel.US_NO_TAX, TaxMethod.EXCLUSIVE, True, TaxNote.NOT_APPLICABLE),
    ],
)
def test_tax_note(model: TaxModel, method: TaxMethod, known: bool, note: TaxNote) -> None:
    assert tax_note(model, method, known) is note
