"""Intuit's business rules for customers (Customer API reference, "Business rules").

``DisplayName`` is unique across customers (6240) and, when left out, derived from the name
parts "Title, GivenName, MiddleName, FamilyName, and Suffix" in that order; with none of them
the answer is 6080 "No Name Provided". Names carry no colon, tab or newline. ``CurrencyRef`` is
set once ("Once set, it cannot be changed") and ``Balance`` is an opening balance, written on
create only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.rules import apply_update, existing
from extension.sandbox.quickbooks.state import CompanyState
from extension.sandbox.quickbooks.validation import clean

__all__ = ["create_customer", "update_customer"]

Json = dict[str, Any]
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")


def _display_name(customer: Json) -> str:
    name = customer.get("DisplayName") or " ".join(
        str(customer[part]) for part in NAME_PARTS if customer.get(part)
    )
    name = name.strip()
    if not name:
        raise Fault(
            "6080",
            "No Name Provided",
            "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must "
            "be non-empty",
        )
    if any(c in name for c in ":\t\n"):
        raise Fault(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: Names cannot include colons (:), tabs, or new lines.",
            element="DisplayName",
        )
    return name


def _unique_name(company: CompanyState, name: str, own_id: str | None) -> None:
    for other in company.table("Customer").values():
        if other["DisplayName"].lower() == name.lower() and other["Id"] != own_id:
            raise Fault(
                "6240",
                "Duplicate Name Exists Error",
                "The name supplied already exists. : Another customer, vendor or employee is "
                "already using this name. Please use a different name.",
            )


def _complete(company: CompanyState, customer: Json, own_id: str | None) -> Json:
    name = _display_name(customer)
    _unique_name(company, name, own_id)
    customer["DisplayName"] = name
    customer["FullyQualifiedName"] = name
    customer.setdefault("PrintOnCheckName", name)
    customer.setdefault("Active", True)
    customer.setdefault("Job", False)
    customer.setdefault("Taxable", True)
    return customer


def create_customer(company: CompanyState, body: Json) -> Json:
    customer = {k: v for k, v in clean("Customer", body, creating=True).items()
                if v is not None and k != "sparse"}  # fmt: skip
    currency = (customer.get("CurrencyRef") or {}).get("value") or company.home_currency
    multicurrency = company.pref("CurrencyPrefs", "MultiCurrencyEnabled")
    if currency != company.home_currency and not multicurrency:
        raise Fault("6000", "A business validation error has occurred", "Multicurrency is off")
    customer["CurrencyRef"] = {"value": currency, "name": currency}
    opening = customer.get("Balance", Decimal("0"))
    customer.update(Balance=opening, BalanceWithJobs=opening)
    return company.add("Customer", _complete(company, customer, None))


def update_customer(company: CompanyState, body: Json) -> Json:
    record = existing(company, "Customer", body)
    sent = body.get("CurrencyRef")
    new_currency = sent.get("value") if isinstance(sent, dict) else None
    if new_currency and new_currency != record["CurrencyRef"]["value"]:
        raise Fault("6000", "A business validation error has occurred", "Currency is set once")
    updated = _complete(company, apply_update("Customer", record, body), record["Id"])
    record.clear()
    record.update(updated)
    return company.touch("Customer", record)
