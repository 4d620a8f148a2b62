"""Typed QuickBooks Online entities (reference §2–3). Money is ``Decimal``, never float.

``from_api`` reads what QBO sends and tolerates missing and extra fields (the API adds fields
with new minor versions and omits empty ones); drafts and changes build request bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

__all__ = [
    "Ref",
    "PhysicalAddress",
    "Customer",
    "CustomerDraft",
    "CustomerUpdate",
    "Item",
    "ItemDraft",
    "Vendor",
    "Employee",
    "Account",
    "TaxCode",
    "TaxRate",
    "Term",
    "Preferences",
    "CompanyInfo",
    "Entity",
]

Json = dict[str, Any]


def money(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def opt_money(value: Any) -> Decimal | None:
    return None if value is None else money(value)


def text(data: Json, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def meta_updated(data: Json) -> datetime | None:
    """``MetaData.LastUpdatedTime`` as an instant: QBO writes it in the company's own offset
    (``-07:00`` in summer, ``-08:00`` in winter), so the text does not sort or compare."""
    meta = data.get("MetaData")
    stamp = text(meta, "LastUpdatedTime") if isinstance(meta, dict) else ""
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Ref:
    value: str
    name: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Ref | None:
        if not isinstance(data, dict) or data.get("value") in (None, ""):
            return None
        return cls(value=str(data["value"]), name=text(data, "name"))

    def to_api(self) -> Json:
        return {"value": self.value, **({"name": self.name} if self.name else {})}


@dataclass(frozen=True, slots=True)
class PhysicalAddress:
    """QBO's PhysicalAddress: up to five free lines plus city, region, postal code and country.

    ``Id``, ``Lat`` and ``Long`` are system-defined and left out on purpose: they are never sent.
    """

    lines: tuple[str, ...] = ()
    city: str = ""
    region: str = ""  # CountrySubDivisionCode ("state name for USA" in Intuit's reference)
    postal_code: str = ""
    country: str = ""

    @classmethod
    def from_api(cls, data: Any) -> PhysicalAddress | None:
        if not isinstance(data, dict):
            return None
        address = cls(
            lines=tuple(text(data, f"Line{n}") for n in range(1, 6) if text(data, f"Line{n}")),
            city=text(data, "City"),
            region=text(data, "CountrySubDivisionCode"),
            postal_code=text(data, "PostalCode"),
            country=text(data, "Country"),
        )
        return address if address != cls() else None

    def to_api(self) -> Json:
        body: Json = {f"Line{n}": line for n, line in enumerate(self.lines[:5], start=1)}
        optional = {
            "City": self.city,
            "CountrySubDivisionCode": self.region,
            "PostalCode": self.postal_code,
            "Country": self.country,
        }
        body.update({k: v for k, v in optional.items() if v})
        return body


def _email(data: Json, key: str) -> str:
    value = data.get(key)
    return text(value, "Address") if isinstance(value, dict) else ""


class Entity:
    """Base for entities readable by id and by query; ``ENTITY`` is QBO's name."""

    ENTITY: ClassVar[str]

    @classmethod
    def from_api(cls, data: Json) -> Self:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Customer(Entity):
    ENTITY: ClassVar[str] = "Customer"
    id: str
    sync_token: str
    display_name: str
    company_name: str = ""
    email: str = ""
    currency: Ref | None = None
    active: bool = True
    balance: Decimal = Decimal("0")
    updated_at: datetime | None = None
    bill_address: PhysicalAddress | None = None
    # PrimaryTaxIdentifier (GB, CA, IN, AU): QBO masks it on read, showing the last five only.
    tax_identifier: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Customer:
        return cls(
            id=text(data, "Id"),
            sync_token=text(data, "SyncToken"),
            display_name=text(data, "DisplayName"),
            company_name=text(data, "CompanyName"),
            email=_email(data, "PrimaryEmailAddr"),
            currency=Ref.from_api(data.get("CurrencyRef")),
            active=bool(data.get("Active", True)),
            balance=money(data.get("Balance")),
            updated_at=meta_updated(data),
            bill_address=PhysicalAddress.from_api(data.get("BillAddr")),
            tax_identifier=text(data, "PrimaryTaxIdentifier"),
        )


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    """A sparse customer update: only the fields set here change (reference §3.5)."""

    id: str
    sync_token: str
    bill_address: PhysicalAddress | None = None
    email: str | None = None
    tax_identifier: str | None = None

    def to_api(self) -> Json:
        body: Json = {"Id": self.id, "SyncToken": self.sync_token, "sparse": True}
        if self.bill_address is not None:
            body["BillAddr"] = self.bill_address.to_api()
        if self.email is not None:
            body["PrimaryEmailAddr"] = {"Address": self.email}
        if self.tax_identifier is not None:
            body["PrimaryTaxIdentifier"] = self.tax_identifier
        return body


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    display_name: str
    company_name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""
    currency_code: str = ""
    bill_address: PhysicalAddress | None = None
    # PrimaryTaxIdentifier exists for GB, CA, IN and AU companies only; never sent elsewhere.
    tax_identifier: str = ""

    def to_api(self) -> Json:
        # Without a DisplayName QBO derives one from the name parts; an empty one is not sent.
        body: Json = {"DisplayName": self.display_name} if self.display_name.strip() else {}
        if self.company_name:
            body["CompanyName"] = self.company_name
        if self.given_name:
            body["GivenName"] = self.given_name
        if self.family_name:
            body["FamilyName"] = self.family_name
        if self.email:
            body["PrimaryEmailAddr"] = {"Address": self.email}
        if self.phone:
            body["PrimaryPhone"] = {"FreeFormNumber": self.phone}
        if self.currency_code:
            body["CurrencyRef"] = {"value": self.currency_code}
        if self.bill_address is not None:
            body["BillAddr"] = self.bill_address.to_api()
        if self.tax_identifier:
            body["PrimaryTaxIdentifier"] = self.tax_identifier
        return body


