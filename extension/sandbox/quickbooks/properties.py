"""What QuickBooks accepts in each entity, as data: one table per entity and per nested object.

The names, max lengths and read-only marks follow Intuit's API reference (Customer, Invoice,
Item, Payment, Account, Term, TaxCode, TaxRate pages, minor version 75). A write that names a
property missing here is refused (2010, as Jackson refuses an unknown field); a read-only
property is validated for shape and then ignored, as the reference says of ``TotalAmt`` and
``Balance`` ("any value you supply is over-written by QuickBooks") and of ``MetaData`` ("read only
for all applications"); Intuit's own full-update samples send them back unchanged.

``query`` marks the properties the query language may filter, sort and select on. Intuit's
reference flags them per attribute; where it does not, the choice is ours and kept small.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "Prop",
    "Shape",
    "SHAPES",
    "ENTITIES",
    "ENUMS",
    "JAVA_CLASS",
    "KNOWN_UNMODELLED",
    "SCALAR_OF",
    "entity_name",
]

Kind = Literal[
    "text", "decimal", "integer", "boolean", "date", "datetime", "enum", "object", "list"
]  # fmt: skip
# rw: writable; ro: read-only, ignored on write; create: written on create only (then ignored)
Access = Literal["rw", "ro", "create"]


@dataclass(frozen=True, slots=True)
class Prop:
    kind: Kind
    shape: str = ""  # the nested table (object, list) or the enum's name
    access: Access = "rw"
    max_len: int = 0
    query: bool = False


Shape = dict[str, Prop]


def text(max_len: int = 0, *, query: bool = False) -> Prop:
    return Prop("text", max_len=max_len, query=query)


def num(*, query: bool = False) -> Prop:
    return Prop("decimal", query=query)


def obj(shape: str, *, query: bool = False) -> Prop:
    return Prop("object", shape, query=query)


def many(shape: str) -> Prop:
    return Prop("list", shape)


def enum(name: str, *, query: bool = False) -> Prop:
    return Prop("enum", name, query=query)


def ro(prop: Prop) -> Prop:
    return replace(prop, access="ro")


def on_create(prop: Prop) -> Prop:
    return replace(prop, access="create")


BOOL = Prop("boolean")
QBOOL = Prop("boolean", query=True)
INT = Prop("integer")
DATE = Prop("date")
QDATE = Prop("date", query=True)
REF = obj("ReferenceType")
QREF = obj("ReferenceType", query=True)
ID = ro(text(query=True))  # "Required for update, read only, system defined"
SYNC = ro(text())
META = ro(obj("ModificationMetaData", query=True))
ENVELOPE: Shape = {"Id": ID, "SyncToken": SYNC, "MetaData": META,
                   "domain": ro(text()), "sparse": Prop("boolean")}  # fmt: skip

ENUMS: dict[str, tuple[str, ...]] = {
    # The values Jackson lists when it refuses one (recorded QBO 2010 bodies).
    "LineDetailTypeEnum": (
        "JournalEntryLineDetail", "DepositLineDetail", "SalesItemLineDetail",
        "PurchaseOrderItemLineDetail", "DiscountLineDetail", "TDSLineDetail",
        "SubTotalLineDetail", "ItemReceiptLineDetail", "PaymentLineDetail", "TaxLineDetail",
        "AccountBasedExpenseLineDetail", "SalesOrderItemLineDetail",
        "ItemBasedExpenseLineDetail", "GroupLineDetail", "DescriptionOnly",
    ),
    "EmailStatusEnum": ("NotSet", "NeedToSend", "EmailSent"),
    "PrintStatusEnum": ("NotSet", "NeedToPrint", "PrintComplete"),
    "GlobalTaxCalculationEnum": ("TaxExcluded", "TaxInclusive", "NotApplicable"),
    "ItemTypeEnum": ("Inventory", "Service", "NonInventory", "Category", "Group"),
    "DeliveryTypeEnum": ("Email",),
}  # fmt: skip

SHAPES: dict[str, Shape] = {
    "ReferenceType": {"value": text(), "name": text(), "type": text()},
    "ModificationMetaData": {"CreateTime": Prop("datetime", access="ro", query=True),
                             "LastUpdatedTime": Prop("datetime", access="ro", query=True)},
    # Address, email, phone and web types carry the schema's (IntuitBaseTypes.xsd, mirrored by
    # Intuit's SDK classes) properties the reference pages leave out; clients send them.
    "PhysicalAddress": {
        "Id": ro(text()), "Line1": text(500), "Line2": text(500), "Line3": text(500),
        "Line4": text(500), "Line5": text(500), "City": text(255), "Country": text(255),
        "CountryCode": text(), "County": text(), "CountrySubDivisionCode": text(255),
        "PostalCode": text(30), "PostalCodeSuffix": text(), "Lat": ro(text()),
        "Long": ro(text()), "Tag": text(), "Note": text(),
    },
    "EmailAddress": {"Address": text(100), "Default": BOOL, "Tag": text()},
    "TelephoneNumber": {
        "DeviceType": text(), "CountryCode": text(), "AreaCode": text(), "ExchangeCode": text(),
        "Extension": text(), "FreeFormNumber": text(30), "Default": BOOL, "Tag": text(),
    },
    "WebSiteAddress": {"URI": text(1000), "Default": BOOL, "Tag": text()},
    "MemoRef": {"value": text(1000)},
    "Customer": {
        **ENVELOPE,
        "DisplayName": text(500, query=True), "Title": text(16, query=True),
        "GivenName": text(100, query=True), "MiddleName": text(100, query=True),
        "Suffix": text(16, query=True), "FamilyName": text(100, query=True),
        "PrimaryEmailAddr": obj("EmailAddress", query=True), "ResaleNum": text(16),
        "SecondaryTaxIdentifier": text(), "ARAccountRef": REF, "DefaultTaxCodeRef": REF,
        "PreferredDeliveryMethod": text(), "GSTIN": text(15), "SalesTermRef": REF,
        "CustomerTypeRef": REF, "Fax": obj("TelephoneNumber"), "BusinessNumber": text(10),
        "BillWithParent": BOOL, "CurrencyRef": on_create(obj("ReferenceType", query=True)),
        "Mobile": obj("TelephoneNumber"), "Job": Prop("boolean", query=True),
        "BalanceWithJobs": ro(num(query=True)), "PrimaryPhone": obj("TelephoneNumber"),
        "OpenBalanceDate": DATE, "Taxable": BOOL, "AlternatePhone": obj("TelephoneNumber"),
        "ParentRef": QREF, "Notes": text(2000), "WebAddr": obj("WebSiteAddress"),
        "Active": QBOOL, "CompanyName": text(100, query=True),
        # "Write-on-create": the opening balance; afterwards QBO computes it.
        "Balance": on_create(num(query=True)), "ShipAddr": obj("PhysicalAddress"),
        "PaymentMethodRef": REF, "IsProject": ro(BOOL), "Source": text(),
        "PrimaryTaxIdentifier": text(), "GSTRegistrationType": text(15),
        "PrintOnCheckName": text(110, query=True), "BillAddr": obj("PhysicalAddress"),
        "FullyQualifiedName": ro(text(query=True)), "Level": ro(INT),
        "TaxExemptionReasonId": text(),
    },
    "Invoice": {
        **ENVELOPE,
        "Line": many("Line"), "CustomerRef": QREF, "CurrencyRef": QREF,
        "DocNumber": text(21, query=True), "BillEmail": obj("EmailAddress"),
        "TxnDate": QDATE, "ShipFromAddr": obj("PhysicalAddress"), "ShipDate": QDATE,
        "TrackingNum": text(query=True), "ClassRef": REF,
        "PrintStatus": enum("PrintStatusEnum", query=True), "SalesTermRef": QREF,
        "TxnSource": text(), "LinkedTxn": many("LinkedTxn"), "DepositToAccountRef": REF,
        "GlobalTaxCalculation": enum("GlobalTaxCalculationEnum"),
        "AllowOnlineACHPayment": BOOL, "TransactionLocationType": text(), "DueDate": QDATE,
        "PrivateNote": text(4000), "BillEmailCc": obj("EmailAddress"),
        "CustomerMemo": obj("MemoRef"), "EmailStatus": enum("EmailStatusEnum", query=True),
        "ProjectRef": REF, "ExchangeRate": num(), "Deposit": num(),
        "TxnTaxDetail": obj("TxnTaxDetail"), "AllowOnlineCreditCardPayment": BOOL,
        "CustomField": many("CustomField"), "ShipAddr": obj("PhysicalAddress"),
        "DepartmentRef": REF, "BillEmailBcc": obj("EmailAddress"), "ShipMethodRef": REF,
        "BillAddr": obj("PhysicalAddress"), "ApplyTaxAfterDiscount": BOOL,
        "HomeBalance": ro(num(query=True)), "DeliveryInfo": ro(obj("DeliveryInfo")),
        "TotalAmt": ro(num(query=True)), "InvoiceLink": ro(text()),
        "RecurDataRef": ro(REF), "TaxExemptionRef": ro(REF), "Balance": ro(num(query=True)),
        "HomeTotalAmt": ro(num(query=True)), "FreeFormAddress": BOOL,
        "AllowOnlinePayment": BOOL, "AllowIPNPayment": BOOL,  # deprecated, still accepted
    },
    # One Java class (com.intuit.schema.finance.v3.Line) carries every kind of line.
    "Line": {
        "Id": text(), "LineNum": num(), "Description": text(4000), "Amount": num(),
        "DetailType": enum("LineDetailTypeEnum"), "LinkedTxn": many("LinkedTxn"),
        "CustomField": many("CustomField"),  # on the class (Intuit's SDKs); clients send []
        "SalesItemLineDetail": obj("SalesItemLineDetail"),
        "DescriptionLineDetail": obj("DescriptionLineDetail"),
        "DiscountLineDetail": obj("DiscountLineDetail"),
        "SubTotalLineDetail": obj("SubTotalLineDetail"),
        "GroupLineDetail": obj("GroupLineDetail"),
    },
    # The class's properties in the order a recorded 2010 body lists them (python-quickbooks
    # #299): the documented ones and six the reference does not describe.
    "SalesItemLineDetail": {
        "ItemRef": REF, "DiscountRate": num(), "TaxClassificationRef": ro(REF),
        "ServiceDate": DATE, "UnitPrice": num(), "TaxInclusiveAmt": num(),
        "InventorySiteRef": REF, "MarkupInfo": obj("MarkupInfo"),
        "SalesItemLineDetailEx": obj("IntuitAnyType"), "PriceLevelRef": REF,
        "ItemAccountRef": REF, "ClassRef": REF, "DeferredRevenue": BOOL, "UOMRef": REF,
        "RatePercent": num(), "DiscountAmt": num(), "Qty": num(), "TaxCodeRef": REF,
    },
    "IntuitAnyType": {},
    "MarkupInfo": {"PercentBased": BOOL, "Value": num(), "Percent": num(),
                   "PriceLevelRef": REF, "MarkUpIncomeAccountRef": ro(REF)},  # fmt: skip
    "DescriptionLineDetail": {"TaxCodeRef": REF, "ServiceDate": DATE},
    "DiscountLineDetail": {"ClassRef": REF, "TaxCodeRef": REF, "DiscountAccountRef": REF,
                           "PercentBased": BOOL, "DiscountPercent": num()},  # fmt: skip
    "SubTotalLineDetail": {"ItemRef": REF},
    "GroupLineDetail": {"Quantity": num(), "Line": many("Line"), "GroupItemRef": REF},
    "TxnTaxDetail": {"TxnTaxCodeRef": REF, "TotalTax": num(), "TaxLine": many("TaxLine")},
    "TaxLine": {"DetailType": enum("LineDetailTypeEnum"), "Amount": num(),
                "TaxLineDetail": obj("TaxLineDetail")},  # fmt: skip
    "TaxLineDetail": {"TaxRateRef": REF, "NetAmountTaxable": num(), "PercentBased": BOOL,
                      "TaxInclusiveAmount": num(), "OverrideDeltaAmount": num(),
                      "TaxPercent": num()},  # fmt: skip
    "LinkedTxn": {"TxnId": text(), "TxnType": text(), "TxnLineId": text()},
    "CustomField": {"DefinitionId": text(), "StringValue": text(), "Name": text(),
                    "Type": text()},  # fmt: skip
    "DeliveryInfo": {"DeliveryType": enum("DeliveryTypeEnum"), "DeliveryTime": Prop("datetime")},
    "Item": {
        **ENVELOPE,
        "ItemCategoryType": text(), "Name": text(100, query=True), "InvStartDate": DATE,
        "Type": enum("ItemTypeEnum", query=True), "QtyOnHand": num(query=True),
        "AssetAccountRef": REF, "Sku": text(100, query=True), "SalesTaxIncluded": BOOL,
        "TrackQtyOnHand": BOOL, "SalesTaxCodeRef": REF, "ClassRef": REF, "Source": text(),
        "PurchaseTaxIncluded": BOOL, "Description": text(4000, query=True),
        "AbatementRate": num(), "SubItem": BOOL, "Taxable": QBOOL, "UQCDisplayText": text(25),
        "ReorderPoint": num(), "PurchaseDesc": text(1000), "PrefVendorRef": REF,
        "Active": QBOOL, "UQCId": text(), "ReverseChargeRate": num(),
        "PurchaseTaxCodeRef": REF, "ServiceType": text(), "PurchaseCost": num(),
        "ParentRef": QREF, "UnitPrice": num(query=True),
        "FullyQualifiedName": ro(text(query=True)), "ExpenseAccountRef": REF,
        "Level": ro(INT), "IncomeAccountRef": REF, "TaxClassificationRef": REF,
    },
    "Payment": {
        **ENVELOPE,
        "TotalAmt": num(query=True), "CustomerRef": QREF, "CurrencyRef": REF,
        "PrivateNote": text(4000), "PaymentMethodRef": REF, "UnappliedAmt": ro(num()),
        "DepositToAccountRef": REF, "ExchangeRate": num(), "Line": many("PaymentLine"),
        "ProjectRef": REF, "TxnSource": text(), "ARAccountRef": REF, "TxnDate": QDATE,
        "CreditCardPayment": obj("CreditCardPayment"), "TransactionLocationType": text(),
        "PaymentRefNum": text(21, query=True), "TaxExemptionRef": ro(REF),
        "ProcessPayment": BOOL,
    },
    "PaymentLine": {"Amount": num(), "LinkedTxn": many("LinkedTxn")},
    "CreditCardPayment": {"CreditChargeResponse": obj("CreditChargeResponse"),
                          "CreditChargeInfo": obj("CreditChargeInfo")},  # fmt: skip
    "CreditChargeResponse": {"Status": text(), "AuthCode": text(100),
                             "TxnAuthorizationTime": Prop("datetime"), "CCTransId": text(100)},
    "CreditChargeInfo": {"CcExpiryMonth": INT, "ProcessPayment": BOOL, "PostalCode": text(30),
                         "Amount": num(), "NameOnAcct": text(), "CcExpiryYear": INT,
                         "Type": text(), "BillAddrStreet": text(255)},  # fmt: skip
    "Account": {
        **ENVELOPE,
        "Name": text(100, query=True), "AcctNum": text(query=True), "CurrencyRef": REF,
        "ParentRef": QREF, "Description": text(100), "Active": QBOOL,
        "SubAccount": ro(Prop("boolean", query=True)),
        "Classification": ro(text(query=True)), "FullyQualifiedName": ro(text(query=True)),
        "TxnLocationType": text(), "AccountType": text(query=True),
        "CurrentBalanceWithSubAccounts": ro(num(query=True)), "AccountAlias": text(),
        "TaxCodeRef": REF, "AccountSubType": text(query=True),
        "CurrentBalance": ro(num(query=True)),
    },
    "Term": {
        **ENVELOPE,
        "Name": text(31, query=True), "DiscountPercent": num(), "DiscountDays": INT,
        "Active": QBOOL, "Type": ro(text(query=True)), "DayOfMonthDue": INT,
        "DiscountDayOfMonth": INT, "DueNextMonthDays": INT,
        "DueDays": Prop("integer", query=True),
    },
    "TaxCode": {
        **ENVELOPE,
        "Name": text(100, query=True), "PurchaseTaxRateList": obj("TaxRateList"),
        "SalesTaxRateList": obj("TaxRateList"), "TaxGroup": ro(Prop("boolean", query=True)),
        "Taxable": ro(Prop("boolean", query=True)), "Active": QBOOL,
        "Description": text(100, query=True), "Hidden": ro(BOOL),
        "TaxCodeConfigType": ro(text()),
    },
    "TaxRateList": {"TaxRateDetail": many("TaxRateDetail")},
    "TaxRateDetail": {"TaxRateRef": REF, "TaxTypeApplicable": text(), "TaxOrder": INT},
    "TaxRate": {
        **ENVELOPE,
        "RateValue": ro(num(query=True)), "Name": ro(text(100, query=True)),
        "AgencyRef": ro(QREF), "SpecialTaxType": ro(text()), "DisplayType": ro(text()),
        "EffectiveTaxRate": ro(many("EffectiveTaxRateData")),
        "TaxReturnLineRef": ro(REF), "Active": ro(QBOOL), "OriginalTaxRate": ro(text()),
        "Description": ro(text(100, query=True)),
    },
    "EffectiveTaxRateData": {"RateValue": num(), "EndDate": Prop("datetime"),
                             "EffectiveDate": Prop("datetime")},  # fmt: skip
    # Read and query only in the stand-in; their tables serve the query language.
    "CompanyInfo": {
        **ENVELOPE,
        "CompanyName": text(query=True), "LegalName": text(query=True),
        "Country": text(query=True), "CompanyStartDate": QDATE,
        "FiscalYearStartMonth": text(), "SupportedLanguages": text(), "EmployerId": text(),
        "DefaultTimeZone": ro(text()),
    },
    "Preferences": {**ENVELOPE},
}  # fmt: skip

# The Java class QBO names in a 2010 body, where it differs from the table's name.
JAVA_CLASS = {"PaymentLine": "Line", "TaxLine": "Line", "TaxRateList": "TaxRateList"}

# Queryable entities the stand-in keeps (canonical spelling), and the QBO entities it does not
# keep: a query on one of those answers an empty result, as QBO does for a company without any.
ENTITIES = ("Customer", "Item", "Account", "TaxCode", "TaxRate", "Term", "Invoice", "Payment",
            "CompanyInfo", "Preferences")  # fmt: skip
KNOWN_UNMODELLED = (
    "Attachable", "Bill", "BillPayment", "Budget", "Class", "CompanyCurrency", "CreditMemo",
    "CustomerType", "Department", "Deposit", "Employee", "Estimate", "ExchangeRate",
    "InventoryAdjustment", "JournalCode", "JournalEntry", "PaymentMethod", "Purchase",
    "PurchaseOrder", "RecurringTransaction", "RefundReceipt", "ReimburseCharge",
    "SalesReceipt", "TaxAgency", "TaxClassification", "TimeActivity", "Transfer", "Vendor",
    "VendorCredit", "CreditCardPayment",
)  # fmt: skip

# What a query compares when it names an object property (``CustomerRef = '1'``).
SCALAR_OF = {
    "ReferenceType": "value",
    "EmailAddress": "Address",
    "TelephoneNumber": "FreeFormNumber",
}


def entity_name(name: str) -> str | None:
    """The canonical spelling of a queryable entity (names are case-insensitive), or None."""
    lowered = name.lower()
    return next((e for e in (*ENTITIES, *KNOWN_UNMODELLED) if e.lower() == lowered), None)
