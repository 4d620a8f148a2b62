"""Intuit's business rules for invoices, as the stand-in enforces them (customers: customers.py).

Codes and messages follow recorded QBO responses (reference §3, §4.5, §6.1): 2020 required
field, 2050 string length, 2500 invalid reference, 5010 stale object, 6070 Amount ≠ Qty ×
UnitPrice, 6090 discount without amount or percent, 6140 duplicate DocNumber, 610 object not
found, 6000 other business validation. Bodies pass ``validation.clean`` first: what reaches
these rules names only documented properties with values of the right type.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.properties import SHAPES
from extension.sandbox.quickbooks.state import CompanyState
from extension.sandbox.quickbooks.validation import clean

__all__ = [
    "required",
    "not_found",
    "check_sync_token",
    "existing",
    "apply_update",
    "create_invoice",
    "update_invoice",
    "void_invoice",
    "delete_invoice",
]

Json = dict[str, Any]
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any, element: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise Fault("2010", "Request has invalid or unsupported property", element=element) from exc


def required(body: Json, key: str) -> Any:
    value = body.get(key)
    if value in (None, "", [], {}):
        raise Fault(
            "2020",
            "Required param missing, need to supply the required value for the API",
            f"Required parameter {key} is missing in the request",
            element=key,
        )
    return value


def not_found(entity: str, entity_id: str) -> Fault:
    detail = "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, invoices, items, vendors or employees."  # noqa: E501
    if entity == "Invoice":
        detail = "Object Not Found : Another user has deleted this transaction."
    return Fault("610", "Object Not Found", detail, element="Id")


def reference(company: CompanyState, entity: str, ref: Any, element: str) -> Json:
    ref_id = str(ref.get("value", "")) if isinstance(ref, dict) else ""
    record = company.get(entity, ref_id)
    if record is None or not record.get("Active", True):
        raise Fault(
            "2500",
            "Invalid Reference Id",
            f"Invalid Reference Id : {element} element id {ref_id} not found",
            element=element,
        )
    return record


def check_sync_token(record: Json, body: Json) -> None:
    if str(required(body, "SyncToken")) != str(record.get("SyncToken")):
        raise Fault(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and API API were working on this at the same time. "
            "API API finished before you did, so your work was not saved.",
        )


def _sales_line(company: CompanyState, line: Json, number: int, global_tax: bool) -> Json:
    detail = copy.deepcopy(line.get("SalesItemLineDetail") or {})
    amount = cents(dec(required(line, "Amount"), "Amount"))
    item = reference(company, "Item", detail.get("ItemRef"), "ItemRef")
    if item.get("Type") == "Category":
        raise Fault(
            "2500",
            "Invalid Reference Id",
            "Invalid Reference Id : An item in this transaction is set up as a category instead "
            "of a product or service. Please select a product or service.",
            element="ItemRef",
        )
    detail["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
    qty, price = detail.get("Qty"), detail.get("UnitPrice")
    if qty is not None and price is not None:
        if cents(qty * price) != amount:
            raise Fault(
                "6070",
                "Amount is not equal to UnitPrice * Qty",
                f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount:,}",
            )
    elif price is not None and price != 0:
        detail["Qty"] = (amount / price).normalize()
    tax_ref = detail.get("TaxCodeRef")
    if global_tax:
        if not tax_ref or not tax_ref.get("value"):
            raise Fault(
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: Make sure all your transactions have a VAT rate "
                "before you save.",
            )
        reference(company, "TaxCode", tax_ref, "TaxCodeRef")
    elif not tax_ref or tax_ref.get("value") not in ("TAX", "NON"):
        detail["TaxCodeRef"] = {"value": "NON"}
    out = {
        "Id": str(number),
        "LineNum": number,
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    }
    if line.get("Description"):
        out["Description"] = line["Description"]
    return out


def _discount_line(line: Json, number: int, subtotal: Decimal) -> Json:
    detail = copy.deepcopy(line.get("DiscountLineDetail") or {})
    if detail.get("PercentBased") and detail.get("DiscountPercent") is not None:
        amount = cents(subtotal * detail["DiscountPercent"] / 100)
    elif line.get("Amount") is not None:
        amount = cents(line["Amount"])
    else:
        raise Fault(
            "6090",
            "Discount Line missing required info.",
            "Discount amount or percent should be provided.",
        )
    return {"Id": str(number), "LineNum": number, "Amount": amount,
            "DetailType": "DiscountLineDetail", "DiscountLineDetail": detail}  # fmt: skip


def _rates(company: CompanyState, code_id: str) -> list[tuple[str, Decimal]]:
    """The (TaxRate Id, percent) pairs a tax code applies."""
    code = company.get("TaxCode", code_id) or {}
    out = []
    for d in code.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
        rate = company.get("TaxRate", d["TaxRateRef"]["value"]) or {}
        out.append((d["TaxRateRef"]["value"], Decimal(str(rate.get("RateValue", 0)))))
    return out


def _tax_lines(company: CompanyState, invoice: Json, lines: list[Json]) -> list[Json]:
    """One TaxLine per rate applied, as QBO computes them (invoice sample TxnTaxDetail)."""
    taxable: dict[str, Decimal] = {}  # TaxRate Id -> net amount
    percents: dict[str, Decimal] = {}
    # TaxRate Id -> tax already fixed by the line's gross (TaxInclusiveAmt - Amount).
    fixed: dict[str, Decimal] = {}
    inclusive = invoice.get("GlobalTaxCalculation") == "TaxInclusive"
    for line in lines:
        code = line.get("SalesItemLineDetail", {}).get("TaxCodeRef", {}).get("value")
        if company.country != "US" and code:
            applied = _rates(company, code)
        elif company.country == "US" and code == "TAX":
            group = (invoice.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef", {}).get("value")
            applied = _rates(company, group) if group else []
        else:
            applied = []
        total_rate = sum((rate for _, rate in applied), Decimal("0"))
        # A TaxInclusive line's Amount is already net of tax (Qty × UnitPrice, the net price);
        # its gross, when sent, is TaxInclusiveAmt, and the tax is the difference, shared over
        # the code's rates. Recorded AU invoice: Amount 409.09, TaxInclusiveAmt 450, TotalAmt 450.
        gross = line.get("SalesItemLineDetail", {}).get("TaxInclusiveAmt")
        for rate_id, rate in applied:
            taxable[rate_id] = taxable.get(rate_id, Decimal("0")) + line["Amount"]
            percents[rate_id] = rate
            if inclusive and gross is not None and total_rate:
                share = (Decimal(str(gross)) - line["Amount"]) * rate / total_rate
                fixed[rate_id] = fixed.get(rate_id, Decimal("0")) + share
    return [
        {
            "DetailType": "TaxLineDetail",
            "Amount": cents(fixed[rate_id] if rate_id in fixed else net * percents[rate_id] / 100),
            "TaxLineDetail": {
                "TaxRateRef": {"value": rate_id},
                "PercentBased": True,
                "TaxPercent": percents[rate_id],
                "NetAmountTaxable": cents(net),
            },
        }  # fmt: skip
        for rate_id, net in taxable.items()
    ]


def _build_lines(company: CompanyState, invoice: Json) -> tuple[list[Json], Decimal, list[Json]]:
    """Numbered lines with the subtotal line, the total before tax, and the tax lines."""
    global_tax = company.country != "US"
    if global_tax:
        required(invoice, "GlobalTaxCalculation")
    lines: list[Json] = []
    discount = Decimal("0")
    for line in required(invoice, "Line"):
        kind = line.get("DetailType")
        number = len(lines) + 1
        if kind == "SalesItemLineDetail":
            lines.append(_sales_line(company, line, number, global_tax))
        elif kind == "DescriptionOnly":
            described = {k: v for k, v in line.items() if k not in ("Id", "LineNum", "Amount")}
            lines.append({**described, "Id": str(number), "LineNum": number,
                          "Amount": Decimal("0"), "DescriptionLineDetail":
                          line.get("DescriptionLineDetail") or {}})  # fmt: skip
        elif kind == "DiscountLineDetail":
            sales = sum((x["Amount"] for x in lines if "SalesItemLineDetail" in x), Decimal(0))
            lines.append(_discount_line(line, number, sales))
            discount += lines[-1]["Amount"]
        elif kind != "SubTotalLineDetail":  # the server computes subtotal lines itself
            required(line, "DetailType")
            raise Fault("6000", "A business validation error has occurred while processing "
                        "your request", f"Business Validation Error: {kind} lines are not "
                        "supported on an invoice")  # fmt: skip
    sales_lines = [line for line in lines if line["DetailType"] == "SalesItemLineDetail"]
    if not sales_lines:
        required({}, "Line")
    subtotal = sum((line["Amount"] for line in sales_lines), Decimal("0"))
    tax_lines = _tax_lines(company, invoice, sales_lines)
    at = next((i for i, x in enumerate(lines) if x["DetailType"] == "DiscountLineDetail"), None)
    subtotal_line: Json = {"DetailType": "SubTotalLineDetail", "Amount": subtotal,
                     "SubTotalLineDetail": {}}  # fmt: skip
    lines.insert(len(lines) if at is None else at, subtotal_line)
    return lines, subtotal - discount, tax_lines


def _doc_number(company: CompanyState, invoice: Json, own_id: str | None) -> None:
    number = invoice.get("DocNumber")
    if number is None:
        # Numbered by QBO only when custom numbers are off, and only on create: a full update
        # that leaves DocNumber out clears it.
        if not company.pref("SalesFormsPrefs", "CustomTxnNumbers") and own_id is None:
            invoice["DocNumber"] = str(company.next_doc_number)
            company.next_doc_number += 1
        return
    if company.pref("SalesFormsPrefs", "CustomTxnNumbers"):
        for other in company.table("Invoice").values():
            if other.get("DocNumber") == number and other["Id"] != own_id:
                raise Fault(
                    "6140",
                    "Duplicate Document Number Error",
                    "Duplicate Document Number Error : You must specify a different number. "
                    "This number has already been used. "
                    f"DocNumber={number} is assigned to TxnType=Invoice with TxnId={other['Id']}",
                )


def _complete_invoice(company: CompanyState, invoice: Json, own_id: str | None) -> Json:
    customer = reference(company, "Customer", required(invoice, "CustomerRef"), "CustomerRef")
    invoice["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    currency = (invoice.get("CurrencyRef") or {}).get("value") or company.home_currency
    customer_currency = customer.get("CurrencyRef", {}).get("value", company.home_currency)
    if currency != customer_currency:
        raise Fault(
            "6000",
            "A business validation error has occurred while processing your request",
            f"Business Validation Error: The currency {currency} of the transaction must match "
            f"the currency {customer_currency} of the customer.",
            element="CurrencyRef",
        )
    invoice["CurrencyRef"] = {"value": currency, "name": currency}
    lines, net, tax_lines = _build_lines(company, invoice)
    invoice["Line"] = lines
    tax = sum((t["Amount"] for t in tax_lines), Decimal("0"))
    # Lines are net under both TaxExcluded and TaxInclusive: the total adds the tax.
    invoice["TotalAmt"] = net + tax
    detail = {k: v for k, v in (invoice.get("TxnTaxDetail") or {}).items() if k != "TaxLine"}
    if company.country == "US" and not detail.get("TxnTaxCodeRef"):
        tax_lines = []
    elif detail.get("TxnTaxCodeRef"):
        reference(company, "TaxCode", detail["TxnTaxCodeRef"], "TxnTaxCodeRef")
    invoice["TxnTaxDetail"] = {**detail, "TotalTax": tax}
    if tax_lines:
        invoice["TxnTaxDetail"]["TaxLine"] = tax_lines
    _doc_number(company, invoice, own_id)
    txn_date = date.fromisoformat(invoice.get("TxnDate") or company.local().date().isoformat())
    invoice["TxnDate"] = txn_date.isoformat()
    term_ref = invoice.get("SalesTermRef") or company.pref("SalesFormsPrefs", "DefaultTerms")
    if term_ref:
        term = reference(company, "Term", term_ref, "SalesTermRef")
        invoice["SalesTermRef"] = {"value": term["Id"], "name": term["Name"]}
        if not invoice.get("DueDate"):
            due = txn_date + timedelta(days=int(term.get("DueDays") or 0))
            invoice["DueDate"] = due.isoformat()
    invoice.setdefault("DueDate", txn_date.isoformat())
    if invoice.get("EmailStatus") == "NeedToSend" and not invoice.get("BillEmail"):
        required(invoice, "BillEmail")
    invoice.setdefault("EmailStatus", "NotSet")
    invoice.setdefault("PrintStatus", "NotSet")
    invoice.setdefault("Deposit", Decimal("0"))
    invoice.setdefault("ApplyTaxAfterDiscount", False)
    invoice.setdefault("CustomField", [])
    if customer.get("BillAddr"):
        invoice.setdefault("BillAddr", copy.deepcopy(customer["BillAddr"]))
    ship_from = customer.get("ShipAddr") or customer.get("BillAddr")
    if ship_from:
        invoice.setdefault("ShipAddr", copy.deepcopy(ship_from))
    paid = sum((Decimal(str(p.get("Amount", 0))) for p in invoice.get("_payments", [])), Decimal(0))
    # Links to payments are QBO's own (read-only at the API level); others are kept as sent.
    links = [x for x in invoice.get("LinkedTxn", []) if x.get("TxnType") != "Payment"]
    payments = [{"TxnId": p["Id"], "TxnType": "Payment"} for p in invoice.get("_payments", [])]
    invoice["LinkedTxn"] = links + payments
    invoice["Balance"] = invoice["TotalAmt"] - paid
    return invoice


def _values(body: Json) -> Json:
    return {k: v for k, v in body.items() if v is not None and k != "sparse"}


def create_invoice(company: CompanyState, body: Json) -> Json:
    invoice = _values(clean("Invoice", body, creating=True))
    _complete_invoice(company, invoice, None)
    return company.add("Invoice", invoice)


def existing(company: CompanyState, entity: str, body: Json) -> Json:
    record = company.get(entity, str(required(body, "Id")))
    if record is None:
        raise not_found(entity, str(body["Id"]))
    check_sync_token(record, body)
    return record


def apply_update(entity: str, record: Json, body: Json) -> Json:
    """The record after an update: a full update (``sparse`` absent or false) sets every
    writable property it leaves out to null; a sparse one changes only what it sends. A
    property sent empty is cleared either way. Read-only and system values are kept."""
    cleaned = clean(entity, body, creating=False)
    updated = copy.deepcopy(record)
    if not body.get("sparse"):
        for key, prop in SHAPES[entity].items():
            if prop.access == "rw" and key != "sparse":
                updated.pop(key, None)
    for key, value in cleaned.items():
        if key == "sparse":
            continue
        if value is None:
            updated.pop(key, None)
        else:
            updated[key] = value
    return updated


def update_invoice(company: CompanyState, body: Json) -> Json:
    record = existing(company, "Invoice", body)
    updated = apply_update("Invoice", record, body)
    _complete_invoice(company, updated, record["Id"])
    record.clear()
    record.update(updated)
    return company.touch("Invoice", record)


def _refuse_if_paid(invoice: Json, action: str) -> None:
    if invoice.get("_payments"):
        raise Fault(
            "6000",
            "A business validation error has occurred while processing your request",
            f"Business Validation Error: This invoice has payments applied; remove them before "
            f"you {action} it.",
        )


def void_invoice(company: CompanyState, body: Json) -> Json:
    record = existing(company, "Invoice", body)
    _refuse_if_paid(record, "void")
    for line in record["Line"]:
        line["Amount"] = Decimal("0")
        if "Qty" in line.get("SalesItemLineDetail", {}):
            line["SalesItemLineDetail"]["Qty"] = Decimal("0")
    record["TotalAmt"] = record["Balance"] = Decimal("0")
    record["TxnTaxDetail"] = {**record.get("TxnTaxDetail", {}), "TotalTax": Decimal("0")}
    note = record.get("PrivateNote")
    record["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    return company.touch("Invoice", record, "Void")


def delete_invoice(company: CompanyState, body: Json) -> Json:
    record = existing(company, "Invoice", body)
    _refuse_if_paid(record, "delete")
    del company.table("Invoice")[record["Id"]]
    company.deleted[("Invoice", record["Id"])] = company.clock.now()
    company.record_change("Invoice", record["Id"], "Delete")
    return {"status": "Deleted", "domain": "QBO", "Id": record["Id"]}
