"""Intuit's business rules for items (Item API reference, "Business rules"; the samples).

``Name`` is required and unique among items, active or not (6240, "Another product or service
is already using this name"); it carries no colon, which QBO keeps for sub-item paths.
Service and non-inventory items need an ``IncomeAccountRef`` (2020 when it is missing), and it
must name an active income account (2500). A category needs only its name. Inventory items
need more (asset and expense accounts, quantity and start date); the stand-in does not create
them, and says so with QBO's unsupported-operation fault rather than accepting half of one.
"""

from __future__ import annotations

from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.rules import reference, required
from extension.sandbox.quickbooks.state import CompanyState
from extension.sandbox.quickbooks.validation import clean

__all__ = ["create_item"]

Json = dict[str, Any]


def _unique_name(company: CompanyState, name: str) -> None:
    for other in company.table("Item").values():
        if str(other.get("Name", "")).lower() == name.lower():
            raise Fault(
                "6240",
                "Duplicate Name Exists Error",
                "The name supplied already exists. : Another product or service is already "
                "using this name. Please use a different name.",
                element="Name",
            )


def create_item(company: CompanyState, body: Json) -> Json:
    item = {k: v for k, v in clean("Item", body, creating=True).items()
            if v is not None and k != "sparse"}  # fmt: skip
    name = str(required(item, "Name")).strip()
    if ":" in name:
        raise Fault(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: Names cannot include colons (:).",
            element="Name",
        )
    kind = item.get("Type") or "Inventory"  # QBO's default when Type is left out
    if kind == "Inventory":
        raise Fault("500", "Unsupported Operation",
                    "Operation create is not supported for inventory items in this company",
                    fault_type="ValidationFault")  # fmt: skip
    _unique_name(company, name)
    if kind in ("Service", "NonInventory"):
        account = reference(
            company, "Account", required(item, "IncomeAccountRef"), "IncomeAccountRef"
        )
        if account.get("AccountType") != "Income":
            raise Fault(
                "2500",
                "Invalid Reference Id",
                f"Invalid Reference Id : Accounts element id {account['Id']} is not an income "
                "account",
                element="IncomeAccountRef",
            )
        item["IncomeAccountRef"] = {"value": account["Id"], "name": account["Name"]}
    item.update(Name=name, FullyQualifiedName=name, Type=kind)
    item.setdefault("Active", True)
    item.setdefault("Taxable", False)
    return company.add("Item", item)
