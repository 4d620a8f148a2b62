"""The contact-linking popover: pick the QuickBooks customer a Pipedrive contact bills to.

Opened from the warning sign (or "Change") beside "To". Type-ahead search of customers by name
and email, each with its currency and email; or "Create new customer", prefilled from what the
form holds. "Confirm" links (remembered for every later deal of the contact) and closes it.

Inside the create-invoice modal, Confirm answers with the new "To" field and currency hint as
out-of-band swaps; elsewhere (the form is not part of the request) it closes the popover and
fires ``app:contact-linked`` with the customer, for that page to refresh itself.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.accounts.permissions import Action, require
from extension.htmx import trigger_client_event
from extension.i18n import gettext
from extension.invoicing.books import BooksSnapshot
from extension.invoicing.customers import (
    LinkedCustomer,
    NewCustomer,
    contact_of_deal,
    create_and_link_customer,
    find_customers,
    link_existing_customer,
)
from extension.invoicing.problems import Problem
from extension.quickbooks.models import PhysicalAddress
from extension.services import get_services
from extension.web.create_contexts import CandidatesContext, ContactPopoverContext
from extension.web.create_invoice import (
    TEMPLATE,
    form_context,
    request_values,
    screen_from_form,
)
from extension.web.create_words import worded_problems
from extension.web.iframe import require_user
from extension.web.rendering import render

__all__ = ["routes", "POPOVER_TEMPLATE"]

POPOVER_TEMPLATE = "_contact_link.html"


def _books(request: Request, values: dict[str, str]) -> BooksSnapshot | None:
    secret = str(get_services(request).settings.secret_key)
    return BooksSnapshot.load(values.get("books", ""), secret)


def _popover(
    values: dict[str, str],
    deal_id: int,
    books: BooksSnapshot | None,
    candidates: list[object],
    **overrides: object,
) -> ContactPopoverContext:
    home = books.home_currency if books else ""
    currency = values.get("details-currency", "").strip().upper() or home
    name = values.get("customer-name", "").strip()
    context = ContactPopoverContext(
        deal_id=deal_id,
        draft_key=values.get("draft_key", ""),
        books_token=values.get("books", ""),
        contact_kind=values.get("customer-contact_kind", ""),
        contact_name=values.get("customer-contact_name", ""),
        query=values.get("q", name),
        candidates=candidates,  # type: ignore[arg-type]
        currency=currency,
        home_currency=home,
        multicurrency=books.multicurrency if books else True,
        new_name=values.get("new_customer-name", name),
        new_email=values.get("new_customer-email", values.get("customer-email", "")),
        new_currency=values.get("new_customer-currency", currency),
        choice=values.get("choice", ""),
        linked_id=values.get("customer-customer_id", ""),
        search_only=values.get("mode") == "link",
    )
    return replace(context, **overrides)  # type: ignore[arg-type]


async def popover(request: Request) -> Response:
    """Fragment: the popover, with customers matching the name in "To"."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    deal_id: int = request.path_params["deal_id"]
    values = await request_values(request)
    books = _books(request, values)
    name = values.get("customer-name", "").strip()
    candidates = await find_customers(
        services,
        user.company_id,
        name,
        home_currency=books.home_currency if books else "",
        contact_name=values.get("customer-contact_name", "") or name,
        contact_email=values.get("customer-email", ""),
    )
    if not candidates and name:
        # Nothing by that name: show the first customers, so the list is never a dead end.
        candidates = await find_customers(services, user.company_id, "")
    suggested = next((c for c in candidates if c.suggested), None)
    choice = f"customer:{suggested.id}" if suggested else ("new" if not candidates else "")
    context = _popover(values, deal_id, books, list(candidates), choice=choice)
    return render(request, POPOVER_TEMPLATE, context, block="popover")


async def for_deal(request: Request) -> Response:
    """Fragment: the popover for a deal whose contact is not linked yet, outside the create
    modal (the all-invoices modal): customers matching the contact, search and link only."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    deal_id: int = request.path_params["deal_id"]
    contact = await contact_of_deal(services, user, deal_id)
    candidates = await find_customers(
        services,
        user.company_id,
        contact.name,
        contact_name=contact.name,
        contact_email=contact.email,
    )
    if not candidates and contact.name:
        candidates = await find_customers(services, user.company_id, "")
    suggested = next((c for c in candidates if c.suggested), None)
    values = {
        "customer-contact_kind": contact.kind,
        "customer-contact_name": contact.name,
        "q": contact.name,
        "mode": "link",
    }
    choice = f"customer:{suggested.id}" if suggested else ""
    context = _popover(values, deal_id, None, list(candidates), choice=choice)
    return render(request, POPOVER_TEMPLATE, context, block="popover")


async def search(request: Request) -> Response:
    """Fragment: the candidates for what is typed in the popover's search box."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    values = await request_values(request)
    books = _books(request, values)
    query = values.get("q", "")[:100]
    candidates = await find_customers(
        services, user.company_id, query, home_currency=books.home_currency if books else ""
    )
    currency = values.get("details-currency", "").strip().upper()
    context = CandidatesContext(candidates, currency, query, values.get("choice", ""))
    return render(request, POPOVER_TEMPLATE, context, block="candidates")


