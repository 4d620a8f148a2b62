"""Deal-product lines → QuickBooks sales lines, exact to the cent.

Two rules meet here. QuickBooks rejects a sales line whose ``Amount`` is not
``round(Qty × UnitPrice, 2)`` (error 6070, reference quickbooks.md §3.1). And the invoice must
come to what the deal's products add up to in Pipedrive.

What Pipedrive's numbers mean (pipedrive.md §3.3; the sandbox's deal products follow it): a
line is ``quantity × item_price``, less its discount — a percentage of that product, or an
amount off the whole line (not per unit) — rounded to the cent. With ``tax_method`` exclusive
``sum`` adds the line's tax on top; inclusive prices already contain it; none has no tax.

How the discount reaches QuickBooks, and why:

- *Not* as ``DiscountLineDetail``: it is a discount "for the entire transaction. This is in
  contrast to a discount applied to a specific line" (Intuit Invoice reference), needs the
  company's discount preference and account, and is prorated over tax codes, so two products
  with different discounts cannot both be expressed. The per-line ``DiscountAmt`` and
  ``DiscountRate`` exist for France only ("Locales: FR").
- *Not* as a negative line: it would need a discount item in every company, and on an
  inventory item a negative quantity would put stock back.
- *As a discounted unit price*: the line keeps its item, quantity and tax code, its amount is
  exactly the discounted total, and sales reports see the real revenue per unit. QuickBooks
  keeps unit prices to seven decimals — it writes them itself, e.g. ``UnitPrice`` 0.5306667
  × 15 = 7.96 in quickbooks-ruby's recorded TaxInclusive invoice
  (``spec/fixtures/invoice_with_bundle_line_item.xml``) and 0.9090889 × 450 = 409.09 in a
  recorded Australian one — so we pick the fewest decimals (2 to 7) for which
  ``round(qty × price, 2)`` is the amount. The list price and the discount stay on the line's
  description (worded by the web layer), so the customer still sees what was given.
- *Split* when no such price exists: with seven decimals one step of the price moves the amount
  by ``qty × 0.0000001``, so beyond 100 000 units some totals cannot be hit. Then the line
  becomes ``qty − 1`` units at the rounded price and one unit carrying the remaining cents.

Tax inclusive prices: for global companies QuickBooks stores a TaxInclusive line's ``Amount``
net of tax and its gross in ``TaxInclusiveAmt``, and the invoice total is the sum of the
grosses (the recorded AU invoice: Amount 409.09, TaxInclusiveAmt 450, TotalAmt 450). So the
net is the gross divided by (1 + the QuickBooks code's rate), rounded half up, the price is
solved for that net, and the gross is sent as it is: the total is Pipedrive's to the cent.
US companies have no tax-inclusive invoices; their inclusive lines are converted to net with
Pipedrive's own rate and QuickBooks adds tax at its rate.

All arithmetic is ``Decimal``; nothing here ever becomes a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from extension.invoicing.drafts import DiscountType, DraftLine, TaxMethod
from extension.invoicing.tax_modes import TaxModel, TaxNote, tax_note

__all__ = [
    "CENT",
    "MAX_UNIT_PRICE_PLACES",
    "cents",
    "LineFigures",
    "line_figures",
    "PricedPart",
    "price_parts",
    "SalesLine",
    "sales_lines",
    "DraftSummary",
    "summarize",
]

CENT = Decimal("0.01")
MAX_UNIT_PRICE_PLACES = 7
_HUNDRED = Decimal("100")


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent, half up: how QuickBooks checks Qty × UnitPrice against Amount."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LineFigures:
    gross: Decimal  # quantity × unit price, unrounded
    discount: Decimal  # the discount in money, unrounded
    total: Decimal  # the line as Pipedrive sums it before exclusive tax, in cents


def _known(value: Decimal | None, what: str) -> Decimal:
    if value is None:
        raise ValueError(f"{what} is missing: run the pre-flight checks first")
    return value


def line_figures(line: DraftLine) -> LineFigures:
    quantity = _known(line.quantity, "quantity")
    gross = quantity * _known(line.unit_price, "unit price")
    value = _known(line.discount.value, "discount")
    discount = gross * value / _HUNDRED if line.discount.kind is DiscountType.PERCENTAGE else value
    return LineFigures(gross=gross, discount=discount, total=cents(gross - discount))


@dataclass(frozen=True, slots=True)
class PricedPart:
    qty: Decimal
    unit_price: Decimal
    amount: Decimal


def _price_for(qty: Decimal, amount: Decimal) -> Decimal | None:
    # The price nearest to amount / qty misses by at most qty × step / 2, so it hits whenever
    # that stays under half a cent; a price next to it would miss by more.
    for places in range(2, MAX_UNIT_PRICE_PLACES + 1):
        price = (amount / qty).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if cents(qty * price) == amount:
            return price
    return None


def price_parts(qty: Decimal, amount: Decimal) -> tuple[PricedPart, ...]:
    """One part (or two, see the module docstring) whose amounts are exact and sum to ``amount``."""
    if qty <= 0:
        raise ValueError("quantity must be positive")
    amount = cents(amount)
    price = _price_for(qty, amount)
    if price is not None:
        return (PricedPart(qty, price, amount),)
    if qty <= 1:
        raise ValueError(f"no unit price gives {amount} for {qty}")  # cannot happen: see above
    rest_qty = qty - 1
    rest_price = (amount / qty).quantize(Decimal(1).scaleb(-MAX_UNIT_PRICE_PLACES), ROUND_HALF_UP)
    rest_amount = cents(rest_qty * rest_price)
    last = amount - rest_amount
    return (PricedPart(rest_qty, rest_price, rest_amount), PricedPart(Decimal(1), last, last))


@dataclass(frozen=True, slots=True)
class SalesLine:
    """One QuickBooks sales line; ``source`` is the index of the draft line it comes from."""

    source: int
    item_id: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_code_id: str = ""
    tax_inclusive_amount: Decimal | None = None
    service_date: date | None = None


def _rate(rates: Mapping[str, Decimal], code: str) -> Decimal:
    if code not in rates:
        raise ValueError(f"the rate of tax code {code!r} is unknown")
    return rates[code]


def _net_of(gross: Decimal, rate: Decimal) -> Decimal:
    return cents(gross * _HUNDRED / (_HUNDRED + rate))


def sales_lines(
    lines: Sequence[DraftLine],
    model: TaxModel,
    method: TaxMethod,
    rates: Mapping[str, Decimal],
) -> tuple[SalesLine, ...]:
    """The QuickBooks sales lines of pre-flighted draft lines (every line linked and numeric).

    ``rates`` maps tax code ids to their sales rate in percent; it is needed only for global
    companies with tax-inclusive prices.
    """
    out: list[SalesLine] = []
    inclusive = method is TaxMethod.INCLUSIVE
    for index, line in enumerate(lines):
        if line.item_id is None:
            raise ValueError(f"line {index} is not linked to a QuickBooks item")
        total = line_figures(line).total
        gross_parts: list[Decimal | None]
        if model is TaxModel.GLOBAL and inclusive:
            rate = _rate(rates, line.tax_code_id)
            parts = price_parts(_known(line.quantity, "quantity"), _net_of(total, rate))
            # Each part's gross: its net grossed up, the last one taking what is left.
            grosses = [cents(p.amount * (_HUNDRED + rate) / _HUNDRED) for p in parts[:-1]]
            gross_parts = [*grosses, total - sum(grosses, Decimal("0"))]
        else:
            if inclusive and model.is_us:
                total = _net_of(total, _known(line.tax_rate, "tax rate"))
            parts = price_parts(_known(line.quantity, "quantity"), total)
            gross_parts = [None] * len(parts)
        out.extend(
            SalesLine(
                source=index,
                item_id=line.item_id,
                qty=part.qty,
                unit_price=part.unit_price,
                amount=part.amount,
                tax_code_id=line.tax_code_id,
                tax_inclusive_amount=gross,
                service_date=line.service_date,
            )
            for part, gross in zip(parts, gross_parts, strict=True)
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DraftSummary:
    """The live summary of the modal. ``tax`` and ``total`` are None where they cannot be known
    before QuickBooks has computed them (automated sales tax, or a rate we could not read)."""

    subtotal: Decimal  # before discounts
    discount: Decimal
    net: Decimal  # after discounts, as the lines will read in QuickBooks
    tax: Decimal | None
    total: Decimal | None
    tax_note: TaxNote
    pipedrive_total: Decimal  # what the deal's products add up to in Pipedrive


def _quickbooks_net(
    line: DraftLine,
    total: Decimal,
    model: TaxModel,
    method: TaxMethod,
    rates: Mapping[str, Decimal],
) -> Decimal | None:
    """The line's amount as QuickBooks will hold it (net of tax), None if a rate is unknown."""
    if method is not TaxMethod.INCLUSIVE:
        return total
    if model is TaxModel.GLOBAL:
        rate = rates.get(line.tax_code_id)
        return None if rate is None else _net_of(total, rate)
    if model.is_us:
        return _net_of(total, _known(line.tax_rate, "tax rate"))
    return total


