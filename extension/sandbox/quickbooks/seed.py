"""The seeded companies: a US company (default) and a UK one with the global tax model.

Shapes follow Intuit's sample payloads (reference/quickbooks/samples). The US company has a
customer with an apostrophe, one billed in another currency (so multicurrency is on), service and
inventory items, income accounts, sales-tax codes and rates, and terms.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extension.sandbox.quickbooks.state import CompanyState

__all__ = ["US_REALM_ID", "GLOBAL_REALM_ID", "seed_company", "SEEDED_IDS"]

US_REALM_ID = "9341453050071001"
GLOBAL_REALM_ID = "9341453050071002"

SEEDED_IDS = {
    "customer_apostrophe": "1",
    "customer_plain": "2",
    "customer_foreign_currency": "3",
    "item_service": "1",
    "item_design": "2",
    "item_inventory": "5",
    "income_account": "1",
    "term_net_30": "3",
}


_address_ids = iter(range(1, 1_000_000))


def _addr(line1: str, city: str, region: str, postal: str, country: str) -> dict[str, str]:
    return {
        "Id": str(next(_address_ids)),
        "Lat": "INVALID",  # what QBO stores when geocoding did not resolve the address
        "Long": "INVALID",
        "Line1": line1,
        "City": city,
        "CountrySubDivisionCode": region,
        "PostalCode": postal,
        "Country": country,
    }


def _customer(
    cid: str, name: str, person: tuple[str, str], email: str, currency: tuple[str, str]
) -> dict[str, Any]:
    return {
        "Id": cid,
        "DisplayName": name,
        "CompanyName": name,
        "FullyQualifiedName": name,
        "PrintOnCheckName": name,
        "GivenName": person[0],
        "FamilyName": person[1],
        "Active": True,
        "Job": False,
        "Taxable": True,
        "Balance": Decimal("0"),
        "BalanceWithJobs": Decimal("0"),
        "PrimaryPhone": {"FreeFormNumber": "(555) 555-1234"},
        "PrimaryEmailAddr": {"Address": email},
        "BillAddr": _addr("4581 Finch St.", "Bayshore", "CA", "94326", "USA"),
        "CurrencyRef": {"value": currency[0], "name": currency[1]},
    }


def _item(iid: str, name: str, kind: str, price: str, income: tuple[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Id": iid,
        "Name": name,
        "FullyQualifiedName": name,
        "Description": name,
        "Type": kind,
        "UnitPrice": Decimal(price),
        "Taxable": True,
        "Active": True,
        "TrackQtyOnHand": kind == "Inventory",
        "IncomeAccountRef": {"value": income[0], "name": income[1]},
    }
    if kind == "Inventory":
        item.update(
            QtyOnHand=2,
            InvStartDate="2024-01-01",
            PurchaseCost=Decimal("125"),
            PurchaseDesc=name,
            AssetAccountRef={"value": "81", "name": "Inventory Asset"},
            ExpenseAccountRef={"value": "80", "name": "Cost of Goods Sold"},
        )
    return item


def _account(aid: str, name: str, kind: str, sub: str, classification: str, cur: str) -> Any:
    return {
        "Id": aid,
        "Name": name,
        "FullyQualifiedName": name,
        "Classification": classification,
        "AccountType": kind,
        "AccountSubType": sub,
        "CurrentBalance": Decimal("0"),
        "CurrentBalanceWithSubAccounts": Decimal("0"),
        "Active": True,
        "SubAccount": False,
        "CurrencyRef": {"value": cur, "name": cur},
    }


def _term(tid: str, name: str, days: int) -> dict[str, Any]:
    return {
        "Id": tid,
        "Name": name,
        "Type": "STANDARD",
        "DueDays": days,
        "DiscountPercent": Decimal("0"),
        "DiscountDays": 0,
        "Active": True,
    }


def _tax_code(cid: str, name: str, taxable: bool, rates: list[tuple[str, str]]) -> Any:
    return {
        "Id": cid,
        "Name": name,
        "Description": name,
        "Taxable": taxable,
        "TaxGroup": bool(rates),
        "Active": True,
        "SalesTaxRateList": {
            "TaxRateDetail": [
                {
                    "TaxRateRef": {"value": r, "name": n},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0,
                }
                for r, n in rates
            ]
        },
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }


def _tax_rate(rid: str, name: str, value: str) -> dict[str, Any]:
    return {
        "Id": rid,
        "Name": name,
        "Description": "Sales Tax",
        "RateValue": Decimal(value),
        "AgencyRef": {"value": "1"},
        "SpecialTaxType": "NONE",
        "DisplayType": "ReadOnly",
        "Active": True,
    }


def _preferences(home: str, multicurrency: bool, sales_tax: bool) -> dict[str, Any]:
    return {
        "Id": "1",
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "ETransactionPaymentEnabled": False,
            "ETransactionEnabledStatus": "NotApplicable",
            "AllowShipping": False,
            "AllowServiceDate": False,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowEstimates": True,
            "AutoApplyCredit": True,
            "AutoApplyPayments": True,
            "IPNSupportEnabled": False,
            "DefaultTerms": {"value": "3"},
            "DefaultCustomerMessage": "Thank you for your business and have a great day!",
            "EmailCopyToCompany": False,
            "UsingPriceLevels": False,
            "ETransactionAttachPDF": False,
            "UsingProgressInvoicing": False,
        },
        "TaxPrefs": {"UsingSalesTax": sales_tax, "TaxGroupCodeRef": {"value": "2"}},
        "CurrencyPrefs": {"HomeCurrency": {"value": home}, "MultiCurrencyEnabled": multicurrency},
        "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"}]},
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": False,
            "TaxYearMonth": "January",
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "TrackDepartments": False,
            "DepartmentTerminology": "Location",
            "BookCloseDate": "2023-12-31",
            "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": False, "TrackingByCustomer": False},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
        },
    }


def _company_info(realm: str, name: str, country: str, zone: str) -> dict[str, Any]:
    return {
        "Id": "1",
        # Minor version 75 added the company's time zone (reference §2.2).
        "DefaultTimeZone": zone,
        "CompanyName": name,
        "LegalName": name,
        "Country": country,
        "CompanyAddr": _addr("123 Sierra Way", "San Pablo", "CA", "87999", country),
        "LegalAddr": _addr("123 Sierra Way", "San Pablo", "CA", "87999", country),
        "Email": {"Address": "noreply@quickbooks.example"},
        "PrimaryPhone": {"FreeFormNumber": "(650)944-4444"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "FiscalYearStartMonth": "January",
        "CompanyStartDate": "2024-01-01",
        "EmployerId": "123456789",
        "CustomerCommunicationAddr": _addr("123 Sierra Way", "San Pablo", "CA", "87999", country),
        "NameValue": [{"Name": "SubscriptionStatus", "Value": "PAID"}],
    }


def seed_company(company: CompanyState, *, global_tax: bool) -> None:
    home = "GBP" if global_tax else "USD"
    other = ("EUR", "Euro") if global_tax else ("CAD", "Canadian Dollar")
    home_ref = (home, "British Pound Sterling" if global_tax else "United States Dollar")
    name = "Sandbox Company_GB_1" if global_tax else "Sandbox Company_US_1"
    company.company_info = _company_info(
        company.realm_id, name, "GB" if global_tax else "US", company.zone.key
    )
    company.add("CompanyInfo", company.company_info)
    company.preferences = _preferences(home, multicurrency=True, sales_tax=True)
    company.add("Preferences", company.preferences)
    for record in (
        _customer(
            "1", "Amy's Bird Sanctuary", ("Amy", "Lauterbach"), "birds@intuit.example", home_ref
        ),
        _customer("2", "Cool Cars", ("Grace", "Pariente"), "cool_cars@intuit.example", home_ref),
        _customer("3", "Maple Leaf Imports", ("Tom", "Leblanc"), "maple@intuit.example", other),
    ):
        company.add("Customer", record)
    for account in (
        _account("1", "Services", "Income", "ServiceFeeIncome", "Revenue", home),
        _account(
            "79", "Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue", home
        ),
        _account("82", "Design income", "Income", "ServiceFeeIncome", "Revenue", home),
        _account(
            "84",
            "Accounts Receivable (A/R)",
            "Accounts Receivable",
            "AccountsReceivable",
            "Asset",
            home,
        ),
        _account(
            "4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", home
        ),
        _account("81", "Inventory Asset", "Other Current Asset", "Inventory", "Asset", home),
        _account(
            "80",
            "Cost of Goods Sold",
            "Cost of Goods Sold",
            "SuppliesMaterialsCogs",
            "Expense",
            home,
        ),
    ):
        company.add("Account", account)
    for item in (
        _item("1", "Services", "Service", "100", ("1", "Services")),
        _item("2", "Design", "Service", "75", ("82", "Design income")),
        _item("5", "Rock Fountain", "Inventory", "275", ("79", "Sales of Product Income")),
    ):
        company.add("Item", item)
    for term in (
        _term("1", "Due on receipt", 0),
        _term("2", "Net 15", 15),
        _term("3", "Net 30", 30),
        _term("4", "Net 60", 60),
    ):
        company.add("Term", term)
    if global_tax:
        rates = [_tax_rate("1", "20.0% S", "20"), _tax_rate("2", "0.0% Z", "0")]
        codes = [
            _tax_code("3", "20.0% S", True, [("1", "20.0% S")]),
            _tax_code("4", "0.0% Z", True, [("2", "0.0% Z")]),
        ]
    else:
        rates = [
            _tax_rate("1", "AZ State tax", "7.1"),
            _tax_rate("2", "Tucson City", "2"),
            _tax_rate("3", "California", "8"),
        ]
        codes = [
            _tax_code("TAX", "TAX", True, []),
            _tax_code("NON", "NON", False, []),
            _tax_code("2", "California", True, [("3", "California")]),
            _tax_code("3", "Tucson", True, [("1", "AZ State tax"), ("2", "Tucson City")]),
        ]
    for rate in rates:
        company.add("TaxRate", rate)
    for code in codes:
        company.add("TaxCode", code)
    company.changes.clear()  # the seed is not a change anyone should hear about