@dataclass(frozen=True, slots=True)
class Item(Entity):
    ENTITY: ClassVar[str] = "Item"
    id: str
    sync_token: str
    name: str
    type: str
    unit_price: Decimal = Decimal("0")
    description: str = ""
    income_account: Ref | None = None
    taxable: bool = False
    active: bool = True
    sku: str = ""

    @property
    def sellable(self) -> bool:
        """Active and not a category: categories group items and cannot be on an invoice."""
        return self.active and self.type != "Category"

    @classmethod
    def from_api(cls, data: Json) -> Item:
        return cls(
            id=text(data, "Id"),
            sync_token=text(data, "SyncToken"),
            name=text(data, "Name"),
            type=text(data, "Type"),
            unit_price=money(data.get("UnitPrice")),
            description=text(data, "Description"),
            income_account=Ref.from_api(data.get("IncomeAccountRef")),
            taxable=bool(data.get("Taxable", False)),
            active=bool(data.get("Active", True)),
            sku=text(data, "Sku"),
        )


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """A new service item (Intuit's sample: Name, Type, IncomeAccountRef)."""

    name: str
    income_account_id: str
    type: str = "Service"
    description: str = ""
    sku: str = ""
    unit_price: Decimal | None = None
    taxable: bool | None = None  # US companies: whether sales tax applies by default

    def to_api(self) -> Json:
        body: Json = {
            "Name": self.name,
            "Type": self.type,
            "IncomeAccountRef": {"value": self.income_account_id},
        }
        if self.description:
            body["Description"] = self.description
        if self.sku:
            body["Sku"] = self.sku
        if self.unit_price is not None:
            body["UnitPrice"] = self.unit_price
        if self.taxable is not None:
            body["Taxable"] = self.taxable
        return body


@dataclass(frozen=True, slots=True)
class Vendor(Entity):
    """Only what a name check needs: DisplayName is unique across customers, vendors and
    employees (error 6240)."""

    ENTITY: ClassVar[str] = "Vendor"
    id: str
    display_name: str
    active: bool = True

    @classmethod
    def from_api(cls, data: Json) -> Vendor:
        return cls(
            id=text(data, "Id"),
            display_name=text(data, "DisplayName"),
            active=bool(data.get("Active", True)),
        )


@dataclass(frozen=True, slots=True)
class Employee(Entity):
    ENTITY: ClassVar[str] = "Employee"
    id: str
    display_name: str
    active: bool = True

    @classmethod
    def from_api(cls, data: Json) -> Employee:
        return cls(
            id=text(data, "Id"),
            display_name=text(data, "DisplayName"),
            active=bool(data.get("Active", True)),
        )


