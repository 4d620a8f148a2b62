"""The first draft of an invoice, built from a deal and the company's settings.

Customer details come from the company's field mapping (settings: ``entity:field`` keys, e.g.
``organization:name``, ``person:email`` or a custom field ``organization:<40-char hash>``, as
in ``reference_lists.BUILT_IN_FIELDS``). Custom field values follow API v2 (pipedrive.md §3.3):
an address is an object, an option is an id to be named from the field definitions.

Lines are the deal's enabled products (a disabled product is not part of the deal's value);
a deal without products gets one line from its title and value. A product billed on a
schedule is invoiced for its first period, marked so the template can say it. Lines are
linked to the QuickBooks items remembered for their Pipedrive products; everything else the
user completes in the modal. Nothing here reads a clock: "today" in the company's time zone
is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from extension.invoicing.company_settings import MAX_DUE_DAYS, SettingsValues
from extension.invoicing.drafts import (
    BillingFrequency,
    ContactRef,
    CustomerSection,
    DealReference,
    Discount,
    DiscountType,
    DraftInvoice,
    DraftLine,
    InvoiceDetails,
    RecurringBilling,
    TaxMethod,
)
from extension.invoicing.tax_modes import US_NON_TAXABLE, US_TAXABLE, TaxModel, match_tax_code
from extension.pipedrive.models import Address, DealContext, DealProduct, FieldSet, Product
from extension.quickbooks.models import Term

__all__ = ["prefill_draft", "mapped_value", "due_date_for_terms", "address_section"]


def _custom_text(value: Any, field_set: FieldSet, key: str) -> str:
    definition = field_set.by_key(key)
    if isinstance(value, dict):  # monetary {value, currency}, address {value, ...}, time ...
        value = value.get("value")
    if definition and definition.options and value is not None:
        ids = value if isinstance(value, list) else [value]
        labels = {str(o.id): o.label for o in definition.options}
        return ", ".join(labels.get(str(i), str(i)) for i in ids)
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()


def mapped_value(spec: str, context: DealContext) -> str | Address | None:
    """The value a settings mapping points at: text, an address, or None when empty."""
    entity, _, key = spec.partition(":")
    deal, person, org = context.deal, context.person, context.organization
    built_in: dict[str, Any] = {
        "deal:title": deal.title,
        "person:name": person.name if person else None,
        "person:email": person.primary_email if person else None,
        "person:phone": person.phones[0] if person and person.phones else None,
        "organization:name": org.name if org else None,
        "organization:address": org.address if org else None,
    }
    if spec in built_in:
        found = built_in[spec]
        return found if found else None
    sources = {
        "deal": (deal.custom_fields, context.deal_fields),
        "person": (person.custom_fields if person else {}, context.person_fields),
        "organization": (org.custom_fields if org else {}, context.organization_fields),
    }
    if entity not in sources or not key:
        return None
    fields, field_set = sources[entity]
    raw = fields.get(key)
    if isinstance(raw, dict) and "route" in raw:  # an address custom field
        return Address.from_api(raw)
    return _custom_text(raw, field_set, key) or None


def address_section(address: Address) -> tuple[tuple[str, ...], str, str, str, str]:
    """(street lines, city, region, postal code, country) of a Pipedrive address."""
    number, route = address.street_number, address.route
    if number and route:
        # Follow the formatted address: "100 Main Street" in the US, "Friedrichstraße 68" in DE.
        street = f"{number} {route}" if address.value.startswith(number) else f"{route} {number}"
    else:
        street = route or number
    if not street and not address.locality:
        street = address.value  # only the formatted address is known
    lines = (street,) if street else ()
    return lines, address.locality, address.admin_area_level_1, address.postal_code, address.country


def _customer(
    context: DealContext, settings: SettingsValues, customer_id: str | None
) -> CustomerSection:
    def text(spec: str) -> str:
        value = mapped_value(spec, context) if spec else None
        return value.value if isinstance(value, Address) else (value or "")

    org, person = context.organization, context.person
    name = (
        text(settings.map_recipient) or (org.name if org else "") or (person.name if person else "")
    )
    address = mapped_value(settings.map_address, context) if settings.map_address else None
    lines, city, region, postal, country = (
        address_section(address) if isinstance(address, Address) else ((), "", "", "", "")
    )
    if isinstance(address, str):
        lines = tuple(part.strip() for part in address.splitlines() if part.strip())
    contact = (
        ContactRef("organization", org.id)
        if org
        else ContactRef("person", person.id)
        if person
        else None
    )
    return CustomerSection(
        name=name,
        address_lines=lines,
        city=city,
        region=region,
        postal_code=postal,
        country=country,
        email=text(settings.map_email),
        tax_id=text(settings.map_tax_id),
        customer_id=customer_id,
        update_customer=settings.update_customer_default,
        contact=contact,
    )


def _tax_code(
    rate: Decimal,
    method: TaxMethod,
    model: TaxModel,
    settings: SettingsValues,
    rates: Mapping[str, Decimal],
) -> str:
    if model.is_us and model.taxes:
        if method is TaxMethod.NONE:
            return US_NON_TAXABLE
        return US_TAXABLE if rate > 0 or settings.default_taxable else US_NON_TAXABLE
    if model is TaxModel.GLOBAL:
        return match_tax_code(rate, rates, settings.default_tax_code_id)
    return ""


def _recurring(product: DealProduct) -> RecurringBilling | None:
    if product.billing_frequency not in BillingFrequency._value2member_map_:
        return None
    frequency = BillingFrequency(product.billing_frequency)
    if frequency is BillingFrequency.ONE_TIME:
        return None
    return RecurringBilling(frequency, product.billing_frequency_cycles, product.billing_start_date)


def _product_line(
    product: DealProduct,
    catalog: Mapping[int, Product],
    item_links: Mapping[int, str],
    tax_code: str,
) -> DraftLine:
    known = catalog.get(product.product_id) if product.product_id is not None else None
    recurring = _recurring(product)
    return DraftLine(
        name=product.name,
        # The deal's own comment on the product says more about this sale than the catalog.
        description=product.comments.strip() or (known.description.strip() if known else ""),
        quantity=product.quantity,
        unit_price=product.item_price,
        discount=Discount(
            product.discount,
            DiscountType.AMOUNT if product.discount_type == "amount" else DiscountType.PERCENTAGE,
        ),
        tax_rate=product.tax,
        tax_code_id=tax_code,
        recurring=recurring,
        # The first period starts on the billing start date; that is when the service is due.
        service_date=recurring.start if recurring else None,
        item_id=item_links.get(product.product_id) if product.product_id is not None else None,
        product_id=product.product_id,
        deal_product_id=product.id,
    )


def due_date_for_terms(invoice_date: date, term: Term | None, offset_days: int) -> date:
    """Choosing terms recomputes the due date; without terms (or date-driven ones) the offset."""
    if term is not None and term.due_days is not None:
        return invoice_date + timedelta(days=term.due_days)
    return invoice_date + timedelta(days=offset_days)


def _offset(settings: SettingsValues) -> int:
    days = settings.due_days
    return int(days) if days.isascii() and days.isdigit() and int(days) <= MAX_DUE_DAYS else 0


def prefill_draft(
    context: DealContext,
    settings: SettingsValues,
    model: TaxModel,
    *,
    today: date,
    deal_url: str,
    default_terms_id: str = "",
    customer_id: str | None = None,
    item_links: Mapping[int, str] | None = None,
    catalog: Mapping[int, Product] | None = None,
    tax_code_rates: Mapping[str, Decimal] | None = None,
) -> DraftInvoice:
    """The draft the modal opens with.

    ``customer_id`` is the QuickBooks customer remembered for the deal's contact; ``item_links``
    maps Pipedrive product ids to remembered QuickBooks items; ``catalog`` holds the Pipedrive
    products (for their descriptions); ``default_terms_id`` is QuickBooks' own default
    (``SalesFormsPrefs.DefaultTerms``), used when settings name none.
    """
    links, products, rates = item_links or {}, catalog or {}, tax_code_rates or {}
    deal = context.deal
    enabled = [p for p in context.products if p.is_enabled]
    # Pipedrive's tax method is deal-wide: "changing this in one product affects the rest".
    method = TaxMethod.parse(enabled[0].tax_method) if enabled else TaxMethod.NONE
    if enabled:
        lines = tuple(
            _product_line(p, products, links, _tax_code(p.tax, method, model, settings, rates))
            for p in enabled
        )
    else:
        lines = (
            DraftLine(
                name=deal.title,
                quantity=Decimal("1"),
                unit_price=deal.value,
                tax_rate=Decimal("0"),
                tax_code_id=_tax_code(Decimal("0"), TaxMethod.EXCLUSIVE, model, settings, rates),
            ),
        )
    details = InvoiceDetails(
        invoice_date=today,
        due_date=today + timedelta(days=_offset(settings)),
        terms_id=settings.default_terms_id or default_terms_id,
        currency=deal.currency,
        tax_method=method,
        sales_tax_code_id=settings.default_tax_code_id if model is TaxModel.US_MANUAL else "",
    )
    return DraftInvoice(
        customer=_customer(context, settings, customer_id),
        details=details,
        lines=lines,
        deal=DealReference(deal_id=deal.id, title=deal.title, url=deal_url),
    )
