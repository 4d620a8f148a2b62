"""Every sentence the app says to a person about something that went wrong, in one place.

``message_for`` maps each typed error (Pipedrive's, QuickBooks', a refused permission, an
oversized body) to a plain message that says what happened and what to do next; the one
exception handler (``extension.web.errors``) renders it, and pages that list problems inline
(refreshing the settings lists) use the same words. Nothing typed is lost on the way: the code
names the kind of failure for the page and the tests, a wait is carried as seconds, and
QuickBooks' Fault code and element are shown as QuickBooks gave them.

Every sentence goes through the gettext catalogs (``extension.i18n``), in the language of the
person the request is for, and waits are worded by Babel ("in 30 seconds", "30 sekunnin
päästä", "через 30 секунд").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from babel.dates import format_timedelta

from extension.accounts.permissions import Action, PermissionDenied, Role
from extension.i18n import N_, current_locale, gettext, ngettext, pgettext
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
    "unverified_message",
    "session_ended_message",
    "http_message",
    "audit_action",
    "setting_label",
    "role_label",
    "role_name",
    "validation_messages",
    "yes_no",
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


def _try_again(wait: int | None) -> str:
    if wait is None:
        return gettext("Try again in a minute.")
    # Seconds until a minute and a half, then minutes: "in 55 seconds", "in 2 minutes".
    when = format_timedelta(
        timedelta(seconds=wait), threshold=1.5, add_direction=True, locale=current_locale().wording
    )
    return gettext("Try again %(when)s.", when=when)


def _pipedrive(error: PipedriveError) -> UserMessage:
    if isinstance(error, ReauthorizationNeeded):
        return UserMessage(
            "pipedrive-reauthorize",
            gettext("Pipedrive needs you to authorize the app again"),
            gettext(
                "Your authorization has expired or was revoked. Authorize the app again; "
                "it takes a few seconds and nothing you set up is lost."
            ),
            403,
            "reauthorize",
        )
    if isinstance(error, PipedriveScopeMissing):
        return UserMessage(
            "pipedrive-scope",
            gettext("The app is missing a Pipedrive permission"),
            gettext(
                "Pipedrive refused the request because the app was not granted the access it "
                "needs for it (Pipedrive says: “%(said)s”). A Pipedrive admin can grant it by "
                "installing the app again from the Marketplace.",
                said="Scope and URL mismatch",
            ),
            403,
        )
    if isinstance(error, PipedriveBlocked):
        return UserMessage(
            "pipedrive-blocked",
            gettext("Pipedrive refused the request for now"),
            gettext("This is not about your access to the item. Try again in a few minutes."),
            503,
            "retry",
        )
    if isinstance(error, PipedriveForbidden):
        return UserMessage(
            "pipedrive-hidden",
            gettext("Not available to you"),
            gettext(
                "This deal is not available to you in Pipedrive. Ask its owner or a Pipedrive "
                "admin if you need to see it."
            ),
            403,
        )
    if isinstance(error, PipedriveNotFound):
        return UserMessage(
            "pipedrive-not-found",
            gettext("Not found in Pipedrive"),
            gettext("Pipedrive no longer has this deal; it may have been deleted or merged."),
            404,
        )
    if isinstance(error, PipedriveRateLimited):
        wait = _seconds(error.retry_after)
        return UserMessage(
            "pipedrive-rate-limited",
            gettext("Pipedrive is busy"),
            gettext("Your company has reached Pipedrive's request limit for now.")
            + " "
            + _try_again(wait),
            429,
            "retry",
            wait,
        )
    if isinstance(error, PipedriveUnavailable) and error.timed_out:
        return UserMessage(
            "pipedrive-timeout",
            gettext("Pipedrive did not answer in time"),
            gettext("Nothing was changed. Try again in a moment."),
            504,
            "retry",
        )
    if isinstance(error, OAuthError) and error.error == "invalid_client":
        return UserMessage(
            "pipedrive-app-credentials",
            gettext("Pipedrive refused the app's credentials"),
            gettext(
                "This is a problem on the app's side, not yours; your authorization is kept. "
                "Try again later."
            ),
            502,
            "retry",
        )
    return UserMessage(
        "pipedrive-unavailable",
        gettext("Pipedrive could not be reached"),
        gettext("Nothing was changed. Try again in a moment."),
        502,
        "retry",
    )


def _quickbooks(error: QuickBooksError) -> UserMessage:
    if isinstance(error, QuickBooksReconnectRequired):
        return UserMessage(
            "quickbooks-reconnect",
            gettext("QuickBooks needs to be reconnected"),
            gettext(
                "The connection to QuickBooks has expired or was revoked. A Pipedrive admin can "
                "reconnect it in the app settings; invoices already in QuickBooks stay there."
            ),
            409,
            "reconnect",
        )
    if isinstance(error, QuickBooksRateLimited):
        wait = _seconds(error.retry_after)
        return UserMessage(
            "quickbooks-rate-limited",
            gettext("QuickBooks asked us to slow down"),
            gettext("QuickBooks limits how many requests each company may make per minute.")
            + " "
            + _try_again(wait),
            429,
            "retry",
            wait,
        )
    if isinstance(error, QuickBooksAuthError):
        return UserMessage(
            "quickbooks-forbidden",
            gettext("QuickBooks refused access"),
            gettext(
                "QuickBooks refused access to this company; the user who connected it may have "
                "lost access there. A Pipedrive admin can reconnect QuickBooks in the app "
                "settings."
            ),
            403,
            "reconnect",
        )
    if isinstance(error, QuickBooksUnavailable):
        if error.timed_out:
            return UserMessage(
                "quickbooks-timeout",
                gettext("QuickBooks did not answer in time"),
                gettext(
                    "Try again in a moment; anything that was being created is not created twice."
                ),
                504,
                "retry",
            )
        return UserMessage(
            "quickbooks-unavailable",
            gettext("QuickBooks could not be reached"),
            gettext("Try again in a moment."),
            502,
            "retry",
        )
    if isinstance(error, QuickBooksNotFound):
        return UserMessage(
            "quickbooks-not-found",
            gettext("Not found in QuickBooks"),
            gettext("QuickBooks no longer has this record; it may have been deleted there."),
            404,
        )
    if isinstance(error, QuickBooksRejected):
        return UserMessage(
            "quickbooks-rejected",
            gettext("QuickBooks refused this"),
            _rejection(error),
            422,
        )
    return UserMessage(
        "quickbooks-unavailable",
        gettext("QuickBooks could not be reached"),
        gettext("Try again in a moment."),
        502,
        "retry",
    )


def _rejection(error: QuickBooksRejected) -> str:
    """QuickBooks' own words (its Fault detail, in English) inside a sentence in ours."""
    detail = error.detail or error.fault_message
    code = error.code or "?"
    if error.element:
        return gettext(
            "QuickBooks said: %(detail)s (error %(code)s, field %(field)s). "
            "Correct it and try again.",
            detail=detail,
            code=code,
            field=error.element,
        )
    return gettext(
        "QuickBooks said: %(detail)s (error %(code)s). Correct it and try again.",
        detail=detail,
        code=code,
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
                gettext("Authorize the app first"),
                gettext("You have not authorized the app, or your authorization has ended."),
                403,
                "reauthorize",
            )
        if error.action is Action.ADMINISTER:
            return UserMessage(
                "forbidden",
                gettext("Only a Pipedrive admin can do this"),
                gettext("Ask an admin of your Pipedrive company."),
                403,
            )
        return UserMessage(
            "forbidden",
            gettext("Your role does not allow this"),
            gettext("A Pipedrive admin can change who may do what in the app settings."),
            403,
            "settings",
        )
    if isinstance(error, BodyTooLarge):
        return UserMessage(
            "too-large", gettext("Too much data"), gettext("The request was too large."), 413
        )
    return UserMessage(
        "unexpected",
        gettext("Something went wrong"),
        gettext("Try again; if it keeps happening, reload."),
        500,
    )


