"""Payments against invoices: each one lowers the invoice's Balance and links both ways."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.rules import cents, dec, not_found, reference, required
from extension.sandbox.quickbooks.state import CompanyState
from extension.sandbox.quickbooks.validation import clean

__all__ = ["create_payment"]

Json = dict[str, Any]


def create_payment(company: CompanyState, body: Json) -> Json:
    body = {k: v for k, v in clean("Payment", body, creating=True).items() if v is not None}
    customer = reference(company, "Customer", required(body, "CustomerRef"), "CustomerRef")
    total = cents(dec(required(body, "TotalAmt"), "TotalAmt"))
    applied = Decimal("0")
    targets: list[tuple[Json, Decimal]] = []
    for line in body.get("Line") or []:
        amount = cents(dec(required(line, "Amount"), "Amount"))
        for link in line.get("LinkedTxn") or []:
            invoice = company.get("Invoice", str(link.get("TxnId")))
            if invoice is None or link.get("TxnType") != "Invoice":
                raise not_found("Invoice", str(link.get("TxnId")))
            if invoice["CustomerRef"]["value"] != customer["Id"] or amount > invoice["Balance"]:
                raise Fault("6000", "A business validation error has occurred", "Bad payment line")
            targets.append((invoice, amount))
            applied += amount
    if applied > total:
        raise Fault("6000", "A business validation error has occurred", "Lines exceed TotalAmt")
    payment = company.add(
        "Payment",
        {
            "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
            "TotalAmt": total,
            "UnappliedAmt": total - applied,
            "ProcessPayment": False,
            "TxnDate": body.get("TxnDate") or company.local().date().isoformat(),
            "CurrencyRef": copy.deepcopy(customer.get("CurrencyRef", {})),
            "DepositToAccountRef": copy.deepcopy(body.get("DepositToAccountRef")) or {"value": "4"},
            "Line": [
                {"Amount": amount, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}
                for inv, amount in targets
            ],
        },
    )
    for invoice, amount in targets:
        invoice.setdefault("_payments", []).append({"Id": payment["Id"], "Amount": amount})
        invoice["Balance"] = invoice["Balance"] - amount
        invoice["LinkedTxn"].append({"TxnId": payment["Id"], "TxnType": "Payment"})
        company.touch("Invoice", invoice)
    return payment
