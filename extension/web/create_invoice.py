"""The create-invoice modal's fragments: the form, its live parts, posting, and the result.

Thin handlers: each reads the request, calls one domain function, renders a block of
``modal_create.html``. The live parts (summary, lines, due date) re-render from the form as
submitted and the books snapshot it carries, with no upstream call, and swap only elements the
user is not typing in, so focus and typed text stay where they are.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from extension.accounts.permissions import Action, require
from extension.htmx import trigger_client_event
from extension.i18n import current_locale, gettext
from extension.invoicing.books import BooksSnapshot
from extension.invoicing.create import (
    Busy,
    CreatedInvoice,
    DraftNotFound,
    NotConnected,
    Stalled,
    check_number,
    created_pdf,
    draft_state,
    open_form,
    send_created,
    submit,
)
from extension.invoicing.create_screen import (
    CreateScreen,
    ScreenNotice,
    blank_line,
    build_screen,
)
from extension.invoicing.line_editing import LineOp, edit_lines
from extension.invoicing.tax_modes import US_NON_TAXABLE, TaxModel
from extension.pipedrive.errors import PipedriveError
from extension.quickbooks.errors import QuickBooksError
from extension.services import Services, get_services
from extension.web.create_contexts import (
    CreatedContext,
    CreateFormContext,
    NotConnectedContext,
    NumberHintContext,
    WaitingContext,
)
from extension.web.create_words import (
    currency_hint_text,
    line_note,
    recurring_text,
    worded_problems,
)
from extension.web.errors import render_message
from extension.web.iframe import require_user
from extension.web.messages import UserMessage, message_for
from extension.web.rendering import render

__all__ = ["routes", "form_context", "screen_from_form", "request_values", "TEMPLATE"]

TEMPLATE = "modal_create.html"
_MAX_FORM_FIELDS = 30_000  # 1000 lines of ~20 fields, with room


def _notice(screen: CreateScreen) -> str:
    if screen.notice is ScreenNotice.PROBLEMS:
        return gettext(
            "Nothing was sent to QuickBooks. Fix what is marked below; everything you typed is "
            "kept."
        )
    if screen.notice is ScreenNotice.REFUSED:
        return gettext(
            "QuickBooks refused the invoice, so nothing was created. Fix what is marked below "
            "and create it again."
        )
    if screen.notice is ScreenNotice.CUSTOMER_UPDATE_FAILED:
        return gettext(
            "The customer's details could not be updated in QuickBooks, so the invoice was not "
            "created. Turn off “Update customer details in QuickBooks” or fix the details, and "
            "try again."
        )
    if screen.notice is ScreenNotice.MAY_HAVE_COMMITTED:
        return gettext(
            "QuickBooks did not confirm the invoice. Press “Try again”: the same invoice is sent "
            "again and QuickBooks recognises it, so it is never created twice. Changes made now "
            "are not sent."
        )
    return ""


def form_context(
    deal_id: int,
    screen: CreateScreen,
    *,
    oob: bool = False,
    lines_focus: str = "",
    changed_lines: tuple[str, ...] = (),
) -> CreateFormContext:
    errors, warnings = worded_problems(screen.problems)
    failure = message_for(screen.error) if screen.error is not None else None
    return CreateFormContext(
        deal_id=deal_id,
        screen=screen,
        errors=errors,
        warnings=warnings,
        notice=_notice(screen),
        failure=failure,
        recurring={
            line.key: recurring_text(line.recurring) for line in screen.lines if line.recurring
        },
        currency_hint=currency_hint_text(screen.currency_hint) if screen.currency_hint else "",
        oob=oob,
        lines_focus=lines_focus,
        changed_lines=changed_lines,
        problem_count=sum(len(texts) for texts in errors.values()),
    )


async def request_values(request: Request) -> dict[str, str]:
    """The form a fragment call sent (its query for a GET), as text fields only."""
    if request.method == "GET":
        return dict(request.query_params)
    form = await request.form(max_fields=_MAX_FORM_FIELDS)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _books(services: Services, form: dict[str, str]) -> tuple[BooksSnapshot, str] | None:
    token = form.get("books", "")
    snapshot = BooksSnapshot.load(token, str(services.settings.secret_key))
    return (snapshot, token) if snapshot is not None else None


def screen_from_form(
    services: Services, deal_id: int, form: dict[str, str], **kwargs: Any
) -> CreateScreen | None:
    """The form re-rendered from what the browser sent (None without a valid snapshot)."""
    books = _books(services, form)
    if books is None:
        return None
    snapshot, token = books
    return build_screen(
        form, snapshot, token, deal_id=deal_id, locale=current_locale().formatting, **kwargs
    )


def _stale_form(request: Request) -> Response:
    message = UserMessage(
        "create-form-stale",
        gettext("This form is out of date"),
        gettext("Close it and open “+ Invoice” again."),
        409,
    )
    return render_message(request, message)


def _draft_gone(request: Request) -> Response:
    message = UserMessage(
        "create-draft-not-found",
        gettext("This invoice form is no longer available"),
        gettext("Close it and open “+ Invoice” again."),
        404,
    )
    return render_message(request, message)


def _outcome(
    request: Request, deal_id: int, outcome: CreatedInvoice | Busy | Stalled | CreateScreen
) -> Response:
    if isinstance(outcome, CreatedInvoice):
        response = render(request, TEMPLATE, CreatedContext(deal_id, outcome), block="created")
        number = outcome.doc_number or outcome.invoice_id
        message = gettext("Invoice %(number)s was created in QuickBooks.", number=number)
        return trigger_client_event(response, "app:snackbar", {"message": message})
    if isinstance(outcome, Busy):
        context = WaitingContext(deal_id, outcome.draft_key)
        return render(request, TEMPLATE, context, block="waiting")
    if isinstance(outcome, Stalled):
        context = WaitingContext(deal_id, outcome.draft_key, stalled=True, kept=outcome.kept)
        return render(request, TEMPLATE, context, block="waiting")
    status = 422 if outcome.problems and outcome.notice is not ScreenNotice.NONE else 200
    if outcome.notice is ScreenNotice.MAY_HAVE_COMMITTED:
        status = 200
    return render(
        request, TEMPLATE, form_context(deal_id, outcome), block="form", status_code=status
    )


# ---- handlers --------------------------------------------------------------------------------


async def content(request: Request) -> Response:
    """Fragment: the form prefilled from the deal, or the invoice this opening created."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.CREATE)
    deal_id: int = request.path_params["deal_id"]
    runtime = request.query_params.get("runtime", "")
    opened = await open_form(services, user, deal_id, runtime, locale=current_locale())
    if isinstance(opened, NotConnected):
        return render(request, TEMPLATE, NotConnectedContext(opened.status), block="not_connected")
    if isinstance(opened, CreatedInvoice):
        return render(request, TEMPLATE, CreatedContext(deal_id, opened), block="created")
    if isinstance(opened, Busy):
        return render(request, TEMPLATE, WaitingContext(deal_id, opened.draft_key), block="waiting")
    response = render(request, TEMPLATE, form_context(deal_id, opened), block="form", vary=True)
    response.headers["Cache-Control"] = "no-store"
    return response