def unverified_message() -> UserMessage:
    return UserMessage(
        "unverified",
        gettext("This request could not be verified"),
        gettext("Open the app from inside Pipedrive. If it keeps happening, reload the page."),
        401,
    )


def session_ended_message() -> UserMessage:
    return UserMessage(
        "session", gettext("Your session has ended"), gettext("Reload the page to continue."), 401
    )


def http_message(status: int) -> UserMessage:
    """Starlette's own refusals (an unknown URL, a wrong method), worded for people."""
    if status == 404:
        text = gettext("There is nothing at this address.")
    elif status == 405:
        text = gettext("This address does not take that kind of request.")
    else:
        text = gettext("The request could not be handled (HTTP %(status)d).", status=status)
    return UserMessage(f"http-{status}", "", text, status)


def audit_action(action: str) -> str:
    """The msgid that says an action in the audit trail; the template translates it with
    ``who`` (the name, emphasized) and ``action`` (the code, for an unknown one)."""
    worded = {
        "pipedrive.installed": N_("%(who)s installed the app"),
        "pipedrive.reinstalled": N_("%(who)s authorized the app again"),
        "pipedrive.uninstalled": N_("%(who)s uninstalled the app"),
        "pipedrive.needs_reauth": N_("%(who)s must authorize the app again"),
        "pipedrive.sharing_changed": N_("%(who)s changed who the app is shared with"),
        "quickbooks.connected": N_("%(who)s connected QuickBooks"),
        "quickbooks.reconnected": N_("%(who)s reconnected QuickBooks"),
        "quickbooks.disconnected": N_("%(who)s disconnected QuickBooks"),
        "quickbooks.needs_reconnect": N_("%(who)s: QuickBooks asked to be connected again"),
        # The deal panel and the all-invoices modal.
        "invoice.emailed": N_("%(who)s emailed an invoice"),
        "invoice.link_copied": N_("%(who)s copied an invoice's payment link"),
        "invoice.link_unavailable": N_("%(who)s asked for a payment link QuickBooks did not give"),
        "invoice.pdf_downloaded": N_("%(who)s downloaded an invoice's PDF"),
        "invoice.voided": N_("%(who)s voided an invoice"),
        "invoice.deleted": N_("%(who)s deleted an invoice"),
        "invoice.payments_left_unapplied": N_(
            "%(who)s: a void or delete failed and left payments unapplied in QuickBooks"
        ),
        "invoice.linked": N_("%(who)s linked an invoice to a deal"),
        "invoice.moved": N_("%(who)s moved an invoice to another deal"),
        "invoice.unlinked": N_("%(who)s unlinked an invoice from a deal"),
        "contact.linked": N_("%(who)s linked a contact to a QuickBooks customer"),
        "contact.unlinked": N_("%(who)s unlinked a contact from its QuickBooks customer"),
        # Creating an invoice from a deal (the create-invoice modal and its popovers).
        "invoice.created": N_("%(who)s created an invoice from a deal"),
        "product.linked": N_("%(who)s linked a product to a QuickBooks item"),
        "customer.created": N_("%(who)s created a QuickBooks customer"),
        "item.created": N_("%(who)s created a QuickBooks product or service"),
        # QuickBooks merged the customer a contact was linked to: nobody here did it.
        "contact.customer_merged": N_(
            "QuickBooks merged a linked customer into another; its contacts now link to that one"
        ),
    }
    return worded.get(action, N_("%(who)s: %(action)s"))