@dataclass(frozen=True, slots=True)
class Account(Entity):
    ENTITY: ClassVar[str] = "Account"
    id: str
    name: str
    account_type: str
    account_sub_type: str = ""
    classification: str = ""
    currency: Ref | None = None
    active: bool = True

    @classmethod
    def from_api(cls, data: Json) -> Account:
        return cls(
            id=text(data, "Id"),
            name=text(data, "Name"),
            account_type=text(data, "AccountType"),
            account_sub_type=text(data, "AccountSubType"),
            classification=text(data, "Classification"),
            currency=Ref.from_api(data.get("CurrencyRef")),
            active=bool(data.get("Active", True)),
        )


@dataclass(frozen=True, slots=True)
class TaxCode(Entity):
    ENTITY: ClassVar[str] = "TaxCode"
    id: str
    name: str
    description: str = ""
    taxable: bool = False
    tax_group: bool = False
    active: bool = True
    sales_tax_rates: tuple[Ref, ...] = ()

    @classmethod
    def from_api(cls, data: Json) -> TaxCode:
        rate_list = data.get("SalesTaxRateList")
        details = rate_list.get("TaxRateDetail", []) if isinstance(rate_list, dict) else []
        rates = tuple(
            ref
            for d in details
            if isinstance(d, dict) and (ref := Ref.from_api(d.get("TaxRateRef")))
        )
        return cls(
            id=text(data, "Id"),
            name=text(data, "Name"),
            description=text(data, "Description"),
            taxable=bool(data.get("Taxable", False)),
            tax_group=bool(data.get("TaxGroup", False)),
            active=bool(data.get("Active", True)),
            sales_tax_rates=rates,
        )


@dataclass(frozen=True, slots=True)
class TaxRate(Entity):
    ENTITY: ClassVar[str] = "TaxRate"
    id: str
    name: str
    rate_value: Decimal
    description: str = ""
    active: bool = True

    @classmethod
    def from_api(cls, data: Json) -> TaxRate:
        return cls(
            id=text(data, "Id"),
            name=text(data, "Name"),
            rate_value=money(data.get("RateValue")),
            description=text(data, "Description"),
            active=bool(data.get("Active", True)),
        )


@dataclass(frozen=True, slots=True)
class Term(Entity):
    ENTITY: ClassVar[str] = "Term"
    id: str
    name: str
    type: str
    due_days: int | None = None
    active: bool = True

    @classmethod
    def from_api(cls, data: Json) -> Term:
        due = data.get("DueDays")
        return cls(
            id=text(data, "Id"),
            name=text(data, "Name"),
            type=text(data, "Type"),
            due_days=int(due) if due is not None else None,
            active=bool(data.get("Active", True)),
        )


def _section(data: Json, key: str) -> Json:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class Preferences:
    home_currency: str
    multicurrency_enabled: bool
    custom_txn_numbers: bool
    online_payments_enabled: bool
    using_sales_tax: bool
    partner_tax_enabled: bool
    default_terms: Ref | None = None

    @classmethod
    def from_api(cls, data: Json) -> Preferences:
        sales = _section(data, "SalesFormsPrefs")
        currency = _section(data, "CurrencyPrefs")
        tax = _section(data, "TaxPrefs")
        home = Ref.from_api(currency.get("HomeCurrency"))
        return cls(
            home_currency=home.value if home else "",
            multicurrency_enabled=bool(currency.get("MultiCurrencyEnabled", False)),
            custom_txn_numbers=bool(sales.get("CustomTxnNumbers", False)),
            online_payments_enabled=bool(sales.get("ETransactionPaymentEnabled", False)),
            using_sales_tax=bool(tax.get("UsingSalesTax", False)),
            partner_tax_enabled=bool(tax.get("PartnerTaxEnabled", False)),
            default_terms=Ref.from_api(sales.get("DefaultTerms")),
        )


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    id: str
    company_name: str
    legal_name: str
    country: str
    email: str = ""
    # Minor version 75 added DefaultTimeZone; older answers lack it.
    default_time_zone: str = ""

    @property
    def uses_global_tax_model(self) -> bool:
        """Outside the US every taxable line needs a tax code and GlobalTaxCalculation."""
        return self.country not in ("", "US")

    @classmethod
    def from_api(cls, data: Json) -> CompanyInfo:
        return cls(
            id=text(data, "Id"),
            company_name=text(data, "CompanyName"),
            legal_name=text(data, "LegalName"),
            country=text(data, "Country"),
            email=_email(data, "Email"),
            default_time_zone=text(data, "DefaultTimeZone"),
        )
