"""Which deal, which QuickBooks customers and which invoices a request may touch.

Every panel and modal request names a deal, and most an invoice, in its URL: unsigned input.
Before anything is read or changed:

1. the user's role must allow the action (``grants_for``; a forged call gets 403);
2. the deal is fetched with the user's own Pipedrive token: what Pipedrive hides from them, we
   do not show or change either;
3. an invoice must be linked to this deal, or belong to a QuickBooks customer this deal's
   contact is linked to (the all-invoices modal's rows) — in the user's company and its current
   QuickBooks company. Anything else, an id of another company included, is
   :class:`InvoiceOutOfScope` (404) and nothing is touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from extension.accounts.permissions import Action, Grants, grants_for
from extension.accounts.users import SessionUser
from extension.ids import is_id_text
from extension.invoicing.deals import load_visible_deal
from extension.invoicing.status import CompanyStatus, load_company_status
from extension.pipedrive.models import Deal
from extension.quickbooks.errors import QuickBooksReconnectRequired
from extension.services import Services
from extension.store.deal_links import links_for_invoices
from extension.store.invoice_mirror import mirrored_invoices
from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import ContactKind, ContactLink, DealInvoiceLink
from extension.store.links import contact_links

__all__ = [
    "InvoiceOutOfScope",
    "DealScope",
    "ScopedInvoice",
    "open_deal",
    "deal_contacts",
    "deal_customer_links",
    "scoped_invoice",
]


class InvoiceOutOfScope(Exception):
    """Not an invoice (or customer) of this deal in this company: answered as not found."""


@dataclass(frozen=True, slots=True)
class DealScope:
    user: SessionUser
    grants: Grants
    deal: Deal
    status: CompanyStatus

    @property
    def company_id(self) -> int:
        return self.user.company_id

    @property
    def realm_id(self) -> str:
        return self.status.realm_id

    @property
    def deal_id(self) -> int:
        return self.deal.id

    def require_connected(self) -> None:
        if not self.status.connected:
            raise QuickBooksReconnectRequired("QuickBooks is not connected")


@dataclass(frozen=True, slots=True)
class ScopedInvoice:
    scope: DealScope
    invoice_id: str
    mirrored: MirroredInvoice | None
    link: DealInvoiceLink | None

    @property
    def linked_here(self) -> bool:
        return self.link is not None and self.link.deal_id == self.scope.deal.id


async def open_deal(
    services: Services, user: SessionUser, deal_id: int, action: Action = Action.VIEW
) -> DealScope:
    """Steps 1 and 2: the role, then the deal as the user sees it in Pipedrive."""
    grants = await grants_for(services, user, action)
    deal = await load_visible_deal(services, user.company_id, user.user_id, deal_id)
    async with services.sessionmaker() as session:
        status = await load_company_status(session, user.company_id)
    return DealScope(user=user, grants=grants, deal=deal, status=status)


def deal_contacts(deal: Deal) -> list[tuple[ContactKind, int]]:
    """The deal's organization and person, organization first (who usually pays)."""
    contacts: list[tuple[ContactKind, int]] = []
    if deal.org_id:
        contacts.append((ContactKind.ORGANIZATION, deal.org_id))
    if deal.person_id:
        contacts.append((ContactKind.PERSON, deal.person_id))
    return contacts


async def deal_customer_links(session: AsyncSession, scope: DealScope) -> list[ContactLink]:
    """The contact links of the deal's organization and person in the current QuickBooks
    company, organization first; one per customer."""
    contacts = deal_contacts(scope.deal)
    found = await contact_links(session, scope.company_id, scope.realm_id, contacts)
    links: dict[str, ContactLink] = {}
    for contact in contacts:
        link = found.get(contact)
        if link is not None and link.customer_id not in links:
            links[link.customer_id] = link
    return list(links.values())


async def scoped_invoice(
    services: Services,
    user: SessionUser,
    deal_id: int,
    invoice_id: str,
    action: Action,
) -> ScopedInvoice:
    """Steps 1–3 for one invoice; raises PermissionDenied, the Pipedrive errors of the deal,
    QuickBooksReconnectRequired (not connected) or InvoiceOutOfScope."""
    scope = await open_deal(services, user, deal_id, action)
    if not is_id_text(invoice_id):
        raise InvoiceOutOfScope(invoice_id)
    scope.require_connected()
    async with services.sessionmaker() as session:
        link = (
            await links_for_invoices(session, scope.company_id, scope.realm_id, [invoice_id])
        ).get(invoice_id)
        mirrored = (
            await mirrored_invoices(session, scope.company_id, scope.realm_id, [invoice_id])
        ).get(invoice_id)
        customers = {c.customer_id for c in await deal_customer_links(session, scope)}
    here = link is not None and link.deal_id == deal_id
    of_contact = mirrored is not None and mirrored.customer_id in customers
    if not (here or of_contact):
        raise InvoiceOutOfScope(invoice_id)
    return ScopedInvoice(scope=scope, invoice_id=invoice_id, mirrored=mirrored, link=link)