def setting_label(name: str) -> str:
    """How the audit trail names each setting (the seeds' words for the mapped fields)."""
    labels = {
        "map_recipient": gettext("To (recipient)"),
        "map_address": gettext("Address"),
        "map_email": gettext("Email"),
        "map_tax_id": gettext("Customer tax ID"),
        "due_days": gettext("Due date (days after invoice date)"),
        "default_taxable": gettext("Taxable by default"),
        "default_tax_code_id": gettext("Default tax code"),
        "default_income_account_id": gettext("Default income account"),
        "default_terms_id": gettext("Default terms"),
        "update_customer_default": gettext("Update the QuickBooks customer by default"),
        "default_role": gettext("Role of users without their own"),
        "user_roles": gettext("Users' roles"),
    }
    return labels.get(name, name)


def role_name(role: str) -> str:
    """A role's short name ("Creator"), as "Default (Creator)" shows it."""
    names = {
        Role.VIEWER.value: pgettext("role", "Viewer"),
        Role.CREATOR.value: pgettext("role", "Creator"),
        Role.MANAGER.value: pgettext("role", "Manager"),
    }
    return names.get(role, role)


def role_label(role: Role) -> str:
    """A role and what it allows, as the role menus show it."""
    labels = {
        Role.VIEWER: gettext("Viewer: sees invoices"),
        Role.CREATOR: gettext("Creator: also creates, emails and copies links"),
        Role.MANAGER: gettext("Manager: also voids, deletes and unlinks"),
    }
    return labels[role]


def yes_no(value: object) -> str:
    """A setting switched on or off, in the audit trail."""
    return gettext("On") if value else gettext("Off")


def validation_messages(max_days: int) -> dict[str, str]:
    """What the settings form says next to a field, by the validation's problem code."""
    return {
        "field_required": gettext("Choose a Pipedrive field."),
        "field_gone": gettext("This Pipedrive field no longer exists. Choose another one."),
        "days_not_number": gettext("Enter a whole number of days, 0 or more."),
        "days_ambiguous": gettext("Type the number of days without a separator, for example 30."),
        "days_too_many": ngettext("At most %(num)d day.", "At most %(num)d days.", max_days),
        "tax_code_gone": gettext("This tax code is not in QuickBooks any more. Refresh the lists."),
        "income_account_gone": gettext(
            "This income account is not in QuickBooks any more. Refresh the lists."
        ),
        "terms_gone": gettext("These terms are not in QuickBooks any more. Refresh the lists."),
        "tax_code_required": gettext("QuickBooks needs a tax code on every line here."),
        "role_required": gettext("Choose a role."),
    }
