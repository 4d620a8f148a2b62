"""Intuit's business rules for invoices, customers and payments, as the stand-in enforces them.

Codes and messages follow recorded QBO responses (reference §3, §4.5, §6.1): 2020 required
field, 2500 invalid reference, 5010 stale object, 6070 Amount ≠ Qty × UnitPrice, 6140 duplicate
DocNumber, 6240 duplicate name, 610 object not found, 6000 other business validation.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.state import CompanyState

__all__ = [
    "required",
    "not_found",
    "check_sync_token",
    "create_invoice",
    "update_invoice",
    "void_invoice",
    "delete_invoice",
    "create_customer",
    "update_customer",
    "MUTABLE_INVOICE_FIELDS",
]

Json = dict[str, Any]
CENT = Decimal("0.01")
MUTABLE_INVOICE_FIELDS = (
    "CustomerRef", "Line", "DocNumber", "TxnDate", "DueDate", "SalesTermRef", "CurrencyRef",
    "BillEmail", "PrivateNote", "CustomerMemo", "TxnTaxDetail", "GlobalTaxCalculation",
    "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment", "EmailStatus", "BillAddr",
    "ShipAddr", "CustomField", "ExchangeRate",
)  # fmt: skip


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
    detail = line.get("SalesItemLineDetail")
    detail = copy.deepcopy(detail) if isinstance(detail, dict) else {}
    if "Amount" in detail:
        raise Fault(
            "2010",
            "Request has invalid or unsupported property",
            "Property Name:Can not construct instance of com.intuit.schema.finance.v3.SalesItemLineDetail specified is unsupported or invalid",  # noqa: E501
            element="Amount",
        )
    amount = cents(dec(required(line, "Amount"), "Amount"))
    item = reference(company, "Item", detail.get("ItemRef"), "ItemRef")
    detail["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
    qty, price = detail.get("Qty"), detail.get("UnitPrice")
    if qty is not None and price is not None:
        if cents(dec(qty, "Qty") * dec(price, "UnitPrice")) != amount:
            raise Fault(
                "6070",
                "Amount is not equal to UnitPrice * Qty",
                f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount:,}",
            )
    elif price is not None and dec(price, "UnitPrice") != 0:
        detail["Qty"] = dec(amount / dec(price, "UnitPrice"), "Qty").normalize()
    tax_ref = detail.get("TaxCodeRef")
    if global_tax:
        if not isinstance(tax_ref, dict) or not tax_ref.get("value"):
            raise Fault(
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: Make sure all your transactions have a VAT rate "
                "before you save.",
            )
        reference(company, "TaxCode", tax_ref, "TaxCodeRef")
    elif not isinstance(tax_ref, dict) or tax_ref.get("value") not in ("TAX", "NON"):
        detail["TaxCodeRef"] = {"value": "NON"}
    out = {
        "Id": str(number),
        "LineNum": number,
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    }
    if line.get("Description"):
        out["Description"] = str(line["Description"])
    return out


def _rate(company: CompanyState, code_id: str) -> Decimal:
    code = company.get("TaxCode", code_id) or {}
    total = Decimal("0")
    for d in code.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
        rate = company.get("TaxRate", d["TaxRateRef"]["value"]) or {}
        total += Decimal(str(rate.get("RateValue", 0)))
    return total


def _build_lines(company: CompanyState, invoice: Json) -> tuple[list[Json], Decimal, Decimal]:
    """Numbered lines with the subtotal line appended, the subtotal and the total tax."""
    global_tax = company.country != "US"
    lines: list[Json] = []
    for line in required(invoice, "Line"):
        kind = line.get("DetailType") if isinstance(line, dict) else None
        if kind == "SalesItemLineDetail":
            lines.append(_sales_line(company, line, len(lines) + 1, global_tax))
        elif kind == "DescriptionOnly":
            n = len(lines) + 1
            lines.append({**line, "Id": str(n), "LineNum": n, "Amount": Decimal("0")})
        elif kind != "SubTotalLineDetail":  # the server computes subtotal lines itself
            raise Fault("2010", "Request has invalid or unsupported property", element="Line")
    if not any(line["DetailType"] == "SalesItemLineDetail" for line in lines):
        raise Fault("6000", "A business validation error has occurred", "An invoice needs a line")
    subtotal = sum((line["Amount"] for line in lines), Decimal("0"))
    tax = Decimal("0")
    if global_tax:
        mode = required(invoice, "GlobalTaxCalculation")
        for line in lines:
            code = line.get("SalesItemLineDetail", {}).get("TaxCodeRef", {}).get("value")
            if code and mode == "TaxExcluded":
                tax += line["Amount"] * _rate(company, code) / 100
            elif code and mode == "TaxInclusive":
                rate = _rate(company, code)
                tax += line["Amount"] - line["Amount"] * 100 / (100 + rate)
    else:
        group = (invoice.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef", {}).get("value")
        if group:
            reference(company, "TaxCode", {"value": group}, "TxnTaxCodeRef")
            taxable = sum(
                (
                    line["Amount"]
                    for line in lines
                    if line.get("SalesItemLineDetail", {}).get("TaxCodeRef", {}).get("value")
                    == "TAX"
                ),
                Decimal("0"),
            )
            tax = taxable * _rate(company, group) / 100
    lines.append({"DetailType": "SubTotalLineDetail", "Amount": subtotal, "SubTotalLineDetail": {}})
    return lines, subtotal, cents(tax)


def _doc_number(company: CompanyState, invoice: Json, own_id: str | None) -> None:
    number = invoice.get("DocNumber")
    if company.pref("SalesFormsPrefs", "CustomTxnNumbers"):
        if not number:
            invoice.pop("DocNumber", None)  # custom numbering on and none given: stays empty
            return
        if len(str(number)) > 21:
            raise Fault(
                "6000",
                "A business validation error has occurred while processing your request",
                "String length specified does not match the supported length. Min:0 Max:21 "
                f"supported. Supplied length:{len(str(number))}",
                element="DocNumber",
            )
        for other in company.table("Invoice").values():
            if other.get("DocNumber") == number and other["Id"] != own_id:
                raise Fault(
                    "6140",
                    "Duplicate Document Number Error",
                    "Duplicate Document Number Error : You must specify a different number. "
                    "This number has already been used. "
                    f"DocNumber={number} is assigned to TxnType=Invoice with TxnId={other['Id']}",
                )
    elif not number:
        invoice["DocNumber"] = str(company.next_doc_number)
        company.next_doc_number += 1


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
    lines, subtotal, tax = _build_lines(company, invoice)
    invoice["Line"] = lines
    excluded = company.country == "US" or invoice.get("GlobalTaxCalculation") == "TaxExcluded"
    invoice["TotalAmt"] = subtotal + tax if excluded else subtotal
    invoice["TxnTaxDetail"] = {**(invoice.get("TxnTaxDetail") or {}), "TotalTax": tax}
    _doc_number(company, invoice, own_id)
    today = company.clock.now().date()
    txn_date = date.fromisoformat(str(invoice.get("TxnDate") or today.isoformat()))
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
    invoice.setdefault("LinkedTxn", [])
    invoice.setdefault("Deposit", Decimal("0"))
    invoice.setdefault("ApplyTaxAfterDiscount", False)
    invoice.setdefault("CustomField", [])
    invoice.setdefault("BillAddr", copy.deepcopy(customer.get("BillAddr", {})))
    ship_from = customer.get("ShipAddr") or customer.get("BillAddr", {})
    invoice.setdefault("ShipAddr", copy.deepcopy(ship_from))
    paid = sum((Decimal(str(p.get("Amount", 0))) for p in invoice.get("_payments", [])), Decimal(0))
    invoice["Balance"] = invoice["TotalAmt"] - paid
    return invoice


def create_invoice(company: CompanyState, body: Json) -> Json:
    invoice = {k: copy.deepcopy(v) for k, v in body.items() if k in MUTABLE_INVOICE_FIELDS}
    _complete_invoice(company, invoice, None)
    return company.add("Invoice", invoice)


def _existing(company: CompanyState, entity: str, body: Json) -> Json:
    record = company.get(entity, str(required(body, "Id")))
    if record is None:
        raise not_found(entity, str(body["Id"]))
    check_sync_token(record, body)
    return record


def update_invoice(company: CompanyState, body: Json) -> Json:
    record = _existing(company, "Invoice", body)
    updated = copy.deepcopy(record)
    if not body.get("sparse"):
        for key in MUTABLE_INVOICE_FIELDS:
            updated.pop(key, None)  # a full update clears what it does not send
    for key in MUTABLE_INVOICE_FIELDS:
        if key in body:
            updated[key] = copy.deepcopy(body[key])
    updated.pop("TotalAmt", None)
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
    record = _existing(company, "Invoice", body)
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
    record = _existing(company, "Invoice", body)
    _refuse_if_paid(record, "delete")
    del company.table("Invoice")[record["Id"]]
    company.deleted[("Invoice", record["Id"])] = company.clock.now()
    company.record_change("Invoice", record["Id"], "Delete")
    return {"status": "Deleted", "domain": "QBO", "Id": record["Id"]}


def _unique_name(company: CompanyState, name: str, own_id: str | None) -> None:
    for other in company.table("Customer").values():
        if other["DisplayName"].lower() == name.lower() and other["Id"] != own_id:
            raise Fault(
                "6240",
                "Duplicate Name Exists Error",
                "The name supplied already exists. : Another customer, vendor or employee is "
                "already using this name. Please use a different name.",
            )


def create_customer(company: CompanyState, body: Json) -> Json:
    name = str(body.get("DisplayName") or required(body, "DisplayName")).strip()
    _unique_name(company, name, None)
    currency = (body.get("CurrencyRef") or {}).get("value") or company.home_currency
    multicurrency = company.pref("CurrencyPrefs", "MultiCurrencyEnabled")
    if currency != company.home_currency and not multicurrency:
        raise Fault("6000", "A business validation error has occurred", "Multicurrency is off")
    customer = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("Id", "SyncToken")}
    customer.update(
        DisplayName=name,
        FullyQualifiedName=name,
        PrintOnCheckName=body.get("PrintOnCheckName") or name,
        CurrencyRef={"value": currency, "name": currency},
        Active=body.get("Active", True),
        Job=False,
        Taxable=body.get("Taxable", True),
        Balance=Decimal("0"),
        BalanceWithJobs=Decimal("0"),
    )
    return company.add("Customer", customer)


def update_customer(company: CompanyState, body: Json) -> Json:
    record = _existing(company, "Customer", body)
    if "DisplayName" in body:
        _unique_name(company, str(body["DisplayName"]), record["Id"])
    new_currency = (body.get("CurrencyRef") or {}).get("value")
    if new_currency and new_currency != record["CurrencyRef"]["value"]:
        raise Fault("6000", "A business validation error has occurred", "Currency is set once")
    for key, value in body.items():
        if key not in ("Id", "SyncToken", "sparse", "MetaData", "domain"):
            record[key] = copy.deepcopy(value)
    return company.touch("Customer", record)
