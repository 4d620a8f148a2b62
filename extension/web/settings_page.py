"""The app's custom settings page inside Pipedrive: connection, mapping, defaults, roles, audit.

Everybody installed sees it; only Pipedrive admins may change it (checked here on every write).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.htmx import trigger_client_event
from extension.invoicing.company_settings import (
    FIELD_LABELS,
    SettingsValues,
    due_date_example,
    load_settings,
    parse_settings_form,
    save_settings,
    validate_settings,
)
from extension.invoicing.permissions import ROLE_LABELS, Role
from extension.invoicing.reference_lists import (
    Choice,
    PipedriveFieldLists,
    load_pipedrive_fields,
    load_quickbooks_lists,
)
from extension.invoicing.sources import refresh_reference_lists
from extension.invoicing.status import load_company_status
from extension.quickbooks.connection import disconnect
from extension.security.session import AppSession
from extension.services import Services, get_services
from extension.store.installations import get_installation, list_installations
from extension.store.models import AuditEvent
from extension.web.iframe import open_iframe, require_session
from extension.web.quickbooks import connect_url as quickbooks_connect_url

__all__ = ["routes"]

_AUDIT_LIMIT = 25
# How the audit trail says each action; unknown actions show their code.
_ACTION_TEXT = {
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
# How long the page keeps polling after "Connect to QuickBooks" opened Intuit's window.
_CONNECT_WAIT_SECONDS = 15 * 60


def connect_url_for(services: Services, app_session: AppSession) -> str:
    """Where "Connect to QuickBooks" leads (a new window: Intuit's consent cannot be framed)."""
    return quickbooks_connect_url(services, app_session.company_id, app_session.user_id)


async def _is_admin(session: AsyncSession, app_session: AppSession) -> bool:
    installation = await get_installation(session, app_session.company_id, app_session.user_id)
    return installation is not None and installation.is_admin


async def _require_admin(services: Services, app_session: AppSession) -> None:
    async with services.sessionmaker() as session:
        if not await _is_admin(session, app_session):
            raise HTTPException(403, "Only a Pipedrive admin can change these settings.")


async def _form_context(
    services: Services,
    app_session: AppSession,
    values: SettingsValues | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    company_id = app_session.company_id
    async with services.sessionmaker() as session:
        current = await load_settings(session, company_id)
        installations = await list_installations(session, company_id)
        is_admin = await _is_admin(session, app_session)
        fields = await load_pipedrive_fields(session, company_id)
        quickbooks = await load_quickbooks_lists(session, company_id)
        status = await load_company_status(session, company_id)
    shown = values or current
    return {
        "values": shown,
        "errors": errors or {},
        "notice": notice,
        "is_admin": is_admin,
        "status": status,
        "fields": fields,
        "quickbooks": quickbooks,
        "users": [i for i in installations if not i.is_admin],
        "admins": [i for i in installations if i.is_admin],
        "roles": [(role.value, ROLE_LABELS[role]) for role in Role],
        "role_choices": [Choice(role.value, ROLE_LABELS[role]) for role in Role],
        "due_example": due_date_example(shown.due_days, date.today()),
        "connect_url": connect_url_for(services, app_session) if is_admin else None,
        "waiting": False,
        "waiting_since": str(int(time.time())),
    }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    when: datetime
    who: str
    action: str
    changes: list[tuple[str, str, str]]


async def _audit_entries(services: Services, company_id: int) -> list[AuditEntry]:
    async with services.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.company_id == company_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(_AUDIT_LIMIT)
        )
        events = list(rows)
        names = {i.user_id: i.name for i in await list_installations(session, company_id)}
        fields = await load_pipedrive_fields(session, company_id)
    return [
        AuditEntry(
            when=event.created_at,
            who=names.get(event.user_id or 0) or (f"User {event.user_id}" if event.user_id else ""),
            action=_ACTION_TEXT.get(event.action, event.action),
            changes=_describe_changes(event.detail.get("changes", {}), names, fields),
        )
        for event in events
    ]


def _describe_changes(
    raw: Any, names: dict[int, str], fields: PipedriveFieldLists
) -> list[tuple[str, str, str]]:
    """(what, from, to) in words: fields and roles by name, empty values as a dash."""
    if not isinstance(raw, dict):
        return []

    def shown(value: Any, empty: str = "—") -> str:
        return empty if value in (None, "") else str(value)

    described: list[tuple[str, str, str]] = []
    for name, change in raw.items():
        if not isinstance(change, dict):
            continue
        before, after = change.get("from"), change.get("to")
        if name == "user_roles" and isinstance(before, dict) and isinstance(after, dict):
            for user_id in sorted(set(before) | set(after)):
                if before.get(user_id) != after.get(user_id):
                    who = names.get(int(user_id)) or f"user {user_id}"
                    described.append(
                        (
                            f"Role of {who}",
                            shown(before.get(user_id), "default"),
                            shown(after.get(user_id), "default"),
                        )
                    )
            continue
        if str(name).startswith("map_"):
            before = fields.label_for(before) if before else before
            after = fields.label_for(after) if after else after
        described.append((FIELD_LABELS.get(str(name), str(name)), shown(before), shown(after)))
    return described


async def settings_page(request: Request) -> Response:
    """Shell of the settings page."""
    iframe = await open_iframe(request)
    return get_services(request).templates.TemplateResponse(
        request, "settings.html", {"iframe": iframe}
    )


async def settings_content(request: Request) -> Response:
    """Fragment: the whole settings body."""
    app_session = require_session(request)
    services = get_services(request)
    context = await _form_context(services, app_session)
    context["audit"] = await _audit_entries(services, app_session.company_id)
    return services.templates.TemplateResponse(
        request, "settings.html", context, block_name="content"
    )


async def _submission(
    request: Request, services: Services, company_id: int
) -> tuple[SettingsValues, SettingsValues]:
    """(saved, submitted): the stored settings and the form laid over them."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    async with services.sessionmaker() as session:
        current = await load_settings(session, company_id)
        user_ids = [i.user_id for i in await list_installations(session, company_id)]
    return current, parse_settings_form(form, current, user_ids)


async def settings_save(request: Request) -> Response:
    """Validate and save; 422 with inline errors and every typed value kept."""
    app_session = require_session(request)
    services = get_services(request)
    await _require_admin(services, app_session)
    company_id = app_session.company_id
    current, submitted = await _submission(request, services, company_id)
    async with services.sessionmaker() as session:
        fields = await load_pipedrive_fields(session, company_id)
        quickbooks = await load_quickbooks_lists(session, company_id)
    errors = validate_settings(submitted, fields, quickbooks)
    if errors:
        context = await _form_context(services, app_session, submitted, errors)
        return services.templates.TemplateResponse(
            request, "settings.html", context, block_name="form", status_code=422
        )
    async with services.sessionmaker() as session, session.begin():
        changes = await save_settings(session, company_id, app_session.user_id, current, submitted)
    notice = "Settings saved." if changes else "No changes to save."
    context = await _form_context(services, app_session, notice=notice)
    response = services.templates.TemplateResponse(
        request, "settings.html", context, block_name="form"
    )
    trigger_client_event(response, "app:snackbar", {"message": notice})
    if changes:
        trigger_client_event(response, "app:settings-saved")
    return response


async def settings_refresh_lists(request: Request) -> Response:
    """Ask QuickBooks and Pipedrive for their lists again; keep what the admin has typed."""
    app_session = require_session(request)
    services = get_services(request)
    await _require_admin(services, app_session)
    problems = await refresh_reference_lists(services, app_session.company_id, app_session.user_id)
    _, submitted = await _submission(request, services, app_session.company_id)
    notice = " ".join(problems) if problems else "Lists refreshed."
    context = await _form_context(services, app_session, submitted, notice=notice)
    return services.templates.TemplateResponse(request, "settings.html", context, block_name="form")


async def settings_connection(request: Request) -> Response:
    """Fragment: the connection card; while an admin completes Intuit's consent in another
    window it polls, so the page updates by itself when the connection lands."""
    app_session = require_session(request)
    services = get_services(request)
    async with services.sessionmaker() as session:
        status = await load_company_status(session, app_session.company_id)
        is_admin = await _is_admin(session, app_session)
    waiting_since = request.query_params.get("waiting", "")
    waiting = (
        status.quickbooks != "connected"
        and waiting_since.isdigit()
        and 0 <= time.time() - int(waiting_since) < _CONNECT_WAIT_SECONDS
    )
    context = {
        "status": status,
        "is_admin": is_admin,
        "connect_url": connect_url_for(services, app_session) if is_admin else None,
        "waiting": waiting,
        "waiting_since": waiting_since if waiting else str(int(time.time())),
    }
    response = services.templates.TemplateResponse(
        request, "settings.html", context, block_name="connection"
    )
    if status.quickbooks == "connected" and waiting_since:
        trigger_client_event(response, "app:snackbar", {"message": "QuickBooks is connected."})
        # The form fetches tax codes, accounts and terms now that there is a company to ask.
        trigger_client_event(response, "app:quickbooks-connected", after="settle")
    return response


async def settings_disconnect(request: Request) -> Response:
    """Revoke the company's QuickBooks connection (admins only; the page confirmed first)."""
    app_session = require_session(request)
    services = get_services(request)
    await _require_admin(services, app_session)
    await disconnect(services, app_session.company_id, app_session.user_id)
    async with services.sessionmaker() as session:
        status = await load_company_status(session, app_session.company_id)
    context = {
        "status": status,
        "is_admin": True,
        "connect_url": connect_url_for(services, app_session),
        "waiting": False,
        "waiting_since": str(int(time.time())),
    }
    response = services.templates.TemplateResponse(
        request, "settings.html", context, block_name="connection"
    )
    trigger_client_event(response, "app:snackbar", {"message": "QuickBooks is disconnected."})
    trigger_client_event(response, "app:settings-saved")  # the audit trail shows it
    return response


async def settings_due_example(request: Request) -> Response:
    """Fragment: the live due-date example for the days being typed."""
    require_session(request)
    services = get_services(request)
    example = due_date_example(request.query_params.get("due_days", "").strip(), date.today())
    return services.templates.TemplateResponse(
        request, "settings.html", {"due_example": example}, block_name="due_example"
    )


async def settings_audit(request: Request) -> Response:
    """Fragment: the audit trail at the bottom of the page."""
    app_session = require_session(request)
    services = get_services(request)
    events = await _audit_entries(services, app_session.company_id)
    return services.templates.TemplateResponse(
        request, "settings.html", {"audit": events}, block_name="audit"
    )


routes = [
    Mount(
        "/settings",
        routes=[
            Route("/", settings_page, name="page"),
            Route("/content", settings_content, name="content"),
            Route("/save", settings_save, methods=["POST"], name="save"),
            Route("/refresh-lists", settings_refresh_lists, methods=["POST"], name="refresh_lists"),
            Route("/connection", settings_connection, name="connection"),
            Route("/disconnect", settings_disconnect, methods=["POST"], name="disconnect"),
            Route("/due-example", settings_due_example, name="due_example"),
            Route("/audit", settings_audit, name="audit"),
        ],
        name="settings",
    )
]
