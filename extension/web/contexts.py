"""What each template is given, declared once (datasette's typed contexts, in dataclasses).

Nothing here holds an ORM row: users are ``UserSummary`` values, the connection is the
domain's ``CompanyStatus``, and no field can carry token ciphertext to a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extension.accounts.users import UserSummary
from extension.invoicing.company_settings import MAX_DUE_DAYS, DueDateExample, SettingsValues
from extension.invoicing.reference_lists import Choice, PipedriveFieldLists, QuickBooksLists
from extension.invoicing.status import CompanyStatus
from extension.pipedrive.models import Deal
from extension.web.iframe import IframeContext
from extension.web.messages import UserMessage, role_name, validation_messages

__all__ = [
    "ShellContext",
    "DealContentContext",
    "ConnectionCardContext",
    "SettingsFormContext",
    "SettingsContentContext",
    "AuditEntry",
    "AuditContext",
    "DueExampleContext",
    "UserSummary",
    "ErrorContext",
    "PageOutcomeContext",
]


@dataclass(frozen=True, slots=True)
class ShellContext:
    """A framed surface's shell: verified identity, session token, the deal it is about."""

    iframe: IframeContext
    deal_id: int | None = None


@dataclass(frozen=True, slots=True)
class DealContentContext:
    deal_id: int
    deal: Deal
    status: CompanyStatus
    # Manifest modal id → the action_id open_modal sends for it.
    modal_actions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectionCardContext:
    status: CompanyStatus
    is_admin: bool
    connect_url: str | None
    ticket_url: str | None
    waiting: bool
    waiting_since: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    when: datetime
    who: str
    action: str  # the msgid the template words it with (messages.audit_action)
    changes: list[tuple[str, str, str]]
    code: str = ""


@dataclass(frozen=True, slots=True)
class AuditContext:
    audit: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class DueExampleContext:
    due_example: DueDateExample | None


@dataclass(frozen=True, slots=True)
class SettingsFormContext:
    values: SettingsValues
    errors: dict[str, str]
    notice: str
    is_admin: bool
    fields: PipedriveFieldLists
    quickbooks: QuickBooksLists
    users: list[UserSummary]
    admins: list[UserSummary]
    roles: list[tuple[str, str]]
    role_choices: list[Choice]
    due_example: DueDateExample | None
    # Worded when the context is made: in the language of the request.
    validation: dict[str, str] = field(default_factory=lambda: validation_messages(MAX_DUE_DAYS))
    max_due_days: int = MAX_DUE_DAYS
    # The viewer's own choice of language ("" follows Pipedrive's), for the language menu.
    language_override: str = ""

    @property
    def default_role_name(self) -> str:
        return role_name(self.values.default_role)


@dataclass(frozen=True, slots=True)
class SettingsContentContext(SettingsFormContext):
    status: CompanyStatus = field(default_factory=lambda: CompanyStatus("not_connected"))
    connect_url: str | None = None
    ticket_url: str | None = None
    waiting: bool = False
    waiting_since: str = ""
    audit: list[AuditEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ErrorContext:
    message: UserMessage
    retry_url: str | None = None
    retry_target: str | None = None


@dataclass(frozen=True, slots=True)
class PageOutcomeContext:
    """The install and QuickBooks-connect pages: which outcome, and its details."""

    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
