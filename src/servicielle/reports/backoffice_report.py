"""One report in the back office: everything about it, and what staff do to it.

The page shows the reporter's private details, the original text and every photo and
update, hidden ones included: it is open only to the handling organisation and to
administrators. Each form posts to its own route, which calls one service inside a
savepoint, so a refused action re-renders the page as it was, with the error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import ServicielleError
from servicielle.core.i18n import N_, _
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.reports import bulk, lifecycle
from servicielle.reports.backoffice import (
    Handler,
    Posted,
    done_message,
    fields,
    ids_of,
    int_or_none,
    section_context,
)
from servicielle.reports.models import Report
from servicielle.reports.queue import StaffReportRepository, age_days, is_overdue
from servicielle.reports.repository import CategoryRepository, ReportRepository

router = APIRouter(prefix="/signalements")
DONE = {
    "status": N_("The status is changed; the reporter and the followers are told."),
    "note": N_("The note is added."),
    "assign": N_("The assignment is saved."),
    "reroute": N_("The report is re-routed to the organisation responsible."),
    "merge": N_("The report is merged into the original one."),
    "moderation": N_("The moderation is saved; the original stays in the history."),
}
KIND_LABELS = {
    "created": N_("Reported"),
    "status": N_("Status changed"),
    "note": N_("Note"),
    "reroute": N_("Re-routed"),
    "merge": N_("Merged"),
    "reopen": N_("Reopened by the reporter"),
    "confirm_fixed": N_("Fix confirmed by the reporter"),
    "moderation": N_("Moderation"),
    "assign": N_("Assignment"),
}
# Updates a moderator may hide: those carrying words someone wrote.
HIDEABLE = ("note", "status", "reopen", "confirm_fixed")


def _text(values: Mapping[str, str], name: str) -> str:
    # Browsers post textareas with CRLF line ends; stored texts use LF.
    return values.get(name, "").replace("\r\n", "\n")


def _report_page(
    request: Request,
    session: Session,
    principal: Principal,
    report: Report,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    staff = StaffReportRepository(session, principal)
    reports = ReportRepository(session)
    categories = CategoryRepository(session)
    organisations = OrganisationRepository(session).list()
    territory = TerritoryRepository(session)
    timeline = reports.timeline(report.id, public=False)
    category = categories.get(report.category_id)
    commune = territory.commune(report.commune_code) if report.commune_code else None
    templates = staff.reply_templates(report.organisation_id)
    chosen = (values or {}).get("status") or report.status
    nearby = staff.nearby(report)
    questions = categories.questions(report.category_id)
    context: dict[str, Any] = {
        "report": report,
        "category": category,
        "questions": questions,
        "value_names": {q.code: {str(v["key"]): v["name"] for v in q.values} for q in questions},
        "commune_name": commune.name if commune else "",
        "geozone_names": {z.slug: z.name for z in territory.geozones()},
        "photos": reports.photos(report.id, public=False),
        "timeline": timeline,
        "hideable": HIDEABLE,
        "kind_labels": {kind: _(label) for kind, label in KIND_LABELS.items()},
        "people": staff.timeline_people(timeline)
        | staff.user_names({report.assignee_id or 0, report.reporter_id or 0}),
        "organisation_names": {o.id: o.name for o in organisations},
        "reroute_options": [
            (o.id, o.name) for o in organisations if o.id != report.organisation_id
        ],
        "members": staff.members({report.organisation_id}),
        "nearby": nearby,
        "category_names": {
            i: c.name
            for i, c in categories.by_ids(
                {report.category_id} | {n.report.category_id for n in nearby}
            ).items()
        },
        "duplicates": reports.duplicates_of(report.id),
        "flags": staff.flags(report.id),
        "suggested": [t for t in templates if t.status == chosen],
        "other_templates": [t for t in templates if t.status != chosen],
        "age": age_days(report),
        "overdue": is_overdue(report),
        "form": form,
        "errors": errors or {},
        "values": values or {},
        **section_context(principal),
    }
    message = done_message(request.query_params, DONE)
    if message is not None:
        context["flash"] = message
    return render(request, "reports/admin/report.html", context, status_code=status_code)


@router.get("/{report_id:int}", response_class=HTMLResponse)
def report_page(
    request: Request, session: DbSession, report_id: int, principal: Handler
) -> HTMLResponse:
    """Everything about a report, private details included, and the forms to act on it."""
    report = bulk.staff_report(session, principal, report_id)
    return _report_page(request, session, principal, report)


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    report_id: int,
    form: str,
    values: Mapping[str, str],
    action: Callable[[Report], object],
    renamed: Mapping[str, str] | None = None,
) -> Response:
    """Run ``action`` in a savepoint; on refusal show the page with the form's errors."""
    report = bulk.staff_report(session, principal, report_id)
    try:
        with session.begin_nested():
            action(report)
    except ServicielleError as exc:
        errors = {(renamed or {}).get(k, k): v for k, v in exc.by_field("form").items()}
        return _report_page(
            request,
            session,
            principal,
            report,
            form=form,
            errors=errors,
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"/admin/signalements/{report_id}?done={form}#{form}", status_code=303)


