"""What the deal panel's and the all-invoices modal's templates are given (typed contexts).

``RowTools`` is what an invoice row's controls need besides the row: which actions the user
may use (no others are shown), where the row lives (panel or modal: what a swap re-renders),
and the signed PDF links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
