"""Typed values the Pipedrive client returns; money and quantities are ``Decimal``.

Parsing is tolerant of what the docs allow to be missing or null (Pipedrive omits or nulls many
fields) and strict about ids: an item without an integer ``id`` is a malformed answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "TokenSet",
    "CurrentUser",
    "Address",
    "Email",
    "Deal",
    "Person",
    "Organization",
    "DealProduct",
    "Product",
    "ProductPrice",
    "FieldOption",
    "FieldDefinition",
    "FieldSet",
    "Currency",
    "DealContext",
    "to_decimal",
]


def to_decimal(value: Any, default: str = "0") -> Decimal:
    if value is None or isinstance(value, bool):
        return Decimal(default)
    try:
        # str() first: a float such as 0.1 must become Decimal("0.1"), not its binary expansion.
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(default)


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _opt_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TokenSet:
    """An OAuth token response. ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    scope: str
    api_domain: str


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    name: str
    email: str
    company_id: int
    company_name: str
    company_domain: str
    is_admin: bool
    # "Date/number format" in the user's Pipedrive settings (e.g. ``fi_FI``), not the language.
    locale: str
    default_currency: str
    # The interface language the user chose in Pipedrive (``language.language_code``, e.g.
    # ``fi``, and ``language.country_code``, e.g. ``FI``) and their time zone (``Europe/Helsinki``).
    language_code: str = ""
    country_code: str = ""
    timezone_name: str = ""

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> CurrentUser:
        access = raw.get("access") or []
        language = raw.get("language")
        if not isinstance(language, dict):
            language = {}
        # is_admin is documented as 1/0 in older answers; access[].admin on app "global" is
        # the current shape. Either one makes the user an admin.
        global_admin = any(
            isinstance(a, dict) and a.get("app") == "global" and a.get("admin") is True
            for a in access
        )
        return cls(
            id=int(raw["id"]),
            name=_str(raw.get("name")),
            email=_str(raw.get("email")),
            company_id=int(raw["company_id"]),
            company_name=_str(raw.get("company_name")),
            company_domain=_str(raw.get("company_domain")),
            is_admin=bool(raw.get("is_admin")) or global_admin,
            locale=_str(raw.get("locale")),
            default_currency=_str(raw.get("default_currency")),
            language_code=_str(language.get("language_code")),
            country_code=_str(language.get("country_code")),
            timezone_name=_str(raw.get("timezone_name")),
        )