def _new_customer(values: dict[str, str]) -> NewCustomer:
    address = PhysicalAddress(
        lines=tuple(
            line.strip() for line in values.get("customer-address", "").splitlines() if line.strip()
        )[:5],
        city=values.get("customer-city", "").strip(),
        region=values.get("customer-region", "").strip(),
        postal_code=values.get("customer-postal_code", "").strip(),
        country=values.get("customer-country", "").strip(),
    )
    return NewCustomer(
        display_name=values.get("new_customer-name", ""),
        email=values.get("new_customer-email", ""),
        currency=values.get("new_customer-currency", ""),
        address=address if address != PhysicalAddress() else None,
        tax_id=values.get("customer-tax_id", ""),
    )


async def confirm(request: Request) -> Response:
    """Link the chosen (or newly created) customer; the popover closes."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.LINK)
    deal_id: int = request.path_params["deal_id"]
    values = await request_values(request)
    choice = values.get("choice", "")
    result: LinkedCustomer | tuple[Problem, ...]
    if choice == "new" and values.get("mode") != "link":
        result = await create_and_link_customer(
            services, user, deal_id, values.get("draft_key", ""), _new_customer(values)
        )
    elif choice.startswith("customer:") and choice[9:].isascii() and choice[9:].isdigit():
        result = await link_existing_customer(services, user, deal_id, choice[9:])
    else:
        result = (Problem("choice", "choice_required"),)
    if isinstance(result, tuple):
        return await _again(request, user.company_id, values, deal_id, result)
    return _linked(request, values, deal_id, result)


async def _again(
    request: Request,
    company_id: int,
    values: dict[str, str],
    deal_id: int,
    problems: tuple[Problem, ...],
) -> Response:
    """The popover again, with what stands in the way next to its field."""
    services = get_services(request)
    books = _books(request, values)
    candidates = await find_customers(
        services,
        company_id,
        values.get("q", ""),
        home_currency=books.home_currency if books else "",
    )
    errors, _ = worded_problems(problems)
    if "choice" in errors and any(p.code == "choice_required" for p in problems):
        errors["choice"] = [gettext("Choose a customer, or create a new one.")]
    suggestion = next(
        (str(p.params["suggestion"]) for p in problems if "suggestion" in p.params), ""
    )
    context = _popover(
        values, deal_id, books, list(candidates), errors=errors, suggestion=suggestion
    )
    return render(request, POPOVER_TEMPLATE, context, block="popover", status_code=422)


def _linked(
    request: Request, values: dict[str, str], deal_id: int, linked: LinkedCustomer
) -> Response:
    services = get_services(request)
    detail = {"id": linked.id, "name": linked.name, "currency": linked.currency}
    if linked.remembered:
        message = gettext(
            "Linked to %(customer)s in QuickBooks, for this and every later deal of this contact.",
            customer=linked.name,
        )
    else:
        message = gettext("This invoice goes to %(customer)s.", customer=linked.name)
    fields = {
        **values,
        "customer-customer_id": linked.id,
        "customer-customer_name": linked.name,
        "customer-customer_currency": linked.currency,
        "customer-name": linked.name,
    }
    screen = screen_from_form(services, deal_id, fields) if "books" in values else None
    if screen is None:
        response = Response("", media_type="text/html")
    else:
        context = form_context(deal_id, screen, oob=True)
        response = render(request, TEMPLATE, context, blocks=["customer_link", "currency_hint"])
    trigger_client_event(response, "app:contact-linked", detail)
    return trigger_client_event(response, "app:snackbar", {"message": message})


routes = [
    Mount(
        "/contact-link",
        routes=[
            Route("/{deal_id:int}/popover", popover, methods=["GET", "POST"], name="popover"),
            Route("/{deal_id:int}/for-deal", for_deal, name="for_deal"),
            Route("/search", search, name="search"),
            Route("/{deal_id:int}/confirm", confirm, methods=["POST"], name="confirm"),
        ],
        name="contact_link",
    )
]