def summarize(
    lines: Sequence[DraftLine],
    model: TaxModel,
    method: TaxMethod,
    rates: Mapping[str, Decimal],
    sales_tax_code_id: str = "",
) -> DraftSummary:
    """Totals of the numeric lines (a line with an unreadable number is left out)."""
    numeric = [
        line
        for line in lines
        if None not in (line.quantity, line.unit_price, line.discount.value, line.tax_rate)
    ]
    figures = [line_figures(line) for line in numeric]
    subtotal = cents(sum((f.gross for f in figures), Decimal("0")))
    lines_total = sum((f.total for f in figures), Decimal("0"))
    exclusive = method is TaxMethod.EXCLUSIVE
    pipedrive_total = sum(
        (
            cents(f.total * (_HUNDRED + _known(line.tax_rate, "tax rate")) / _HUNDRED)
            if exclusive
            else f.total
            for line, f in zip(numeric, figures, strict=True)
        ),
        Decimal("0"),
    )
    nets = [
        _quickbooks_net(line, f.total, model, method, rates)
        for line, f in zip(numeric, figures, strict=True)
    ]
    known_nets = [n for n in nets if n is not None]
    all_known = len(known_nets) == len(nets)
    net = sum(known_nets, Decimal("0")) if all_known else lines_total
    tax: Decimal | None = Decimal("0")
    if model is TaxModel.US_AUTOMATED:
        tax = None
    elif model is TaxModel.GLOBAL and method is TaxMethod.INCLUSIVE:
        tax = lines_total - net if all_known else None
    elif model is TaxModel.GLOBAL and exclusive:
        by_code: dict[str, Decimal] = {}
        for line, n in zip(numeric, known_nets, strict=True):
            by_code[line.tax_code_id] = by_code.get(line.tax_code_id, Decimal("0")) + n
        # QuickBooks taxes the net per rate (TaxLineDetail.NetAmountTaxable), then rounds.
        all_known = all(code in rates for code in by_code)
        tax = (
            sum((cents(n * rates[c] / _HUNDRED) for c, n in by_code.items()), Decimal("0"))
            if all_known
            else None
        )
    elif model is TaxModel.US_MANUAL:
        taxable_lines = [n for line, n in zip(numeric, known_nets, strict=True) if line.taxable_us]
        taxable = sum(taxable_lines, Decimal("0"))
        if not taxable_lines:
            # Nothing is taxable: no tax whatever the rate (none may be chosen at all).
            return DraftSummary(
                subtotal=subtotal,
                discount=subtotal - lines_total,
                net=net,
                tax=Decimal("0"),
                total=net,
                tax_note=TaxNote.NOT_APPLICABLE,
                pipedrive_total=pipedrive_total,
            )
        all_known = sales_tax_code_id in rates
        tax = cents(taxable * rates[sales_tax_code_id] / _HUNDRED) if all_known else None
    if model is TaxModel.GLOBAL and method is TaxMethod.INCLUSIVE:
        total: Decimal | None = lines_total  # the grosses, whatever the split of tax inside
    else:
        total = None if tax is None else net + tax
    return DraftSummary(
        subtotal=subtotal,
        discount=subtotal - lines_total,
        net=net,
        tax=tax,
        total=total,
        tax_note=tax_note(model, method, all_known),
        pipedrive_total=pipedrive_total,
    )
