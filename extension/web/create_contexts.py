"""What the create-invoice modal's templates and its popovers are given (typed contexts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from extension.invoicing.create import CreatedInvoice
from extension.invoicing.create_screen import CreateScreen, LineView
from extension.invoicing.customers import CustomerCandidate, LinkedCustomer
from extension.invoicing.items import ItemCandidate, LinkedItem
from extension.invoicing.status import CompanyStatus
from extension.quickbooks.models import Account
from extension.web.messages import UserMessage

__all__ = [
    "CreateFormContext",
    "CreatedContext",
    "WaitingContext",
    "NotConnectedContext",
    "ContactPopoverContext",
    "CandidatesContext",
    "CustomerLinkedContext",
    "ProductPopoverContext",
    "ItemCandidatesContext",
    "ItemLinkedContext",
    "NumberHintContext",
]


@dataclass(frozen=True, slots=True)
class CreateFormContext:
    deal_id: int
    screen: CreateScreen
    errors: dict[str, list[str]]
    warnings: dict[str, list[str]]
    notice: str  # worded notice above the form, or ""
    failure: UserMessage | None = None  # an upstream failure behind the notice
    recurring: dict[str, str] = field(default_factory=dict)  # line key → its billing text
    currency_hint: str = ""
    oob: bool = False  # rendered as an out-of-band swap next to another fragment
    lines_focus: str = ""  # the line to focus after the lines were re-rendered
    lines_focus_op: str = ""  # and which of its buttons (the one just used), if it is there
    changed_lines: tuple[str, ...] = ()  # keys of the lines whose item cell is swapped
    problem_count: int = 0  # blocking problems, for the notice above the form

    def line_errors(self, line: LineView, name: str) -> list[str]:
        return self.errors.get(f"lines-{line.index}-{name}", [])

    def line_warnings(self, line: LineView, name: str) -> list[str]:
        return self.warnings.get(f"lines-{line.index}-{name}", [])

    def value(self, name: str) -> str:
        return self.screen.fields.get(name, "")


@dataclass(frozen=True, slots=True)
class CreatedContext:
    deal_id: int
    created: CreatedInvoice
    sent_now: bool = False
    confirm_color: str = "primary"  # Pipedrive's confirmation: sending is not destructive


@dataclass(frozen=True, slots=True)
class WaitingContext:
    """Another request is posting this draft (``stalled``: nobody is, and it is not done)."""

    deal_id: int
    draft_key: str
    stalled: bool = False
    kept: bool = False


@dataclass(frozen=True, slots=True)
class NotConnectedContext:
    status: CompanyStatus


@dataclass(frozen=True, slots=True)
class NumberHintContext:
    taken: bool
    number: str
    checked: bool


@dataclass(frozen=True, slots=True)
class ContactPopoverContext:
    deal_id: int
    draft_key: str
    books_token: str
    contact_kind: str  # "organization", "person" or "" (the deal has neither)
    contact_name: str
    query: str
    candidates: list[CustomerCandidate]
    currency: str
    home_currency: str
    multicurrency: bool
    new_name: str
    new_email: str
    new_currency: str
    choice: str  # "customer:<id>" or "new"
    errors: dict[str, list[str]] = field(default_factory=dict)
    suggestion: str = ""
    linked_id: str = ""  # the customer linked now, when changing it
    # Outside the create modal (the all-invoices modal) the popover only finds and links an
    # existing customer: creating one needs the invoice form's address and tax id.
    search_only: bool = False


@dataclass(frozen=True, slots=True)
class CandidatesContext:
    candidates: list[CustomerCandidate]
    currency: str
    query: str
    choice: str = ""


@dataclass(frozen=True, slots=True)
class CustomerLinkedContext:
    """After Confirm: the To field's link, the currency hint, and the popover closed."""

    deal_id: int
    linked: LinkedCustomer
    currency_hint: str
    oob: bool = True


@dataclass(frozen=True, slots=True)
class ProductPopoverContext:
    deal_id: int
    draft_key: str
    books_token: str
    line_key: str
    line_name: str
    product_id: str
    product_code: str
    query: str
    candidates: list[ItemCandidate]
    accounts: list[Account]
    new_name: str
    new_sku: str
    new_description: str
    new_account_id: str
    new_price: str
    choice: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class ItemCandidatesContext:
    candidates: list[ItemCandidate]
    query: str
    choice: str = ""


@dataclass(frozen=True, slots=True)
class ItemLinkedContext:
    """After Confirm: the item cell of every line of that product, and the popover closed."""

    deal_id: int
    linked: LinkedItem
    lines: list[tuple[int, str]]  # (index, key) of each line now using the item
    oob: bool = True
