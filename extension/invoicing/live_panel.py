"""What an open deal panel asks every few seconds: has anything it shows changed?

The answer comes from the mirror alone, never from QuickBooks or Pipedrive: the event worker
and the reconciler keep the mirror current, in whichever process they run, and every process
reads the same database. So a payment applied by one process reaches a panel whose polls
another process answers, with no broadcast between them and no connection held open.

The panel sends what it has: a tag for its whole list (``If-None-Match``) and each row's
version. When the tag still matches, the answer is ``304 Not Modified`` and nothing else
happens. Otherwise only the rows whose version differs are sent (with the totals and the
"read" line): the other rows, and whatever has the focus or an open menu there, stay as they
are. When rows were added or taken away (linked or unlinked elsewhere), or QuickBooks is no
longer connected, the panel reloads its content instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from extension.accounts.permissions import Action, Grants, grants_for
from extension.accounts.users import SessionUser
from extension.invoicing.invoice_rows import InvoiceRow
from extension.invoicing.panel import deal_rows, list_etag
from extension.invoicing.status import CompanyStatus, company_status
from extension.invoicing.summaries import CurrencySummary
from extension.services import Services

__all__ = ["POLL_SECONDS", "LiveScope", "LiveList", "watch_deal", "parse_known"]

# How often a visible panel asks. A 304 costs a few indexed reads and no upstream call.
POLL_SECONDS = 2.0
_MAX_KNOWN = 1000


@dataclass(frozen=True, slots=True)
class LiveScope:
    """Who is watching which deal: what the rows' controls need, without the deal itself
    (Pipedrive was asked when the panel's content was loaded; the watch ticket says so)."""

    user: SessionUser
    grants: Grants
    status: CompanyStatus
    deal_id: int

    @property
    def company_id(self) -> int:
        return self.user.company_id

    @property
    def realm_id(self) -> str:
        return self.status.realm_id


@dataclass(frozen=True, slots=True)
class LiveList:
    scope: LiveScope
    rows: list[InvoiceRow] = field(default_factory=list)
    summaries: tuple[CurrencySummary, ...] = ()
    last_read: datetime | None = None
    changed: list[InvoiceRow] = field(default_factory=list)
    # Rows were added or removed, or the connection changed: reload the panel's content.
    reshaped: bool = False

    @property
    def etag(self) -> str:
        return list_etag(self.rows, self.summaries, self.last_read)

    @property
    def deal_id(self) -> int:
        return self.scope.deal_id


def parse_known(raw: str) -> list[tuple[str, str]]:
    """The panel's rows as ``id:version,id:version`` (unsigned input: anything odd is
    dropped, which at worst re-renders a row)."""
    known: list[tuple[str, str]] = []
    for item in raw.split(",")[:_MAX_KNOWN]:
        invoice_id, _, version = item.partition(":")
        if invoice_id.isdigit() and version.isalnum() and len(version) <= 32:
            known.append((invoice_id, version))
    return known


async def watch_deal(
    services: Services,
    user: SessionUser,
    deal_id: int,
    *,
    known: Sequence[tuple[str, str]],
    now: datetime | None = None,
) -> LiveList:
    """The deal's rows now, and which of them differ from what the panel has. The caller has
    checked the watch ticket for this user and deal."""
    grants = await grants_for(services, user, Action.VIEW)
    status = await company_status(services, user.company_id)
    scope = LiveScope(user=user, grants=grants, status=status, deal_id=deal_id)
    if not status.connected:
        return LiveList(scope=scope, reshaped=True)
    found = await deal_rows(services, user.company_id, status, deal_id, now=now)
    versions = dict(known)
    changed = [row for row in found.rows if versions.get(row.invoice_id) != row.version]
    reshaped = [row.invoice_id for row in found.rows] != [invoice_id for invoice_id, _ in known]
    return LiveList(
        scope=scope,
        rows=found.rows,
        summaries=found.summaries,
        last_read=found.last_read,
        changed=changed,
        reshaped=reshaped,
    )