async def summary(request: Request) -> Response:
    """Fragment: the live summary, with each line's total and the currency hint out of band."""
    await require_user(request)
    services = get_services(request)
    deal_id: int = request.path_params["deal_id"]
    screen = screen_from_form(services, deal_id, await request_values(request))
    if screen is None:
        return _stale_form(request)
    context = form_context(deal_id, screen, oob=True)
    return render(request, TEMPLATE, context, blocks=["summary", "line_totals", "currency_hint"])


async def lines(request: Request) -> Response:
    """Fragment: the lines after adding, removing or moving one, and the summary."""
    await require_user(request)
    services = get_services(request)
    deal_id: int = request.path_params["deal_id"]
    form = await request_values(request)
    books = _books(services, form)
    if books is None:
        return _stale_form(request)
    try:
        op = LineOp(form.get("op", ""))
    except ValueError:
        return _stale_form(request)
    snapshot = books[0]
    default_code = US_NON_TAXABLE if snapshot.model.is_us and snapshot.model.taxes else ""
    if snapshot.model is TaxModel.GLOBAL and snapshot.tax_codes:
        default_code = form.get("default_tax_code", "") or snapshot.tax_codes[0].id
    edited, focus = edit_lines(form, op, form.get("line_key", ""), blank_line(default_code))
    screen = screen_from_form(services, deal_id, edited)
    assert screen is not None
    context = replace(
        form_context(deal_id, screen, oob=True, lines_focus=focus), lines_focus_op=op.value
    )
    return render(request, TEMPLATE, context, blocks=["lines", "summary"])


