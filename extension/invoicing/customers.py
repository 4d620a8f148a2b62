"""The contact-linking popover's domain: find a QuickBooks customer, or create one, and link it.

A Pipedrive contact (the deal's organization, else its person) is linked to one QuickBooks
customer, remembered for every later deal of that contact (``store.links``). Which contact a
link is for is decided here from the deal as this user reads it, never from the form.

Search is by name and by email (two queries in parallel: QuickBooks has no ``OR``), values
quoted by the query builder, so quotes, ``%`` and non-ASCII letters are safe (see
``quickbooks.query.contains_pattern``); inactive customers are not offered (QuickBooks leaves
them out of name-list queries, and they are filtered again here).

A new customer's ``DisplayName`` must be free among customers, vendors and employees (6240):
it is looked up first, with the names that follow it ("Acme (2)"), and a free one suggested.
The create request carries a ``requestid`` derived from the draft and the body, so a double
click sends one request twice and QuickBooks answers both with the same customer.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from extension.accounts.pipedrive_access import client_for_user
from extension.accounts.quickbooks_connection import client_for_company
from extension.accounts.users import SessionUser
from extension.invoicing.preflight import CompanyFacts, check_email, check_new_customer
from extension.invoicing.problems import Problem
from extension.invoicing.tax_modes import tax_model
from extension.pipedrive.models import Deal
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksRejected
from extension.quickbooks.models import (
    Customer,
    CustomerDraft,
    Employee,
    Entity,
    PhysicalAddress,
    Vendor,
)
from extension.quickbooks.query import MAX_RESULTS_LIMIT, Query, contains_pattern
from extension.quickbooks.wire import encode_json
from extension.services import Services
from extension.store.installations import record_audit
from extension.store.link_models import ContactKind
from extension.store.links import link_contact

__all__ = [
    "find_customers",
    "CustomerCandidate",
    "LinkedCustomer",
    "NewCustomer",
    "deal_contact",
    "search_customers",
    "taken_display_names",
    "link_existing_customer",
    "create_and_link_customer",
    "SEARCH_LIMIT",
]

SEARCH_LIMIT = 20


@dataclass(frozen=True, slots=True)
class CustomerCandidate:
    id: str
    name: str
    email: str
    currency: str
    company_name: str = ""
    suggested: bool = False  # same name and email as the contact: most likely the one

    def bills_in(self, currency: str) -> bool:
        return not currency or self.currency == currency


@dataclass(frozen=True, slots=True)
class LinkedCustomer:
    id: str
    name: str
    currency: str
    email: str
    # Remembered for the contact (False when the deal has neither organization nor person).
    remembered: bool
    created: bool = False


@dataclass(frozen=True, slots=True)
class NewCustomer:
    display_name: str
    email: str = ""
    currency: str = ""
    address: PhysicalAddress | None = None
    tax_id: str = ""


def deal_contact(deal: Deal) -> tuple[ContactKind, int] | None:
    """The contact invoices of this deal go to: its organization, else its person."""
    if deal.org_id is not None:
        return ContactKind.ORGANIZATION, deal.org_id
    if deal.person_id is not None:
        return ContactKind.PERSON, deal.person_id
    return None


@dataclass(frozen=True, slots=True)
class DealContact:
    """Who a deal's invoices are billed to, as the linking popover names it."""

    kind: str  # "organization", "person" or "" (the deal has neither)
    name: str
    email: str


async def contact_of_deal(services: Services, user: SessionUser, deal_id: int) -> DealContact:
    """The deal's organization (else person) with its name and an email to match customers
    by, read with the user's own Pipedrive token."""
    pipedrive = await client_for_user(services, user.company_id, user.user_id)
    deal = await pipedrive.deal(deal_id)
    contact = deal_contact(deal)
    if contact is None:
        return DealContact("", "", "")
    person = await pipedrive.person(deal.person_id) if deal.person_id is not None else None
    email = (person.primary_email or "") if person else ""
    kind, contact_id = contact
    if kind is ContactKind.ORGANIZATION:
        organization = await pipedrive.organization(contact_id)
        return DealContact(kind.value, organization.name, email)
    return DealContact(kind.value, person.name if person else "", email)


