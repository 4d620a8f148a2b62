"""Deals, settings and QuickBooks companies shaped like the sandbox's seeded ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extension.pipedrive.models import (
    Deal,
    DealContext,
    DealProduct,
    FieldDefinition,
    FieldOption,
    FieldSet,
    Organization,
    Person,
)
from extension.quickbooks.models import CompanyInfo, Preferences

VAT_KEY = "a3f1c9e27b5d4f08c6e1a2b3c4d5e6f708192a3b"
TIER_KEY = "5be7d9c1e3f5a7b9d1c3e5f7a9b1d3c5e7f9a1b3"
BILLING_KEY = "0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5"

ACME_ADDRESS = {
    "value": "100 Main Street, Springfield, IL 62701, USA",
    "street_number": "100",
    "route": "Main Street",
    "locality": "Springfield",
    "admin_area_level_1": "Illinois",
    "postal_code": "62701",
    "country": "United States",
}


def deal_product(id: int, product_id: int | None, **kw: Any) -> DealProduct:
    raw = {
        "id": id, "deal_id": 101, "product_id": product_id, "name": f"Product {product_id}",
        "item_price": 100, "quantity": 1, "discount": 0, "discount_type": "percentage",
        "tax": 0, "tax_method": "exclusive", "sum": 100, "currency": "USD", "is_enabled": True,
        "comments": "",
    }  # fmt: skip
    raw.update(kw)
    return DealProduct.from_api(raw)


def context(*products: DealProduct, org: bool = True, person: bool = True) -> DealContext:
    deal = Deal.from_api(
        {"id": 101, "title": "Website redesign", "value": 13800, "currency": "USD",
         "person_id": 301, "org_id": 201,
         "custom_fields": {TIER_KEY: 2}}
    )  # fmt: skip
    organization = Organization.from_api(
        {"id": 201, "name": "Acme Corporation", "address": ACME_ADDRESS,
         "custom_fields": {VAT_KEY: "US-98-7654321", BILLING_KEY: {
             "value": "Friedrichstraße 68, 10117 Berlin, Germany", "route": "Friedrichstraße",
             "street_number": "68", "locality": "Berlin", "postal_code": "10117",
             "country": "Germany"}}}
    )  # fmt: skip
    someone = Person.from_api(
        {"id": 301, "name": "Ada Buyer", "org_id": 201,
         "emails": [{"value": "ada@home.test", "primary": False, "label": "home"},
                    {"value": "ap@acme.test", "primary": True, "label": "work"}]}
    )  # fmt: skip
    deal_fields = FieldSet(
        "deal",
        (
            FieldDefinition(
                TIER_KEY, "Tier", "enum", True, (FieldOption(1, "Silver"), FieldOption(2, "Gold"))
            ),
        ),
    )
    org_fields = FieldSet(
        "organization",
        (
            FieldDefinition(VAT_KEY, "VAT number", "varchar", True),
            FieldDefinition(BILLING_KEY, "Billing address", "address", True),
        ),
    )
    return DealContext(
        deal=deal,
        products=products,
        person=someone if person else None,
        organization=organization if org else None,
        deal_fields=deal_fields,
        person_fields=FieldSet("person", ()),
        organization_fields=org_fields,
    )


def preferences(**kw: Any) -> Preferences:
    values: dict[str, Any] = {
        "home_currency": "USD",
        "multicurrency_enabled": False,
        "custom_txn_numbers": False,
        "online_payments_enabled": False,
        "using_sales_tax": True,
        "partner_tax_enabled": False,
    }
    values.update(kw)
    return Preferences(**values)


def company(country: str = "US") -> CompanyInfo:
    return CompanyInfo(id="1", company_name="Larry's Bakery", legal_name="", country=country)


RATES = {"2": Decimal("8"), "5": Decimal("19"), "6": Decimal("7"), "9": Decimal("0")}