async def due_date(request: Request) -> Response:
    """Fragment: the due date after the terms or the invoice date changed."""
    await require_user(request)
    services = get_services(request)
    deal_id: int = request.path_params["deal_id"]
    form = await request_values(request)
    screen = screen_from_form(services, deal_id, form)
    if screen is None:
        return _stale_form(request)
    term = screen.books.term(form.get("details-terms_id", ""))
    invoice_date = form.get("details-invoice_date", "")
    fields = dict(screen.fields)
    if term is not None and term.due_days is not None and len(invoice_date) == 10:
        try:
            day = date.fromisoformat(invoice_date)
        except ValueError:
            day = None
        if day is not None:
            fields["details-due_date"] = (day + timedelta(days=term.due_days)).isoformat()
    rebuilt = screen_from_form(services, deal_id, fields)
    assert rebuilt is not None
    return render(request, TEMPLATE, form_context(deal_id, rebuilt), block="due_date")


async def number_check(request: Request) -> Response:
    """Fragment: whether the invoice number typed is free in QuickBooks (custom numbers)."""
    user = await require_user(request)
    services = get_services(request)
    number = request.query_params.get("details-number", "").strip()
    if not number or len(number) > 21:
        return render(
            request, TEMPLATE, NumberHintContext(False, number, False), block="number_hint"
        )
    taken = await check_number(services, user.company_id, number)
    return render(request, TEMPLATE, NumberHintContext(taken, number, True), block="number_hint")


async def post(request: Request) -> Response:
    """Create the invoice (exactly once), or show the form again with what stands in the way."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.CREATE)
    deal_id: int = request.path_params["deal_id"]
    form = await request_values(request)
    try:
        outcome = await submit(
            services, user, deal_id, form, locale=current_locale(), noter=line_note
        )
    except DraftNotFound:
        return _draft_gone(request)
    except (PipedriveError, QuickBooksError) as exc:
        # Nothing was posted (reads failed first): the form stays as typed, the reason above it.
        screen = screen_from_form(services, deal_id, form)
        if screen is None:
            raise
        context = replace(form_context(deal_id, screen), failure=message_for(exc), notice="")
        return render(request, TEMPLATE, context, block="form", status_code=200)
    return _outcome(request, deal_id, outcome)


async def state(request: Request) -> Response:
    """Fragment for a page waiting on another request's post of the same draft."""
    user = await require_user(request)
    services = get_services(request)
    deal_id: int = request.path_params["deal_id"]
    try:
        outcome = await draft_state(services, user, deal_id, request.path_params["key"])
    except DraftNotFound:
        return _draft_gone(request)
    if isinstance(outcome, CreatedInvoice):
        return render(request, TEMPLATE, CreatedContext(deal_id, outcome), block="created")
    return _outcome(request, deal_id, outcome)


async def send(request: Request) -> Response:
    """Email the created invoice from QuickBooks ("Send now")."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.SEND)
    deal_id: int = request.path_params["deal_id"]
    try:
        form = await request_values(request)
        created = await send_created(
            services, user, deal_id, request.path_params["key"], shown_sent_at=form.get("sent", "")
        )
    except DraftNotFound:
        return _draft_gone(request)
    response = render(
        request, TEMPLATE, CreatedContext(deal_id, created, sent_now=True), block="created"
    )
    message = gettext("The invoice was emailed to %(email)s.", email=created.bill_email)
    return trigger_client_event(response, "app:snackbar", {"message": message})


async def pdf(request: Request) -> Response:
    """The created invoice as QuickBooks prints it."""
    user = await require_user(request)
    services = get_services(request)
    await require(services, user, Action.VIEW)
    deal_id: int = request.path_params["deal_id"]
    try:
        created, content = await created_pdf(services, user, deal_id, request.path_params["key"])
    except DraftNotFound:
        return _draft_gone(request)
    number = "".join(ch for ch in (created.doc_number or created.invoice_id) if ch.isalnum())
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="invoice-{number or "pdf"}.pdf"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Mount(
        "/modals/create-invoice",
        routes=[
            Route("/{deal_id:int}/content", content, name="content"),
            Route("/{deal_id:int}/summary", summary, methods=["POST"], name="summary"),
            Route("/{deal_id:int}/lines", lines, methods=["POST"], name="lines"),
            Route("/{deal_id:int}/due-date", due_date, methods=["POST"], name="due_date"),
            Route("/{deal_id:int}/number", number_check, name="number"),
            Route("/{deal_id:int}/submit", post, methods=["POST"], name="submit"),
            Route("/{deal_id:int}/drafts/{key}/state", state, name="state"),
            Route("/{deal_id:int}/drafts/{key}/send", send, methods=["POST"], name="send"),
            Route("/{deal_id:int}/drafts/{key}/pdf", pdf, name="pdf"),
        ],
        name="create_invoice",
    )
]
