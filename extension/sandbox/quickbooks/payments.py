"""Payments against invoices: each one lowers the invoice's Balance and links both ways.

A payment's ``Line`` says which invoices it pays and how much of it each one gets; what no line
takes is ``UnappliedAmt``, a credit the customer keeps. Updating a payment (sparse or full, as
Intuit's update sample shows) replaces its lines wholesale: every invoice it paid before gets
that amount back on its balance, then the new lines are applied as on create. Removing a line
is how a payment is taken off an invoice, which QuickBooks asks for before the invoice can be
voided or deleted; the money stays on the payment as credit.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.rules import (
    apply_update,
    cents,
    dec,
    existing,
    not_found,
    reference,
    required,
)
from extension.sandbox.quickbooks.state import CompanyState
from extension.sandbox.quickbooks.validation import clean

__all__ = ["create_payment", "update_payment"]

Json = dict[str, Any]


def _applications(
    company: CompanyState, customer_id: str, lines: list[Json], credit: dict[str, Decimal]
) -> list[tuple[Json, Decimal]]:
    """The invoices the lines pay and how much each, checked against each balance (plus what
    this payment itself paid it before, in ``credit``) without changing anything."""
    targets: list[tuple[Json, Decimal]] = []
    wanted: dict[str, Decimal] = {}
    for line in lines:
        amount = cents(dec(required(line, "Amount"), "Amount"))
        for link in line.get("LinkedTxn") or []:
            invoice = company.get("Invoice", str(link.get("TxnId")))
            if invoice is None or link.get("TxnType") != "Invoice":
                raise not_found("Invoice", str(link.get("TxnId")))
            wanted[invoice["Id"]] = wanted.get(invoice["Id"], Decimal("0")) + amount
            available = invoice["Balance"] + credit.get(invoice["Id"], Decimal("0"))
            if invoice["CustomerRef"]["value"] != customer_id or wanted[invoice["Id"]] > available:
                raise Fault("6000", "A business validation error has occurred", "Bad payment line")
            targets.append((invoice, amount))
    return targets


def _apply(company: CompanyState, payment_id: str, targets: list[tuple[Json, Decimal]]) -> None:
    for invoice, amount in targets:
        invoice.setdefault("_payments", []).append({"Id": payment_id, "Amount": amount})
        invoice["Balance"] = invoice["Balance"] - amount
        if {"TxnId": payment_id, "TxnType": "Payment"} not in invoice["LinkedTxn"]:
            invoice["LinkedTxn"].append({"TxnId": payment_id, "TxnType": "Payment"})
        company.touch("Invoice", invoice)


def _paid_by(company: CompanyState, payment_id: str) -> dict[str, Decimal]:
    """What the payment pays each invoice now, by invoice id."""
    paid: dict[str, Decimal] = {}
    for invoice in company.table("Invoice").values():
        for entry in invoice.get("_payments", []):
            if entry["Id"] == payment_id:
                paid[invoice["Id"]] = paid.get(invoice["Id"], Decimal("0")) + entry["Amount"]
    return paid


def _take_back(company: CompanyState, payment_id: str, paid: dict[str, Decimal]) -> None:
    for invoice_id, amount in paid.items():
        invoice = company.table("Invoice")[invoice_id]
        invoice["_payments"] = [p for p in invoice["_payments"] if p["Id"] != payment_id]
        invoice["Balance"] = invoice["Balance"] + amount
        invoice["LinkedTxn"] = [
            link
            for link in invoice["LinkedTxn"]
            if not (link.get("TxnType") == "Payment" and link.get("TxnId") == payment_id)
        ]
        company.touch("Invoice", invoice)


def _stored_lines(targets: list[tuple[Json, Decimal]]) -> list[Json]:
    return [
        {"Amount": amount, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}
        for inv, amount in targets
    ]


def create_payment(company: CompanyState, body: Json) -> Json:
    body = {k: v for k, v in clean("Payment", body, creating=True).items() if v is not None}
    customer = reference(company, "Customer", required(body, "CustomerRef"), "CustomerRef")
    total = cents(dec(required(body, "TotalAmt"), "TotalAmt"))
    targets = _applications(company, customer["Id"], body.get("Line") or [], {})
    applied = sum((amount for _, amount in targets), Decimal("0"))
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
            "Line": _stored_lines(targets),
        },
    )
    _apply(company, payment["Id"], targets)
    return payment


def update_payment(company: CompanyState, body: Json) -> Json:
    record = existing(company, "Payment", body)
    updated = apply_update("Payment", record, body)
    customer = reference(company, "Customer", required(updated, "CustomerRef"), "CustomerRef")
    total = cents(dec(required(updated, "TotalAmt"), "TotalAmt"))
    paid = _paid_by(company, record["Id"])
    targets = _applications(company, customer["Id"], updated.get("Line") or [], paid)
    applied = sum((amount for _, amount in targets), Decimal("0"))
    if applied > total:
        raise Fault("6000", "A business validation error has occurred", "Lines exceed TotalAmt")
    # Checked in full above; only now does anything change.
    _take_back(company, record["Id"], paid)
    _apply(company, record["Id"], targets)
    updated.update(
        CustomerRef={"value": customer["Id"], "name": customer["DisplayName"]},
        TotalAmt=total,
        UnappliedAmt=total - applied,
        Line=_stored_lines(targets),
    )
    record.clear()
    record.update(updated)
    return company.touch("Payment", record)
