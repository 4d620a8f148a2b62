"""Every sentence the app says to a person about something that went wrong, in one place.

``message_for`` maps each typed error (Pipedrive's, QuickBooks', a refused permission, an
oversized body) to a plain message that says what happened and what to do next; the one
exception handler (``extension.web.errors``) renders it, and pages that list problems inline
(refreshing the settings lists) use the same words. Nothing typed is lost on the way: the code
names the kind of failure for the page and the tests, a wait is carried as seconds, and
QuickBooks' Fault code and element are shown as QuickBooks gave them.

Keeping the wording here (and in templates) is what lets it move into translation catalogs in
one step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from extension.accounts.permissions import Action, PermissionDenied
from extension.pipedrive.errors import (
    OAuthError,
    PipedriveBlocked,
    PipedriveError,
    PipedriveForbidden,
    PipedriveNotFound,
    PipedriveRateLimited,
    PipedriveScopeMissing,
    PipedriveUnavailable,
    ReauthorizationNeeded,
)
from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksError,
    QuickBooksNotFound,
    QuickBooksRateLimited,
    QuickBooksReconnectRequired,
    QuickBooksRejected,
    QuickBooksUnavailable,
)

__all__ = [
    "UserMessage",
    "NextStep",
    "BodyTooLarge",
    "message_for",
    "AUDIT_ACTIONS",
    "SETTING_LABELS",
    "VALIDATION",
]

NextStep = Literal["retry", "reauthorize", "reconnect", "settings", "none"]


class BodyTooLarge(Exception):
    """A request body over the limit of its endpoint (refused before it was read in full)."""


@dataclass(frozen=True, slots=True)
class UserMessage:
    code: str  # stable name of the failure: data-error attribute, tests
    title: str
    text: str  # what happened and what to do next
    status: int
    next_step: NextStep = "none"
    retry_after: int | None = None


def _seconds(wait: float | None) -> int | None:
    return max(1, math.ceil(wait)) if wait is not None else None


def _in(wait: int | None) -> str:
    if wait is None:
        return "in a minute"
    if wait < 90:
        return f"in {wait} second{'s' if wait != 1 else ''}"
    return f"in {math.ceil(wait / 60)} minutes"


def _pipedrive(error: PipedriveError) -> UserMessage:
    if isinstance(error, ReauthorizationNeeded):
        return UserMessage(
            "pipedrive-reauthorize",
            "Pipedrive needs you to authorize the app again",
            "Your authorization has expired or was revoked. Authorize the app again; "
            "it takes a few seconds and nothing you set up is lost.",
            403,
            "reauthorize",
        )
    if isinstance(error, PipedriveScopeMissing):
        return UserMessage(
            "pipedrive-scope",
            "The app is missing a Pipedrive permission",
            "Pipedrive refused the request because the app was not granted the access it "
            "needs for it (Pipedrive says: “Scope and URL mismatch”). A Pipedrive admin can "
            "grant it by installing the app again from the Marketplace.",
            403,
        )
    if isinstance(error, PipedriveBlocked):
        return UserMessage(
            "pipedrive-blocked",
            "Pipedrive refused the request for now",
            "This is not about your access to the item. Try again in a few minutes.",
            503,
            "retry",
        )
    if isinstance(error, PipedriveForbidden):
        return UserMessage(
            "pipedrive-hidden",
            "Not available to you",
            "This deal is not available to you in Pipedrive. Ask its owner or a Pipedrive "
            "admin if you need to see it.",
            403,
        )
    if isinstance(error, PipedriveNotFound):
        return UserMessage(
            "pipedrive-not-found",
            "Not found in Pipedrive",
            "Pipedrive no longer has this deal; it may have been deleted or merged.",
            404,
        )
    if isinstance(error, PipedriveRateLimited):
        wait = _seconds(error.retry_after)
        return UserMessage(
            "pipedrive-rate-limited",
            "Pipedrive is busy",
            f"Your company has reached Pipedrive's request limit for now. Try again {_in(wait)}.",
            429,
            "retry",
            wait,
        )
    if isinstance(error, PipedriveUnavailable) and error.timed_out:
        return UserMessage(
            "pipedrive-timeout",
            "Pipedrive did not answer in time",
            "Nothing was changed. Try again in a moment.",
            504,
            "retry",
        )
    if isinstance(error, OAuthError) and error.error == "invalid_client":
        return UserMessage(
            "pipedrive-app-credentials",
            "Pipedrive refused the app's credentials",
            "This is a problem on the app's side, not yours; your authorization is kept. "
            "Try again later.",
            502,
            "retry",
        )
    return UserMessage(
        "pipedrive-unavailable",
        "Pipedrive could not be reached",
        "Nothing was changed. Try again in a moment.",
        502,
        "retry",
    )


def _quickbooks(error: QuickBooksError) -> UserMessage:
    if isinstance(error, QuickBooksReconnectRequired):
        return UserMessage(
            "quickbooks-reconnect",
            "QuickBooks needs to be reconnected",
            "The connection to QuickBooks has expired or was revoked. A Pipedrive admin can "
            "reconnect it in the app settings; invoices already in QuickBooks stay there.",
            409,
            "reconnect",
        )
    if isinstance(error, QuickBooksRateLimited):
        wait = _seconds(error.retry_after)
        return UserMessage(
            "quickbooks-rate-limited",
            "QuickBooks asked us to slow down",
            "QuickBooks limits how many requests each company may make per minute. "
            f"Try again {_in(wait)}.",
            429,
            "retry",
            wait,
        )
    if isinstance(error, QuickBooksAuthError):
        return UserMessage(
            "quickbooks-forbidden",
            "QuickBooks refused access",
            "QuickBooks refused access to this company; the user who connected it may have "
            "lost access there. A Pipedrive admin can reconnect QuickBooks in the app settings.",
            403,
            "reconnect",
        )
    if isinstance(error, QuickBooksUnavailable):
        if error.timed_out:
            return UserMessage(
                "quickbooks-timeout",
                "QuickBooks did not answer in time",
                "Try again in a moment; anything that was being created is not created twice.",
                504,
                "retry",
            )
        return UserMessage(
            "quickbooks-unavailable",
            "QuickBooks could not be reached",
            "Try again in a moment.",
            502,
            "retry",
        )
    if isinstance(error, QuickBooksNotFound):
        return UserMessage(
            "quickbooks-not-found",
            "Not found in QuickBooks",
            "QuickBooks no longer has this record; it may have been deleted there.",
            404,
        )
    if isinstance(error, QuickBooksRejected):
        where = f", field {error.element}" if error.element else ""
        detail = error.detail or error.fault_message
        return UserMessage(
            "quickbooks-rejected",
            "QuickBooks refused this",
            f"QuickBooks said: {detail} (error {error.code or 'unknown'}{where}). "
            "Correct it and try again.",
            422,
        )
    return UserMessage(
        "quickbooks-unavailable",
        "QuickBooks could not be reached",
        "Try again in a moment.",
        502,
        "retry",
    )


def message_for(error: BaseException) -> UserMessage:
    if isinstance(error, PipedriveError):
        return _pipedrive(error)
    if isinstance(error, QuickBooksError):
        return _quickbooks(error)
    if isinstance(error, PermissionDenied):
        if error.role is None:
            return UserMessage(
                "not-installed",
                "Authorize the app first",
                "You have not authorized the app, or your authorization has ended.",
                403,
                "reauthorize",
            )
        if error.action is Action.ADMINISTER:
            return UserMessage(
                "forbidden",
                "Only a Pipedrive admin can do this",
                "Ask an admin of your Pipedrive company.",
                403,
            )
        return UserMessage(
            "forbidden",
            "Your role does not allow this",
            "A Pipedrive admin can change who may do what in the app settings.",
            403,
            "settings",
        )
    if isinstance(error, BodyTooLarge):
        return UserMessage("too-large", "Too much data", "The request was too large.", 413)
    return UserMessage(
        "unexpected", "Something went wrong", "Try again; if it keeps happening, reload.", 500
    )


# How the audit trail says each action; unknown actions show their code.
AUDIT_ACTIONS = {
    "pipedrive.installed": "installed the app",
    "pipedrive.reinstalled": "authorized the app again",
    "pipedrive.uninstalled": "uninstalled the app",
    "pipedrive.needs_reauth": "must authorize the app again",
    "pipedrive.sharing_changed": "changed who the app is shared with",
    "quickbooks.connected": "connected QuickBooks",
    "quickbooks.reconnected": "reconnected QuickBooks",
    "quickbooks.disconnected": "disconnected QuickBooks",
    "quickbooks.needs_reconnect": "QuickBooks asked to be connected again",
}

# How the audit trail names each setting.
SETTING_LABELS = {
    "map_recipient": "To (recipient)",
    "map_address": "Address",
    "map_email": "Email",
    "map_tax_id": "Customer tax ID",
    "due_days": "Due date (days after invoice date)",
    "default_taxable": "Taxable by default",
    "default_tax_code_id": "Default tax code",
    "default_income_account_id": "Default income account",
    "default_terms_id": "Default terms",
    "update_customer_default": "Update the QuickBooks customer by default",
    "default_role": "Role of users without their own",
    "user_roles": "Users' roles",
}

# What the settings form says next to a field, by the validation's problem code.
VALIDATION = {
    "field_required": "Choose a Pipedrive field.",
    "field_gone": "This Pipedrive field no longer exists. Choose another one.",
    "days_not_number": "Enter a whole number of days, 0 or more.",
    "days_too_many": "At most {max_days} days.",
    "tax_code_gone": "This tax code is not in QuickBooks any more. Refresh the lists.",
    "income_account_gone": "This income account is not in QuickBooks any more. Refresh the lists.",
    "terms_gone": "These terms are not in QuickBooks any more. Refresh the lists.",
    "tax_code_required": "QuickBooks needs a tax code on every line here.",
    "role_required": "Choose a role.",
}
