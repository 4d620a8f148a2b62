"""The app's custom settings page inside Pipedrive: connection, mapping, defaults, roles, audit.

Everybody installed sees it; only Pipedrive admins may change it (``require(…, ADMINISTER)`` on
every write, with the admin flag re-read from Pipedrive when it is a few minutes old).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from extension.accounts.permissions import Action, PermissionDenied, Role, require
from extension.accounts.quickbooks_connect import issue_ticket
from extension.accounts.quickbooks_connection import disconnect
from extension.accounts.users import SessionUser, choose_language
from extension.htmx import trigger_client_event
from extension.i18n import current_locale, gettext, set_request_locale, today
from extension.invoicing.company_settings import SettingsValues, due_date_example
from extension.invoicing.reference_lists import Choice, PipedriveFieldLists
from extension.invoicing.settings_screen import (
    AuditRecord,
    overlay,
    recent_changes,
    snapshot,
    submit,
)
from extension.invoicing.sources import refresh_reference_lists
from extension.invoicing.status import company_status
from extension.services import Services, get_services
from extension.web.contexts import (
    AuditContext,
    AuditEntry,
    ConnectionCardContext,
    DueExampleContext,
    SettingsContentContext,
    SettingsFormContext,
    ShellContext,
)
from extension.web.iframe import SessionRejected, open_iframe, require_user
from extension.web.messages import (
    audit_action,
    message_for,
    role_label,
    role_name,
    setting_label,
    yes_no,
)
from extension.web.rendering import render

__all__ = ["routes"]

_AUDIT_LIMIT = 25
# How long the page keeps polling after "Connect to QuickBooks" opened Intuit's window.
_CONNECT_WAIT_SECONDS = 15 * 60


async def _is_admin(services: Services, user: SessionUser) -> bool:
    try:
        await require(services, user, Action.ADMINISTER)
    except PermissionDenied:
        return False
    return True


def _connect_links(request: Request, is_admin: bool) -> tuple[str | None, str | None]:
    if not is_admin:
        return None, None
    return str(request.url_for("quickbooks_connect")), str(
        request.url_for("settings:connect_ticket")
    )


async def _form(
    request: Request,
    services: Services,
    user: SessionUser,
    values: SettingsValues | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> SettingsContentContext:
    is_admin = await _is_admin(services, user)
    shown = await snapshot(services, user.company_id)
    current = values or shown.values
    connect_url, ticket_url = _connect_links(request, is_admin)
    return SettingsContentContext(
        values=current,
        errors=errors or {},
        notice=notice,
        is_admin=is_admin,
        fields=shown.fields,
        quickbooks=shown.quickbooks,
        users=[u for u in shown.users if not u.is_admin],
        admins=[u for u in shown.users if u.is_admin],
        roles=[(role.value, role_label(role)) for role in Role],
        role_choices=[Choice(role.value, role_label(role)) for role in Role],
        due_example=due_date_example(current.due_days, today(), current_locale().formatting),
        status=shown.status,
        connect_url=connect_url,
        ticket_url=ticket_url,
        waiting_since=str(int(time.time())),
        language_override=user.language_override,
    )


async def _audit(services: Services, company_id: int) -> list[AuditEntry]:
    records = await recent_changes(services, company_id, _AUDIT_LIMIT)
    shown = await snapshot(services, company_id)
    names = {u.user_id: u.name for u in shown.users}
    return [_entry(record, names, shown.fields) for record in records]


def _entry(record: AuditRecord, names: dict[int, str], fields: PipedriveFieldLists) -> AuditEntry:
    who = names.get(record.user_id or 0) or (
        gettext("User %(id)s", id=record.user_id) if record.user_id else ""
    )
    return AuditEntry(
        when=record.when,
        who=who,
        action=audit_action(record.action),
        code=record.action,
        changes=_describe_changes(record.detail.get("changes", {}), names, fields),
    )


def _describe_changes(
    raw: Any, names: dict[int, str], fields: PipedriveFieldLists
) -> list[tuple[str, str, str]]:
    """(what, from, to) in words: fields and roles by name, switches as On/Off, empty values
    as a dash, all in the viewer's language."""
    if not isinstance(raw, dict):
        return []

    def shown(value: Any, empty: str = "—") -> str:
        if isinstance(value, bool):
            return yes_no(value)
        return empty if value in (None, "") else str(value)

    described: list[tuple[str, str, str]] = []
    for name, change in raw.items():
        if not isinstance(change, dict):
            continue
        before, after = change.get("from"), change.get("to")
        if name == "user_roles" and isinstance(before, dict) and isinstance(after, dict):
            for user_id in sorted(set(before) | set(after)):
                if before.get(user_id) != after.get(user_id):
                    who = names.get(int(user_id)) or gettext("User %(id)s", id=user_id)
                    default = gettext("Default")
                    described.append(
                        (
                            gettext("Role of %(user)s", user=who),
                            role_name(shown(before.get(user_id), default)),
                            role_name(shown(after.get(user_id), default)),
                        )
                    )
            continue
        if str(name).startswith("map_"):
            before = fields.label_for(before) if before else before
            after = fields.label_for(after) if after else after
        if name == "default_role":
            before, after = role_name(str(before)), role_name(str(after))
        described.append((setting_label(str(name)), shown(before), shown(after)))
    return described