@router.post("/{report_id:int}/statut", response_class=HTMLResponse)
def change_status(
    request: Request,
    session: DbSession,
    report_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Change the status with a public note (or fill the note from a reply template)."""
    values = fields(form)
    if values.get("action") == "template":
        return _use_template(request, session, principal, report_id, values)
    settings = request.app.state.settings
    return _act(
        request,
        session,
        principal,
        report_id,
        "status",
        values,
        lambda report: lifecycle.change_status(
            session,
            settings,
            report,
            principal,
            status=values.get("status", ""),
            note=_text(values, "note"),
            internal_note=_text(values, "internal_note"),
            close_reason=values.get("close_reason") or None,
        ),
    )


def _use_template(
    request: Request,
    session: Session,
    principal: Principal,
    report_id: int,
    values: dict[str, str],
) -> HTMLResponse:
    """The page again, the status form's note filled from the chosen template: no change."""
    report = bulk.staff_report(session, principal, report_id)
    templates = StaffReportRepository(session, principal).reply_templates(report.organisation_id)
    chosen = next((t for t in templates if str(t.id) == values.get("template")), None)
    if chosen is None:
        return _report_page(
            request,
            session,
            principal,
            report,
            form="status",
            errors={"template": _("Choose a reply template.")},
            values=values,
            status_code=422,
        )
    values = {**values, "note": chosen.body, "status": chosen.status or values.get("status", "")}
    return _report_page(request, session, principal, report, form="status", values=values)


@router.post("/{report_id:int}/note", response_class=HTMLResponse)
def add_note(
    request: Request,
    session: DbSession,
    report_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Add a public reply or an internal note."""
    values = fields(form)
    settings = request.app.state.settings
    return _act(
        request,
        session,
        principal,
        report_id,
        "note",
        values,
        lambda report: lifecycle.add_note(
            session,
            settings,
            report,
            principal,
            note=_text(values, "note"),
            internal_note=_text(values, "internal_note"),
        ),
    )


@router.post("/{report_id:int}/attribution", response_class=HTMLResponse)
def assign(
    request: Request,
    session: DbSession,
    report_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Assign the report to an agent of its organisation, to oneself or to nobody."""
    values = fields(form)
    return _act(
        request,
        session,
        principal,
        report_id,
        "assign",
        values,
        lambda report: bulk.assign_to(session, report, principal, values.get("assignee", "")),
    )


@router.post("/{report_id:int}/reorientation", response_class=HTMLResponse)
def reroute(
    request: Request,
    session: DbSession,
    report_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Hand the report to the organisation responsible for it."""
    values = fields(form)
    settings = request.app.state.settings
    organisation_id = int_or_none(values.get("organisation"))
    return _act(
        request,
        session,
        principal,
        report_id,
        "reroute",
        values,
        lambda report: lifecycle.reroute(
            session,
            settings,
            report,
            principal,
            organisation_id=organisation_id or 0,
            note=_text(values, "note"),
        ),
    )


@router.post("/{report_id:int}/fusion", response_class=HTMLResponse)
def merge(
    request: Request,
    session: DbSession,
    report_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Close the report as a duplicate of another one; its followers follow the original."""
    values = fields(form)
    settings = request.app.state.settings
    typed = values.get("original_number", "").strip().lstrip("#")
    # A typed number wins over the nearby report picked; a bad one asks for a number again.
    original_id = int_or_none(typed) if typed else int_or_none(values.get("original"))
    return _act(
        request,
        session,
        principal,
        report_id,
        "merge",
        values,
        lambda report: bulk.merge_into(
            session,
            settings,
            report,
            principal,
            original_id=original_id,
            note=_text(values, "note"),
        ),
    )


@router.post("/{report_id:int}/moderation", response_class=HTMLResponse)
def moderate(
    request: Request,
    session: DbSession,
    report_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Moderate what the public reads (text, address, photos, notes, link) or only the flags."""
    values = fields(form)
    flags_only = values.get("action") == "resolve"
    return _act(
        request,
        session,
        principal,
        report_id,
        "moderation",
        values,
        lambda report: bulk.moderate_report(
            session,
            report,
            principal,
            reason=_text(values, "reason"),
            public_description=None if flags_only else _text(values, "public_description"),
            hide_report=None if flags_only else values.get("hide_report") == "1",
            hidden_photo_ids=None if flags_only else ids_of(form, "hidden_photos"),
            hidden_update_ids=None if flags_only else ids_of(form, "hidden_updates"),
            address_string=None if flags_only else values.get("address_string"),
            clear_media_url=not flags_only and values.get("clear_media_url") == "1",
        ),
        # The reason is kept as the update's internal note: its errors name "note".
        renamed={"note": "reason"},
    )
