"""The seeded Pipedrive company as Pipedrive's API returns it (API v2 shapes, v1 for fields).

Built around ``extension.sandbox.seed`` (company, admin 9001, rep 9002, deals 101-108), so that
every case of creating an invoice can be walked through with either seeded QuickBooks company:

- 101 Acme (USD): percentage and amount discounts, tax exclusive and none.
- 102 Globex GmbH (EUR): tax inclusive, an amount discount; neither QuickBooks company has a
  customer for Globex, and the US one has no EUR customer at all.
- 103 no products: one line from the deal's title and value.
- 104 visible to its owner (the admin) only.
- 105 Amy's Bird Sanctuary (USD): a recurring product (monthly, 12 periods). The organization
  has the name and email of a customer both QuickBooks companies already have, so the
  popover suggests it: one Confirm links it, and 106 (same organization) then opens linked.
- 107 "Cool Cars" (USD): another firm than QuickBooks' customer of that name, so creating it
  meets the name clash and gets "Cool Cars (2)" suggested.
- 108 Brightwell Ltd (GBP): UK VAT at 20%, for the UK company (the US one has no GBP customer).

Organizations have addresses and a custom "VAT number" field; persons have several emails.
Custom fields are keyed by 40-character hashes, as in every Pipedrive company.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extension.sandbox.seed import DEALS, USERS

__all__ = [
    "VAT_NUMBER_KEY",
    "PO_NUMBER_KEY",
    "ORGANIZATIONS",
    "PERSONS",
    "PRODUCTS",
    "DEAL_PRODUCTS",
    "DEALS_V2",
    "FIELDS",
    "CURRENCIES",
    "visible_to_user",
]

VAT_NUMBER_KEY = "a3f1c9e27b5d4f08c6e1a2b3c4d5e6f708192a3b"
PO_NUMBER_KEY = "5be7d9c1e3f5a7b9d1c3e5f7a9b1d3c5e7f9a1b3"
ADMIN_ID, REP_ID = USERS[0].id, USERS[1].id
_T = "2025-09-01T09:00:00Z"

# visible_to: 1 = owner only, 3 = owner's visibility group, 7 = entire company
ORGANIZATIONS: dict[int, dict[str, Any]] = {
    201: {
        "id": 201,
        "name": "Acme Corporation",
        "owner_id": ADMIN_ID,
        "address": {
            "value": "100 Main Street, Springfield, IL 62701, USA",
            "street_number": "100",
            "route": "Main Street",
            "locality": "Springfield",
            "admin_area_level_1": "Illinois",
            "admin_area_level_2": "Sangamon County",
            "sublocality": "",
            "country": "United States",
            "postal_code": "62701",
        },
        "custom_fields": {VAT_NUMBER_KEY: "US-98-7654321"},
    },
    202: {
        "id": 202,
        "name": "Globex GmbH",
        "owner_id": REP_ID,
        "address": {
            "value": "Friedrichstraße 68, 10117 Berlin, Germany",
            "street_number": "68",
            "route": "Friedrichstraße",
            "locality": "Berlin",
            "admin_area_level_1": "Berlin",
            "admin_area_level_2": "",
            "sublocality": "Mitte",
            "country": "Germany",
            "postal_code": "10117",
        },
        "custom_fields": {VAT_NUMBER_KEY: "DE123456789"},
    },
    203: {
        "id": 203,
        "name": "Initech Holdings",
        "owner_id": ADMIN_ID,
        "address": {"value": "1 Corporate Way, Austin, TX 78701, USA", "country": "United States"},
        "custom_fields": {VAT_NUMBER_KEY: None},
    },
    204: {
        "id": 204,
        "name": "Amy's Bird Sanctuary",
        "owner_id": ADMIN_ID,
        "address": {
            "value": "4581 Finch St., Bayshore, CA 94326, USA",
            "street_number": "4581",
            "route": "Finch St.",
            "locality": "Bayshore",
            "admin_area_level_1": "CA",
            "admin_area_level_2": "",
            "sublocality": "",
            "country": "USA",
            "postal_code": "94326",
        },
        "custom_fields": {VAT_NUMBER_KEY: None},
    },
    205: {
        "id": 205,
        "name": "Cool Cars",
        "owner_id": REP_ID,
        "address": {
            "value": "12 Harbour Road, Portland, OR 97201, USA",
            "street_number": "12",
            "route": "Harbour Road",
            "locality": "Portland",
            "admin_area_level_1": "OR",
            "admin_area_level_2": "",
            "sublocality": "",
            "country": "USA",
            "postal_code": "97201",
        },
        "custom_fields": {VAT_NUMBER_KEY: None},
    },
    206: {
        "id": 206,
        "name": "Brightwell Ltd",
        "owner_id": ADMIN_ID,
        "address": {
            "value": "221 Baker Street, London NW1 6XE, United Kingdom",
            "street_number": "221",
            "route": "Baker Street",
            "locality": "London",
            "admin_area_level_1": "England",
            "admin_area_level_2": "Greater London",
            "sublocality": "",
            "country": "United Kingdom",
            "postal_code": "NW1 6XE",
        },
        "custom_fields": {VAT_NUMBER_KEY: "GB123456789"},
    },
}

PERSONS: dict[int, dict[str, Any]] = {
    301: {
        "id": 301,
        "name": "Alice Buyer",
        "first_name": "Alice",
        "last_name": "Buyer",
        "owner_id": ADMIN_ID,
        "org_id": 201,
        "emails": [
            {"value": "alice@acme.example", "primary": True, "label": "work"},
            {"value": "accounts@acme.example", "primary": False, "label": "other"},
            {"value": "alice.b@home.example", "primary": False, "label": "home"},
        ],
        "phones": [{"value": "+1 217 555 0100", "primary": True, "label": "work"}],
    },
    302: {
        "id": 302,
        "name": "Bernd Müller",
        "first_name": "Bernd",
        "last_name": "Müller",
        "owner_id": REP_ID,
        "org_id": 202,
        "emails": [
            {"value": "b.mueller@globex.example", "primary": True, "label": "work"},
            {"value": "rechnung@globex.example", "primary": False, "label": "work"},
        ],
        "phones": [],
    },
    303: {
        "id": 303,
        "name": "Carol Workshop",
        "first_name": "Carol",
        "last_name": "Workshop",
        "owner_id": REP_ID,
        "org_id": 201,
        "emails": [{"value": "carol@acme.example", "primary": True, "label": "work"}],
        "phones": [],
    },
    304: {
        "id": 304,
        "name": "Dana Discreet",
        "first_name": "Dana",
        "last_name": "Discreet",
        "owner_id": ADMIN_ID,
        "org_id": 203,
        "emails": [{"value": "dana@initech.example", "primary": True, "label": "work"}],
        "phones": [],
    },
    305: {
        "id": 305,
        "name": "Amy Lauterbach",
        "first_name": "Amy",
        "last_name": "Lauterbach",
        "owner_id": ADMIN_ID,
        "org_id": 204,
        "emails": [{"value": "birds@intuit.example", "primary": True, "label": "work"}],
        "phones": [{"value": "(555) 555-1234", "primary": True, "label": "work"}],
    },
    306: {
        "id": 306,
        "name": "Ramón Núñez",
        "first_name": "Ramón",
        "last_name": "Núñez",
        "owner_id": REP_ID,
        "org_id": 205,
        "emails": [{"value": "ramon@coolcars-pdx.example", "primary": True, "label": "work"}],
        "phones": [],
    },
    307: {
        "id": 307,
        "name": "Priya Shah",
        "first_name": "Priya",
        "last_name": "Shah",
        "owner_id": ADMIN_ID,
        "org_id": 206,
        "emails": [{"value": "accounts@brightwell.example", "primary": True, "label": "work"}],
        "phones": [],
    },
}

PRODUCTS: dict[int, dict[str, Any]] = {
    401: {"id": 401, "name": "Website design", "code": "WEB-DESIGN", "unit": "project", "tax": 8,
          "description": "Design of a responsive website, up to 12 page templates."},
    402: {"id": 402, "name": "Web hosting", "code": "HOST-M", "unit": "month", "tax": 8,
          "description": "Managed hosting with daily backups."},
    403: {"id": 403, "name": "Support hours", "code": "SUP-H", "unit": "hour", "tax": 19,
          "description": "Remote support, billed per started hour."},
    404: {"id": 404, "name": "Due diligence", "code": "DD-1", "unit": "project", "tax": 0,
          "description": ""},
    405: {"id": 405, "name": "Seed delivery", "code": "SEED-M", "unit": "month", "tax": 0,
          "description": "Monthly delivery of wild bird seed."},
    406: {"id": 406, "name": "Detailing package", "code": "DET-PKG", "unit": "car", "tax": 0,
          "description": "Interior and exterior detailing."},
    407: {"id": 407, "name": "Desk installation", "code": "DESK-INST", "unit": "desk",
          "tax": 20, "description": "Assembly and installation of one desk."},
}  # fmt: skip
_PRICES = {
    401: [("USD", "10000"), ("EUR", "9200")],
    402: [("USD", "250"), ("EUR", "230")],
    403: [("USD", "110"), ("EUR", "100"), ("GBP", "90")],
    404: [("USD", "90000")],
    405: [("USD", "90")],
    406: [("USD", "180")],
    407: [("GBP", "350")],
}
for _pid, _product in PRODUCTS.items():
    _product["prices"] = [
        {
            "product_id": _pid,
            "currency": c,
            "price": float(p),
            "cost": 0,
            "direct_cost": None,
            "notes": "",
        }
        for c, p in _PRICES[_pid]
    ]


def _line(
    line_id: int,
    deal_id: int,
    product_id: int,
    currency: str,
    price: str,
    quantity: int,
    discount: str,
    discount_type: str,
    tax: str,
    tax_method: str,
    *,
    billing: tuple[str, int | None, str | None] = ("one-time", None, None),
) -> dict[str, Any]:
    gross = Decimal(price) * quantity
    off = gross * Decimal(discount) / 100 if discount_type == "percentage" else Decimal(discount)
    net = gross - off
    total = net * (1 + Decimal(tax) / 100) if tax_method == "exclusive" else net
    return {
        "id": line_id,
        "deal_id": deal_id,
        "product_id": product_id,
        "product_variation_id": None,
        "name": PRODUCTS[product_id]["name"],
        "item_price": float(price),
        "quantity": quantity,
        "sum": float(total.quantize(Decimal("0.01"))),
        "tax": float(tax),
        "tax_method": tax_method,
        "currency": currency,
        "discount": float(discount),
        "discount_type": discount_type,
        "is_enabled": True,
        "comments": "",
        "billing_frequency": billing[0],
        "billing_frequency_cycles": billing[1],
        "billing_start_date": billing[2],
        "add_time": _T,
        "update_time": _T,
    }


DEAL_PRODUCTS: dict[int, list[dict[str, Any]]] = {
    101: [
        _line(501, 101, 401, "USD", "10000", 1, "10", "percentage", "8", "exclusive"),
        _line(502, 101, 402, "USD", "250", 14, "0", "percentage", "8", "exclusive"),
        _line(505, 101, 403, "USD", "110", 3, "30", "amount", "0", "none"),
    ],
    102: [_line(503, 102, 403, "EUR", "100", 50, "200", "amount", "19", "inclusive")],
    103: [],
    104: [_line(504, 104, 404, "USD", "90000", 1, "0", "percentage", "0", "none")],
    105: [
        _line(506, 105, 405, "USD", "90", 1, "0", "percentage", "0", "none",
              billing=("monthly", 12, "2026-01-01")),
    ],
    106: [_line(507, 106, 403, "USD", "110", 9, "0", "percentage", "0", "none")],
    107: [_line(508, 107, 406, "USD", "180", 10, "10", "percentage", "0", "none")],
    108: [
        _line(509, 108, 407, "GBP", "350", 24, "5", "percentage", "20", "exclusive"),
        _line(510, 108, 403, "GBP", "90", 8, "0", "percentage", "20", "exclusive"),
    ],
}  # fmt: skip

_DEAL_LINKS = {
    101: (301, 201, ADMIN_ID),
    102: (302, 202, REP_ID),
    103: (303, 201, REP_ID),
    104: (304, 203, ADMIN_ID),
    105: (305, 204, ADMIN_ID),
    106: (305, 204, REP_ID),
    107: (306, 205, REP_ID),
    108: (307, 206, ADMIN_ID),
}
_PO_NUMBERS = {101: "PO-2025-0042", 102: "BE-7781", 108: "BW-4410"}

DEALS_V2: dict[int, dict[str, Any]] = {}
for _deal in DEALS:
    _person, _org, _owner = _DEAL_LINKS[_deal.id]
    DEALS_V2[_deal.id] = {
        "id": _deal.id,
        "title": _deal.title,
        "owner_id": _owner,
        "person_id": _person,
        "org_id": _org,
        "pipeline_id": 1,
        "stage_id": 2,
        "value": float(_deal.value),
        "currency": _deal.currency,
        "add_time": _T,
        "update_time": _T,
        "stage_change_time": _T,
        "is_deleted": False,
        "is_archived": False,
        "status": "open",
        "probability": None,
        "lost_reason": None,
        "visible_to": 7 if _deal.visible_to_rep else 1,
        "close_time": None,
        "expected_close_date": "2025-12-31",
        "label_ids": [],
        "origin": "ManuallyCreated",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "acv": None,
        "arr": None,
        "mrr": None,
        "custom_fields": {PO_NUMBER_KEY: _PO_NUMBERS.get(_deal.id)},
    }

for _entity in (*ORGANIZATIONS.values(), *PERSONS.values()):
    _entity.update(
        {"add_time": _T, "update_time": _T, "is_deleted": False, "label_ids": [], "visible_to": 7}
    )
    _entity.setdefault("custom_fields", {})
for _product in PRODUCTS.values():
    _product.update(
        {
            "owner_id": ADMIN_ID,
            "is_deleted": False,
            "is_linkable": True,
            "visible_to": 7,
            "billing_frequency": "one-time",
            "billing_frequency_cycles": None,
            "custom_fields": {},
        }
    )
ORGANIZATIONS[203]["visible_to"] = 1
PERSONS[304]["visible_to"] = 1


def visible_to_user(entity: dict[str, Any], user_id: int) -> bool:
    """Owner-only items (visible_to 1) are seen by their owner; everything else by everyone."""
    return entity.get("visible_to") != 1 or entity.get("owner_id") == user_id


def _field(
    field_id: int,
    key: str,
    name: str,
    field_type: str,
    *,
    custom: bool = False,
    options: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": field_id,
        "key": key,
        "name": name,
        "field_type": field_type,
        "order_nr": field_id,
        "add_time": "2025-01-01 00:00:00",
        "update_time": "2025-01-01 00:00:00",
        "last_updated_by_user_id": ADMIN_ID,
        "created_by_user_id": ADMIN_ID,
        "active_flag": True,
        "edit_flag": custom,
        "index_visible_flag": True,
        "details_visible_flag": True,
        "add_visible_flag": True,
        "important_flag": False,
        "bulk_edit_allowed": True,
        "searchable_flag": custom,
        "filtering_allowed": True,
        "sortable_flag": True,
        "mandatory_flag": False,
        "options": options,
    }


FIELDS: dict[str, list[dict[str, Any]]] = {
    "deal": [
        _field(12451, "title", "Title", "varchar"),
        _field(12452, "value", "Value", "monetary"),
        _field(12453, "currency", "Currency", "varchar"),
        _field(12454, "org_id", "Organization", "org"),
        _field(12455, "person_id", "Contact person", "people"),
        _field(12460, PO_NUMBER_KEY, "Purchase order number", "varchar", custom=True),
    ],
    "person": [
        _field(9051, "name", "Name", "varchar"),
        _field(9052, "email", "Email", "varchar"),
        _field(9053, "org_id", "Organization", "org"),
    ],
    "organization": [
        _field(4041, "name", "Name", "varchar"),
        _field(4042, "address", "Address", "address"),
        _field(4050, VAT_NUMBER_KEY, "VAT number", "varchar", custom=True),
    ],
}

CURRENCIES: list[dict[str, Any]] = [
    {
        "id": 1,
        "code": "USD",
        "name": "US Dollar",
        "symbol": "$",
        "decimal_points": 2,
        "active_flag": True,
        "is_custom_flag": False,
    },
    {
        "id": 2,
        "code": "EUR",
        "name": "Euro",
        "symbol": "€",
        "decimal_points": 2,
        "active_flag": True,
        "is_custom_flag": False,
    },
    {
        "id": 3,
        "code": "GBP",
        "name": "Pound Sterling",
        "symbol": "£",
        "decimal_points": 2,
        "active_flag": True,
        "is_custom_flag": False,
    },
]