def _currency_of(customer: Customer, home: str) -> str:
    # Without multicurrency customers carry no CurrencyRef: they bill in the home currency.
    return customer.currency.value if customer.currency else home


def _contains(customer: Customer, needle: str) -> bool:
    haystacks = (customer.display_name, customer.company_name, customer.email)
    return any(needle in text.casefold() for text in haystacks)


async def search_customers(
    client: QuickBooksClient,
    term: str,
    *,
    home_currency: str,
    contact_name: str = "",
    contact_email: str = "",
) -> list[CustomerCandidate]:
    """Active customers whose name or email contains ``term`` (the first ones by name when
    it is empty); the one with the contact's name and email is marked suggested."""
    needle = term.strip().casefold()
    pattern = contains_pattern(term.strip())
    base = Query("Customer").ordered_by("DisplayName").page(1, 50)
    if pattern is None:
        queries = [base.page(1, SEARCH_LIMIT)]
    else:
        queries = [
            base.where("DisplayName", "LIKE", pattern),
            base.where("PrimaryEmailAddr", "LIKE", pattern),
        ]
    pages = await asyncio.gather(*(client.query(Customer, q) for q in queries))
    found: dict[str, Customer] = {}
    for page in pages:
        for customer in page.items:
            if customer.active and (not needle or _contains(customer, needle)):
                found.setdefault(customer.id, customer)
    name, email = contact_name.strip().casefold(), contact_email.strip().casefold()

    def suggested(customer: Customer) -> bool:
        same_name = bool(name) and customer.display_name.casefold() == name
        return same_name and (not email or customer.email.casefold() == email)

    ranked = sorted(
        found.values(),
        key=lambda c: (
            not suggested(c),
            not c.display_name.casefold().startswith(needle),
            c.display_name.casefold(),
        ),
    )
    return [
        CustomerCandidate(
            id=c.id,
            name=c.display_name,
            email=c.email,
            currency=_currency_of(c, home_currency),
            company_name=c.company_name,
            suggested=suggested(c),
        )
        for c in ranked[:SEARCH_LIMIT]
    ]


async def find_customers(
    services: Services,
    company_id: int,
    term: str,
    *,
    home_currency: str = "",
    contact_name: str = "",
    contact_email: str = "",
) -> list[CustomerCandidate]:
    """The popover's candidates (the home currency read from QuickBooks when not given)."""
    quickbooks = await client_for_company(services, company_id)
    if not home_currency:
        home_currency = (await quickbooks.get_preferences()).home_currency
    return await search_customers(
        quickbooks,
        term,
        home_currency=home_currency,
        contact_name=contact_name,
        contact_email=contact_email,
    )


async def taken_display_names(client: QuickBooksClient, name: str) -> list[str]:
    """Display names of customers, vendors and employees (active or not) equal to ``name`` or
    starting with it, so that a free variant can be suggested in the same look."""
    name = name.strip()
    if not name:
        return []
    # LIKE has no escape for %, so a name containing one is compared exactly.
    op, value = ("=", name) if "%" in name else ("LIKE", f"{name}%")
    kinds: tuple[type[Entity], ...] = (Customer, Vendor, Employee)
    pages = await asyncio.gather(
        *(
            client.query(
                kind,
                Query(kind.ENTITY)
                .where("DisplayName", op, value)
                .where_in("Active", (True, False))
                .page(1, MAX_RESULTS_LIMIT),
            )
            for kind in kinds
        )
    )
    names: list[str] = []
    for page in pages:
        for entity in page.items:
            display = getattr(entity, "display_name", "")
            if isinstance(display, str) and display:
                names.append(display)
    return names


