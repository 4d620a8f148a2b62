"""Bringing the mirror up to date with what changed in QuickBooks, in a handful of requests.

Both the event worker (a :class:`~extension.invoicing.change_plan.ChangePlan` from webhook
notifications) and the reconciler (change data capture, whose answer already holds the
changed invoices and payments) end here. Only invoices linked to a deal are read and stored;
whatever else QuickBooks says changed is left alone.

The requests, whatever the number of notifications:

1. the payments named, in one ``Id IN (…)`` query (none when the caller has them already);
2. the customers a merge or a rename concerns, one query, and only when a contact is linked to
   one of them;
3. every linked invoice concerned, in one ``Id IN (…)`` query: those named, those the payments
   pay now, those they paid when last read (``invoice_payments``: a payment taken off an
   invoice no longer names it), and those of a merged customer. An id the query does not
   return was deleted.

Then one transaction stores it all. No request to QuickBooks is made while it is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from extension.invoicing.change_plan import ChangePlan
from extension.invoicing.company_clock import learn_clock, load_clock
from extension.invoicing.mirror_sync import mirror_read
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.invoice_models import Invoice, Payment
from extension.quickbooks.models import Customer
from extension.services import Services
from extension.store.deal_links import links_for_invoices
from extension.store.invoice_mirror import (
    invoices_paid_by,
    linked_invoices_of_customers,
    mark_deleted,
)
from extension.store.links import follow_customer_merge, linked_customer_ids, note_customer_seen
from extension.store.models import utcnow

__all__ = ["Settled", "apply_changes"]


@dataclass(frozen=True, slots=True)
class Settled:
    """What the mirror now reflects: the linked invoices concerned (read, found deleted or
    deleted by notice), the payments that pay or paid one of them, and the linked customers a
    merge or rename reached."""

    invoices: frozenset[str] = frozenset()
    payments: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()
    requests: int = 0
    stored: frozenset[str] = field(default_factory=frozenset)


async def apply_changes(
    services: Services,
    company_id: int,
    client: QuickBooksClient,
    plan: ChangePlan,
    *,
    invoices: Sequence[Invoice] = (),
    payments: Sequence[Payment] = (),
) -> Settled:
    """Read what ``plan`` (and the given ``invoices`` and ``payments``, already read) concern
    and store it; raises the client's errors, and then nothing is stored."""
    realm_id = client.realm_id
    given = {invoice.id for invoice in invoices}
    requests = 0
    async with services.sessionmaker() as session:
        paid_before = await invoices_paid_by(
            session,
            company_id,
            realm_id,
            plan.payment_ids | plan.deleted_payments | {p.id for p in payments},
        )
        merged_invoices = await linked_invoices_of_customers(
            session, company_id, realm_id, plan.merges
        )
        linked_customers = await linked_customer_ids(
            session, company_id, realm_id, set(plan.merges) | plan.customer_ids
        )
        clock = await load_clock(session, company_id, realm_id)

    read_payments = list(payments)
    wanted_payments = sorted(plan.payment_ids - {p.id for p in payments})
    if wanted_payments:
        read_payments += await client.get_payments(wanted_payments)
        requests += 1
    wanted_customers = sorted(
        {into for merged, into in plan.merges.items() if merged in linked_customers}
        | (plan.customer_ids & linked_customers)
    )
    customers: dict[str, Customer] = {}
    if wanted_customers:
        customers = {c.id: c for c in await client.get_customers(wanted_customers)}
        requests += 1

    paid = {payment_id: set(ids) for payment_id, ids in paid_before.items()}
    for payment in read_payments:
        paid.setdefault(payment.id, set()).update(payment.invoice_ids)
    paid_ids = {invoice_id for ids in paid.values() for invoice_id in ids}
    concerned = plan.invoice_ids | paid_ids | merged_invoices | given | set(plan.deleted_invoices)
    async with services.sessionmaker() as session:
        linked = set(await links_for_invoices(session, company_id, realm_id, concerned))
    to_read = sorted((linked - given) - set(plan.deleted_invoices))
    fresh: list[Invoice] = []
    if to_read:
        fresh = await client.get_invoices(to_read, include_link=True)
        requests += 1
    gone = set(to_read) - {invoice.id for invoice in fresh}

    read = [invoice for invoice in invoices if invoice.id in linked] + fresh
    now = utcnow()
    async with services.sessionmaker() as session, session.begin():
        stored = await mirror_read(
            session, company_id, realm_id, read, read_at=now, gone=gone, voided=plan.voided
        )
        for invoice_id, at in sorted(plan.deleted_invoices.items()):
            if invoice_id in linked:
                await mark_deleted(
                    session, company_id, realm_id, invoice_id, deleted_at=at, read_at=now
                )
        for merged, into in sorted(plan.merges.items()):
            survivor = customers.get(into)
            if merged in linked_customers and survivor is not None:
                await follow_customer_merge(
                    session,
                    company_id,
                    realm_id,
                    merged_id=merged,
                    into_id=into,
                    name=survivor.display_name,
                    currency=survivor.currency.value if survivor.currency else "",
                )
        for customer in customers.values():
            await note_customer_seen(
                session,
                company_id,
                realm_id,
                customer.id,
                name=customer.display_name,
                currency=customer.currency.value if customer.currency else "",
            )
        await learn_clock(session, company_id, realm_id, clock, zone=None, invoices=read)

    return Settled(
        invoices=frozenset(linked),
        payments=frozenset(p for p, ids in paid.items() if ids & linked),
        customers=frozenset(linked_customers),
        requests=requests,
        stored=frozenset(stored),
    )
