"""What the deal panel's and the all-invoices modal's templates are given (typed contexts).

``RowTools`` is what an invoice row's controls need besides the row: which actions the user
may use (no others are shown), where the row lives (panel or modal: what a swap re-renders),
and the signed PDF links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from extension.invoicing.all_invoices import AllInvoicesView, RangeTotals
from extension.invoicing.invoice_rows import InvoiceRow
from extension.invoicing.live_panel import LiveList
from extension.invoicing.panel import PanelView
from extension.invoicing.status import CompanyStatus

__all__ = [
    "RowTools",
    "PanelContentContext",
    "PanelLiveContext",
    "PanelRowContext",
    "AllInvoicesContext",
    "AllRowContext",
]


# Stands for the invoice id in ``RowTools.action_urls`` (QuickBooks ids are ASCII digits, so
# nothing else in a URL can look like it).
INVOICE_SLOT = "INVOICE-ID"


@dataclass(frozen=True, slots=True)
class RowTools:
    deal_id: int
    allowed: frozenset[str]
    status: CompanyStatus
    variant: str  # "panel" or "modal"
    pdf_links: dict[str, str] = field(default_factory=dict)
    # Why a payment link is unavailable, by LinkBlocker value (the disabled icon says it).
    link_texts: dict[str, str] = field(default_factory=dict)
    # The modal lists several customers' invoices: each row names its customer.
    show_customer: bool = False
    # Each row action's URL with INVOICE_SLOT for the invoice id: built once per response
    # rather than by ``url_for`` for every action of every row (a 50-invoice panel made 200).
    action_urls: dict[str, str] = field(default_factory=dict)

    def url(self, action: str, invoice_id: str) -> str:
        return self.action_urls[action].replace(INVOICE_SLOT, invoice_id)

    def attrs(self, row: InvoiceRow, *, to: str = "", move: bool = False) -> Markup:
        """The htmx attributes every row action sends along: the row it replaces, where the
        row lives (and the modal's filter), the address confirmed and the delivery time the
        row showed for a send (``extension.invoicing.sending``), a move's consent."""
        vals: dict[str, str] = {"view": self.variant}
        if to:
            sent = row.status.emailed_at
            vals |= {"to": to, "sent": sent.isoformat() if sent else ""}
        elif move:
            vals["move"] = "1"
        markup = (
            f'hx-target="#{escape(row.dom_id)}" hx-swap="outerHTML" hx-disabled-elt="this" '
            f'hx-vals="{escape(json.dumps(vals))}"'
        )
        if self.variant == "modal":
            markup += ' hx-include="#all-filter"'
        return Markup(markup)


@dataclass(frozen=True, slots=True)
class PanelContentContext:
    view: PanelView
    tools: RowTools
    # Manifest modal id → the action_id open_modal sends for it.
    modal_actions: dict[str, str] = field(default_factory=dict)
    # The list's live updates: the watch ticket its polls carry, and how often they ask.
    watch: str = ""
    poll_ms: int = 0


@dataclass(frozen=True, slots=True)
class PanelLiveContext:
    """A poll's answer: the rows that changed, the totals and the "read" line, out of band."""

    live: LiveList
    tools: RowTools


@dataclass(frozen=True, slots=True)
class PanelRowContext:
    """After an action: the row again (None when it left the panel) and the summary."""

    view: PanelView
    tools: RowTools
    invoice_id: str
    row: InvoiceRow | None


@dataclass(frozen=True, slots=True)
class AllInvoicesContext:
    view: AllInvoicesView
    tools: RowTools


@dataclass(frozen=True, slots=True)
class AllRowContext:
    tools: RowTools
    invoice_id: str
    row: InvoiceRow | None
    totals: list[RangeTotals] | None = None
