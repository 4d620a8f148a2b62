"""What the connected QuickBooks company says about invoicing, read once per screen or post.

``read_books`` asks QuickBooks for the company, its preferences, tax codes and rates and terms
in parallel (five reads, within Intuit's ten in flight per realm). The modal keeps a small
snapshot of it in the form (``BooksSnapshot``, signed) so the live summary, line editing and
due-date recomputation render without calling QuickBooks on every keystroke; posting never
trusts the snapshot and reads everything again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer

from extension.invoicing.invoice_status import company_today, company_zone
from extension.invoicing.preflight import CompanyFacts
from extension.invoicing.tax_modes import (
    US_NON_TAXABLE,
    US_TAXABLE,
    TaxModel,
    tax_code_rates,
    tax_model,
)
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.models import TaxCode, Term

__all__ = ["Books", "BooksSnapshot", "Choice", "read_books", "TermChoice", "CodeChoice"]


@dataclass(frozen=True, slots=True)
class CodeChoice:
    id: str
    name: str
    rate: Decimal | None  # None: a rate QuickBooks did not let us read


@dataclass(frozen=True, slots=True)
class TermChoice:
    id: str
    name: str
    due_days: int | None  # None: date-driven terms


Choice = CodeChoice | TermChoice


@dataclass(frozen=True, slots=True)
class BooksSnapshot:
    """What the modal's screens need of the company between posts (display only)."""

    realm_id: str
    company_name: str
    model: TaxModel
    home_currency: str
    multicurrency: bool
    custom_txn_numbers: bool
    online_payments: bool
    tax_codes: tuple[CodeChoice, ...] = ()
    terms: tuple[TermChoice, ...] = ()

    @property
    def facts(self) -> CompanyFacts:
        return CompanyFacts(
            model=self.model,
            home_currency=self.home_currency,
            multicurrency=self.multicurrency,
            custom_txn_numbers=self.custom_txn_numbers,
        )

    @property
    def rates(self) -> dict[str, Decimal]:
        return {c.id: c.rate for c in self.tax_codes if c.rate is not None}

    def term(self, term_id: str) -> TermChoice | None:
        return next((t for t in self.terms if t.id == term_id), None)

    def dump(self, secret: str) -> str:
        data = {
            "r": self.realm_id,
            "n": self.company_name,
            "m": self.model.value,
            "h": self.home_currency,
            "mc": self.multicurrency,
            "ctn": self.custom_txn_numbers,
            "op": self.online_payments,
            "c": [[c.id, c.name, None if c.rate is None else str(c.rate)] for c in self.tax_codes],
            "t": [[t.id, t.name, t.due_days] for t in self.terms],
        }
        return _serializer(secret).dumps(data)

    @classmethod
    def load(cls, token: str, secret: str) -> BooksSnapshot | None:
        """The snapshot a form carries, or None when it is missing or was tampered with."""
        try:
            data: Any = _serializer(secret).loads(token)
            return cls(
                realm_id=str(data["r"]),
                company_name=str(data["n"]),
                model=TaxModel(data["m"]),
                home_currency=str(data["h"]),
                multicurrency=bool(data["mc"]),
                custom_txn_numbers=bool(data["ctn"]),
                online_payments=bool(data["op"]),
                tax_codes=tuple(
                    CodeChoice(str(i), str(n), None if r is None else Decimal(r))
                    for i, n, r in data["c"]
                ),
                terms=tuple(TermChoice(str(i), str(n), d) for i, n, d in data["t"]),
            )
        except (BadSignature, KeyError, TypeError, ValueError, InvalidOperation):
            return None


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="create-invoice-books.v1")


@dataclass(frozen=True, slots=True)
class Books:
    """Everything read from QuickBooks for one screen or one post."""

    snapshot: BooksSnapshot
    zone: ZoneInfo
    default_terms_id: str
    codes_by_id: dict[str, TaxCode]

    def today(self, now: datetime) -> date:
        return company_today(now, self.zone)


def _code_choices(
    model: TaxModel, codes: list[TaxCode], rates: dict[str, Decimal]
) -> tuple[CodeChoice, ...]:
    # US line codes TAX/NON say whether a line is taxable; they are not a rate to choose.
    usable = [
        c for c in codes if c.active and not (model.is_us and c.id in (US_TAXABLE, US_NON_TAXABLE))
    ]
    usable.sort(key=lambda c: c.name.casefold())
    return tuple(CodeChoice(c.id, c.name, rates.get(c.id)) for c in usable)


def _term_choices(terms: list[Term]) -> tuple[TermChoice, ...]:
    active = sorted((t for t in terms if t.active), key=lambda t: (t.due_days is None, t.due_days))
    return tuple(TermChoice(t.id, t.name, t.due_days) for t in active)


async def read_books(client: QuickBooksClient, fallback_zone: ZoneInfo) -> Books:
    """Five reads in parallel; raises the client's QuickBooksError if one fails."""
    company, preferences, codes, tax_rates, terms = await asyncio.gather(
        client.get_company_info(),
        client.get_preferences(),
        client.list_tax_codes(),
        client.list_tax_rates(),
        client.list_terms(),
    )
    model = tax_model(preferences, company)
    rates = tax_code_rates(codes, tax_rates)
    snapshot = BooksSnapshot(
        realm_id=client.realm_id,
        company_name=company.company_name,
        model=model,
        home_currency=preferences.home_currency,
        multicurrency=preferences.multicurrency_enabled,
        custom_txn_numbers=preferences.custom_txn_numbers,
        online_payments=preferences.online_payments_enabled,
        tax_codes=_code_choices(model, codes, rates),
        terms=_term_choices(terms),
    )
    return Books(
        snapshot=snapshot,
        zone=company_zone(company.default_time_zone, fallback_zone),
        default_terms_id=preferences.default_terms.value if preferences.default_terms else "",
        codes_by_id={c.id: c for c in codes},
    )