@dataclass(frozen=True, slots=True)
class Address:
    value: str
    street_number: str = ""
    route: str = ""
    locality: str = ""
    admin_area_level_1: str = ""
    postal_code: str = ""
    country: str = ""

    @classmethod
    def from_api(cls, raw: Any) -> Address | None:
        if not isinstance(raw, dict) or not raw.get("value"):
            return None
        return cls(**{k: _str(raw.get(k)) for k in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Email:
    value: str
    primary: bool
    label: str


@dataclass(frozen=True, slots=True)
class Deal:
    id: int
    title: str
    value: Decimal
    currency: str
    owner_id: int | None
    person_id: int | None
    org_id: int | None
    status: str
    custom_fields: dict[str, Any]

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Deal:
        return cls(
            id=int(raw["id"]),
            title=_str(raw.get("title")),
            value=to_decimal(raw.get("value")),
            currency=_str(raw.get("currency")),
            owner_id=_opt_int(raw.get("owner_id")),
            person_id=_opt_int(raw.get("person_id")),
            org_id=_opt_int(raw.get("org_id")),
            status=_str(raw.get("status")),
            custom_fields=dict(raw.get("custom_fields") or {}),
        )


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    org_id: int | None
    emails: tuple[Email, ...]
    phones: tuple[str, ...]
    custom_fields: dict[str, Any]

    @property
    def primary_email(self) -> str | None:
        primary = next((e for e in self.emails if e.primary), None)
        chosen = primary or (self.emails[0] if self.emails else None)
        return chosen.value if chosen else None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Person:
        emails = tuple(
            Email(_str(e.get("value")), bool(e.get("primary")), _str(e.get("label")))
            for e in raw.get("emails") or []
            if isinstance(e, dict) and e.get("value")
        )
        phones = tuple(_str(p.get("value")) for p in raw.get("phones") or [] if isinstance(p, dict))
        return cls(
            id=int(raw["id"]),
            name=_str(raw.get("name")),
            org_id=_opt_int(raw.get("org_id")),
            emails=emails,
            phones=phones,
            custom_fields=dict(raw.get("custom_fields") or {}),
        )


@dataclass(frozen=True, slots=True)
class Organization:
    id: int
    name: str
    address: Address | None
    custom_fields: dict[str, Any]

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Organization:
        return cls(
            id=int(raw["id"]),
            name=_str(raw.get("name")),
            address=Address.from_api(raw.get("address")),
            custom_fields=dict(raw.get("custom_fields") or {}),
        )


@dataclass(frozen=True, slots=True)
class DealProduct:
    id: int
    deal_id: int
    product_id: int | None
    name: str
    item_price: Decimal
    quantity: Decimal
    discount: Decimal
    discount_type: str  # "percentage" | "amount"
    tax: Decimal
    tax_method: str  # "exclusive" | "inclusive" | "none"
    sum: Decimal
    currency: str
    is_enabled: bool
    comments: str
    # Recurring products (Growth plan and above): "one-time" or how often the customer is billed;
    # cycles None means billed indefinitely (openapi-v2 deal products).
    billing_frequency: str = "one-time"
    billing_frequency_cycles: int | None = None
    billing_start_date: date | None = None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> DealProduct:
        return cls(
            id=int(raw["id"]),
            deal_id=int(raw["deal_id"]),
            product_id=_opt_int(raw.get("product_id")),
            name=_str(raw.get("name")),
            item_price=to_decimal(raw.get("item_price")),
            quantity=to_decimal(raw.get("quantity"), "1"),
            discount=to_decimal(raw.get("discount")),
            discount_type=_str(raw.get("discount_type")) or "percentage",
            tax=to_decimal(raw.get("tax")),
            tax_method=_str(raw.get("tax_method")) or "none",
            sum=to_decimal(raw.get("sum")),
            currency=_str(raw.get("currency")),
            is_enabled=raw.get("is_enabled") is not False,
            comments=_str(raw.get("comments")),
            billing_frequency=_str(raw.get("billing_frequency")) or "one-time",
            billing_frequency_cycles=_opt_int(raw.get("billing_frequency_cycles")),
            billing_start_date=_opt_date(raw.get("billing_start_date")),
        )


@dataclass(frozen=True, slots=True)
class ProductPrice:
    currency: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    name: str
    code: str
    unit: str
    tax: Decimal
    prices: tuple[ProductPrice, ...]
    description: str = ""

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Product:
        prices = tuple(
            ProductPrice(_str(p.get("currency")), to_decimal(p.get("price")))
            for p in raw.get("prices") or []
            if isinstance(p, dict)
        )
        return cls(
            id=int(raw["id"]),
            name=_str(raw.get("name")),
            code=_str(raw.get("code")),
            unit=_str(raw.get("unit")),
            tax=to_decimal(raw.get("tax")),
            prices=prices,
            description=_str(raw.get("description")),
        )


@dataclass(frozen=True, slots=True)
class FieldOption:
    id: int | str
    label: str


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    key: str  # a 40-character hash for custom fields
    name: str
    field_type: str
    is_custom: bool
    options: tuple[FieldOption, ...] = ()

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> FieldDefinition:
        options = tuple(
            FieldOption(o["id"], _str(o.get("label")))
            for o in raw.get("options") or []
            if isinstance(o, dict) and "id" in o
        )
        return cls(
            key=_str(raw.get("key")),
            name=_str(raw.get("name")),
            field_type=_str(raw.get("field_type")),
            is_custom=raw.get("edit_flag") is True,
            options=options,
        )


@dataclass(frozen=True, slots=True)
class FieldSet:
    """One entity's field definitions; ``custom`` are the hash-keyed ones."""

    entity: str
    fields: tuple[FieldDefinition, ...]

    @property
    def custom(self) -> tuple[FieldDefinition, ...]:
        return tuple(f for f in self.fields if f.is_custom)

    def by_key(self, key: str) -> FieldDefinition | None:
        return next((f for f in self.fields if f.key == key), None)

    def by_name(self, name: str) -> FieldDefinition | None:
        wanted = name.casefold()
        return next((f for f in self.fields if f.name.casefold() == wanted), None)


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    name: str
    symbol: str
    decimal_points: int


@dataclass(frozen=True, slots=True)
class DealContext:
    """A deal with what an invoice needs: its lines, person, organization and field sets."""

    deal: Deal
    products: tuple[DealProduct, ...]
    person: Person | None
    organization: Organization | None
    deal_fields: FieldSet
    person_fields: FieldSet
    organization_fields: FieldSet