async def _form_values(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


async def settings_page(request: Request) -> Response:
    """Shell of the settings page."""
    return render(request, "settings.html", ShellContext(await open_iframe(request)))


async def settings_content(request: Request) -> Response:
    """Fragment: the whole settings body."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.VIEW)
    context = await _form(request, services, user)
    full = replace(context, audit=await _audit(services, user.company_id))
    return render(request, "settings.html", full, block="content")


async def settings_save(request: Request) -> Response:
    """Validate and save; inline errors with every typed value kept when it cannot be saved."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.ADMINISTER)
    result = await submit(
        services,
        user.company_id,
        user.user_id,
        await _form_values(request),
        locale=current_locale().formatting,
    )
    if result.errors:
        context = await _form(request, services, user, result.values, result.errors)
        # 200, not 422: the form with its errors is what the page swaps in, and a 4xx would
        # log a failed load in the browser console for a form working as meant.
        return render(request, "settings.html", _as_form(context), block="form")
    notice = gettext("Settings saved.") if result.changes else gettext("No changes to save.")
    context = await _form(request, services, user, notice=notice)
    response = render(request, "settings.html", _as_form(context), block="form")
    trigger_client_event(response, "app:snackbar", {"message": notice})
    if result.changes:
        trigger_client_event(response, "app:settings-saved")
    return response


def _as_form(context: SettingsContentContext) -> SettingsFormContext:
    names = SettingsFormContext.__dataclass_fields__
    return SettingsFormContext(**{name: getattr(context, name) for name in names})


async def settings_refresh_lists(request: Request) -> Response:
    """Ask QuickBooks and Pipedrive for their lists again; keep what the admin has typed."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.ADMINISTER)
    problems = await refresh_reference_lists(services, user.company_id, user.user_id)
    submitted = await overlay(services, user.company_id, await _form_values(request))
    worded = [message_for(problem) for problem in problems]
    notice = (
        " ".join(f"{m.title}. {m.text}" for m in worded) if worded else gettext("Lists refreshed.")
    )
    context = await _form(request, services, user, submitted, notice=notice)
    return render(request, "settings.html", _as_form(context), block="form")


async def settings_connection(request: Request) -> Response:
    """Fragment: the connection card; while an admin completes Intuit's consent in another
    window it polls, so the page updates by itself when the connection lands."""
    user = await require_user(request)
    services = get_services(request)
    status = await company_status(services, user.company_id)
    is_admin = await _is_admin(services, user)
    waiting_since = request.query_params.get("waiting", "")
    waiting = (
        status.quickbooks != "connected"
        and waiting_since.isascii()
        and waiting_since.isdigit()
        and 0 <= time.time() - int(waiting_since) < _CONNECT_WAIT_SECONDS
    )
    connect_url, ticket_url = _connect_links(request, is_admin)
    context = ConnectionCardContext(
        status=status,
        is_admin=is_admin,
        connect_url=connect_url,
        ticket_url=ticket_url,
        waiting=waiting,
        waiting_since=waiting_since if waiting else str(int(time.time())),
    )
    response = render(request, "settings.html", context, block="connection")
    if status.quickbooks == "connected" and waiting_since:
        trigger_client_event(
            response, "app:snackbar", {"message": gettext("QuickBooks is connected.")}
        )
        # The form fetches tax codes, accounts and terms now that there is a company to ask,
        # and the audit trail shows who connected it.
        trigger_client_event(response, "app:quickbooks-connected", after="settle")
        trigger_client_event(response, "app:settings-saved")
    return response


async def settings_connect_ticket(request: Request) -> Response:
    """JSON: a one-time ticket for the connect window this page just opened (admins only)."""
    user = await require_user(request)
    ticket = await issue_ticket(get_services(request), user)
    return JSONResponse({"ticket": ticket}, headers={"Cache-Control": "no-store"})


async def settings_disconnect(request: Request) -> Response:
    """Revoke the company's QuickBooks connection (admins only; the page confirmed first)."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.ADMINISTER)
    await disconnect(services, user.company_id, user.user_id)
    connect_url, ticket_url = _connect_links(request, True)
    context = ConnectionCardContext(
        status=await company_status(services, user.company_id),
        is_admin=True,
        connect_url=connect_url,
        ticket_url=ticket_url,
        waiting=False,
        waiting_since=str(int(time.time())),
    )
    response = render(request, "settings.html", context, block="connection")
    trigger_client_event(
        response, "app:snackbar", {"message": gettext("QuickBooks is disconnected.")}
    )
    trigger_client_event(response, "app:settings-saved")  # the audit trail shows it
    return response


async def settings_due_example(request: Request) -> Response:
    """Fragment: the live due-date example for the days being typed."""
    await require_user(request)
    typed = request.query_params.get("due_days", "").strip()
    example = due_date_example(typed, today(), current_locale().formatting)
    return render(request, "settings.html", DueExampleContext(example), block="due_example")


async def settings_audit(request: Request) -> Response:
    """Fragment: the audit trail at the bottom of the page."""
    user = await require_user(request)
    services = get_services(request)
    context = AuditContext(await _audit(services, user.company_id))
    return render(request, "settings.html", context, block="audit")


async def settings_language(request: Request) -> Response:
    """The viewer's own language in the app (any installed user, for themself only); the page
    answers in it at once."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.VIEW)
    form = await _form_values(request)
    chosen = await choose_language(services, user, form.get("language", ""))
    if chosen is None:  # uninstalled in the meantime
        raise SessionRejected(expired=False)
    set_request_locale(chosen.locale)
    context = await _form(request, services, chosen)
    full = replace(context, audit=await _audit(services, chosen.company_id))
    response = render(request, "settings.html", full, block="content")
    trigger_client_event(response, "app:snackbar", {"message": gettext("Language saved.")})
    return response


routes = [
    Mount(
        "/settings",
        routes=[
            Route("/", settings_page, name="page"),
            Route("/content", settings_content, name="content"),
            Route("/save", settings_save, methods=["POST"], name="save"),
            Route("/refresh-lists", settings_refresh_lists, methods=["POST"], name="refresh_lists"),
            Route("/connection", settings_connection, name="connection"),
            Route(
                "/connect-ticket", settings_connect_ticket, methods=["POST"], name="connect_ticket"
            ),
            Route("/disconnect", settings_disconnect, methods=["POST"], name="disconnect"),
            Route("/due-example", settings_due_example, name="due_example"),
            Route("/audit", settings_audit, name="audit"),
            Route("/language", settings_language, methods=["POST"], name="language"),
        ],
        name="settings",
    )
]