async def _link(
    services: Services,
    user: SessionUser,
    deal: Deal,
    client: QuickBooksClient,
    customer: Customer,
    home: str,
    *,
    created: bool = False,
) -> LinkedCustomer:
    contact = deal_contact(deal)
    currency = _currency_of(customer, home)
    async with services.sessionmaker() as session, session.begin():
        if created:
            detail = {"customer_id": customer.id, "name": customer.display_name}
            await record_audit(session, user.company_id, user.user_id, "customer.created", detail)
        if contact is not None:
            kind, contact_id = contact
            await link_contact(
                session,
                user.company_id,
                kind=kind,
                contact_id=contact_id,
                realm_id=client.realm_id,
                customer_id=customer.id,
                customer_name=customer.display_name,
                customer_currency=currency,
                user_id=user.user_id,
            )
    return LinkedCustomer(
        id=customer.id,
        name=customer.display_name,
        currency=currency,
        email=customer.email,
        remembered=contact is not None,
        created=created,
    )


async def link_existing_customer(
    services: Services, user: SessionUser, deal_id: int, customer_id: str
) -> LinkedCustomer | tuple[Problem, ...]:
    """Link the deal's contact to an existing customer, read again from QuickBooks first."""
    pipedrive = await client_for_user(services, user.company_id, user.user_id)
    quickbooks = await client_for_company(services, user.company_id)
    deal, customer, preferences = await asyncio.gather(
        pipedrive.deal(deal_id),
        quickbooks.get_customer(customer_id),
        quickbooks.get_preferences(),
    )
    if not customer.active:
        return (Problem("choice", "customer_inactive", {"name": customer.display_name}),)
    return await _link(services, user, deal, quickbooks, customer, preferences.home_currency)


def _request_id(draft_key: str, body: bytes) -> str:
    """One requestid per draft and body: the same click sent twice is one customer."""
    return hashlib.sha256(draft_key.encode() + b"\x00customer\x00" + body).hexdigest()[:32]


async def create_and_link_customer(
    services: Services, user: SessionUser, deal_id: int, draft_key: str, new: NewCustomer
) -> LinkedCustomer | tuple[Problem, ...]:
    """Create the customer (after checking its name is free) and link the deal's contact to it.

    Problems are keyed ``new_customer-name``, ``new_customer-email`` and
    ``new_customer-currency``; a taken name carries a free ``suggestion``.
    """
    pipedrive = await client_for_user(services, user.company_id, user.user_id)
    quickbooks = await client_for_company(services, user.company_id)
    deal, preferences, company, taken = await asyncio.gather(
        pipedrive.deal(deal_id),
        quickbooks.get_preferences(),
        quickbooks.get_company_info(),
        taken_display_names(quickbooks, new.display_name),
    )
    model = tax_model(preferences, company)
    facts = CompanyFacts(
        model=model,
        home_currency=preferences.home_currency,
        multicurrency=preferences.multicurrency_enabled,
        custom_txn_numbers=preferences.custom_txn_numbers,
    )
    currency = new.currency.strip().upper() or preferences.home_currency
    problems = list(check_new_customer(new.display_name, currency, facts, taken))
    problems += check_email("customer-email", new.email.strip(), False)
    if problems:
        renamed = {
            "customer-name": "new_customer-name",
            "customer-email": "new_customer-email",
            "details-currency": "new_customer-currency",
        }
        return tuple(
            Problem(renamed.get(p.field, p.field), p.code, p.params, p.severity) for p in problems
        )
    org_name = new.display_name.strip() if deal.org_id is not None else ""
    draft = CustomerDraft(
        display_name=new.display_name.strip(),
        company_name=org_name[:100],
        email=new.email.strip(),
        # Set once and for good: only a customer billed in another currency carries one.
        currency_code=currency if currency != preferences.home_currency else "",
        bill_address=new.address,
        tax_identifier=new.tax_id.strip() if not model.is_us else "",
    )
    try:
        customer = await quickbooks.create_customer(
            draft, requestid=_request_id(draft_key, encode_json(draft.to_api()))
        )
    except QuickBooksRejected as exc:
        if exc.code != "6240":
            raise
        # Taken by someone the look-up could not see, or in the moment since.
        taken = [*taken, new.display_name.strip()]
        again = check_new_customer(new.display_name, currency, facts, taken)
        return tuple(Problem("new_customer-name", p.code, p.params) for p in again)
    return await _link(
        services, user, deal, quickbooks, customer, preferences.home_currency, created=True
    )
