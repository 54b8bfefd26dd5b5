"""One report's public page: what, where, who handles it, its timeline; follow and flag it.

The reporter's name, email address and phone number are never given to the template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import Conflict, InvalidInput
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.reports import service
from servicielle.reports.labels import status_label
from servicielle.reports.models import (
    OPEN_STATUSES,
    CategoryQuestion,
    Report,
    ReportStatus,
    ReportUpdate,
)
from servicielle.reports.repository import CategoryRepository, ReportRepository
from servicielle.reports.schemas import ReportFilters
from servicielle.reports.views_common import (
    Names,
    helpers,
    local_datetime,
    message_page,
    names_for,
    public_report,
    signed_in_email,
)

router = APIRouter()
TextField = Annotated[str, Form(max_length=4000)]


@dataclass(frozen=True)
class TimelineEntry:
    """One public step of a report's life, as the page tells it."""

    at: dt.datetime
    title: str
    note: str = ""
    who: str = ""
    link: tuple[str, str] | None = None


def _entry(update: ReportUpdate, names: Names, public_ids: set[int]) -> TimelineEntry | None:
    """How the page tells one update; ``public_ids``: the related reports anyone may see."""
    org = names.organisation(update.organisation_id)
    related = update.related_report_id
    if update.kind == "created":
        return TimelineEntry(update.created_at, _("Reported"))
    if update.kind == "status" and update.status_before == ReportStatus.UNCONFIRMED:
        return TimelineEntry(update.created_at, _("Confirmed by its author and published"))
    if update.kind == "status":
        label = status_label(update.status_after or "", update.close_reason)
        title = _("Status: %(status)s") % {"status": label}
        return TimelineEntry(update.created_at, title, update.note, org)
    if update.kind == "note":
        return TimelineEntry(update.created_at, _("Reply"), update.note, org)
    if update.kind == "reroute":
        title = _("Forwarded to %(name)s") % {"name": org}
        who = names.organisation(update.from_organisation_id)
        return TimelineEntry(update.created_at, title, update.note, who)
    if update.kind == "merge" and related in public_ids:
        assert related is not None
        link = (f"/signalements/{related}", _("Report no. %(id)d") % {"id": related})
        if update.close_reason:
            title = _("Duplicate of report no. %(id)d") % {"id": related}
        else:
            title = _("Report no. %(id)d merged into this one") % {"id": related}
        return TimelineEntry(update.created_at, title, update.note, org, link)
    if update.kind == "merge" and update.close_reason:
        # The original is hidden now: the closing is told, without naming it.
        title = status_label(ReportStatus.CLOSED, update.close_reason)
        return TimelineEntry(update.created_at, title, update.note, org)
    if update.kind == "reopen":
        return TimelineEntry(
            update.created_at, _("Reopened: the reporter says it is not fixed"), update.note
        )
    if update.kind == "confirm_fixed":
        return TimelineEntry(update.created_at, _("The reporter confirmed the fix"), update.note)
    return None  # moderation and assignment are staff business


def _answer_text(question: CategoryQuestion, value: Any) -> str:
    names = {str(v["key"]): str(v.get("name") or v["key"]) for v in question.values}
    if isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value)
    if question.datatype == "singlevaluelist":
        return names.get(str(value), str(value))
    if question.datatype == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if question.datatype == "datetime":
        try:
            return local_datetime(dt.datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def _answers(
    questions: Sequence[CategoryQuestion], answers: dict[str, Any]
) -> list[tuple[str, str]]:
    return [
        (q.description, _answer_text(q, answers[q.code]))
        for q in questions
        if q.variable and q.code in answers
    ]


def report_page(
    request: Request,
    session: Session,
    principal: Principal,
    report: Report,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str = "",
    notice: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Render a report's page, with the errors of its follow or flag form if any."""
    repository = ReportRepository(session)
    updates = repository.timeline(report.id)
    names = names_for(
        session,
        [report],
        [u.organisation_id for u in updates] + [u.from_organisation_id for u in updates],
    )
    category = names.categories.get(report.category_id)
    questions = CategoryRepository(session).questions(report.category_id)
    original = repository.get_public(report.duplicate_of_id) if report.duplicate_of_id else None
    # A merge names the other report only while anyone may see it.
    related = [u.related_report_id for u in updates if u.related_report_id is not None]
    public_ids = (
        {r.id for r in repository.all(repository.filtered(ReportFilters(ids=related)))}
        if related
        else set()
    )
    context: dict[str, Any] = {
        "report": report,
        "category": category,
        "names": names,
        "answers": _answers(questions, report.answers),
        "photo_ids": repository.photo_ids([report.id])[report.id],
        "timeline": [e for e in (_entry(u, names, public_ids) for u in updates) if e is not None],
        "original": original,
        "duplicates": [d for d in repository.duplicates_of(report.id) if d.is_public],
        "is_open": report.status in OPEN_STATUSES,
        "errors": errors or {},
        "values": {"follow-email": signed_in_email(principal), **(values or {})},
        "notice": notice,
        **helpers(),
    }
    if flash:
        context["flash"] = flash
    return render(request, "reports/report.html", context, status_code=status_code)


@router.get("/{report_id:int}", response_class=HTMLResponse)
def show_report(
    report_id: int,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    envoye: int = 0,
    suivi: int = 0,
    signale: int = 0,
) -> HTMLResponse:
    """A public report; unknown, unconfirmed and hidden ones are a 404."""
    report = public_report(session, report_id)
    flash, notice = "", ""
    if envoye:
        organisation = names_for(session, [report]).organisation(report.organisation_id)
        flash = _("Your report has been sent to %(name)s.") % {"name": organisation}
        category = CategoryRepository(session).get(report.category_id)
        notice = category.notice if category is not None else ""
    elif suivi:
        flash = _("You follow this report: we will email you each change.")
    elif signale:
        flash = _("Thank you: moderators will look at this report.")
    return report_page(request, session, principal, report, flash=flash, notice=notice)


@router.post("/{report_id:int}/suivre", response_class=HTMLResponse)
def follow_report(
    report_id: int,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    email: TextField = "",
) -> Response:
    """Follow a report: at once for one's own address, after an emailed link otherwise."""
    report = public_report(session, report_id)
    address = email.strip() or signed_in_email(principal)
    try:
        subscription = service.follow(
            session, request.app.state.settings, principal, address, report=report
        )
    except InvalidInput as exc:
        message = exc.by_field("email").get("email", exc.detail)
        return report_page(
            request,
            session,
            principal,
            report,
            errors={"follow-email": message},
            values={"follow-email": email},
            status_code=422,
        )
    if subscription.confirmed_at is not None and subscription.user_id is not None:
        if principal.user is not None and subscription.user_id == principal.user.id:
            return RedirectResponse(f"/signalements/{report.id}?suivi=1", status_code=303)
    return message_page(
        request,
        title=_("Check your mailbox"),
        message=_(
            "Unless this address already follows report no. %(id)d, we have sent it a link: "
            "open it to confirm that you want to be told of each change."
        )
        % {"id": report.id},
        links=[(f"/signalements/{report.id}", _("Back to the report"))],
    )


@router.post("/{report_id:int}/abus", response_class=HTMLResponse)
def flag_report(
    report_id: int,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    reason: TextField = "",
) -> Response:
    """Tell the moderators a report is abusive (personal data, insults...)."""
    report = public_report(session, report_id)
    client = request.client.host if request.client else "unknown"
    try:
        service.flag_report(session, report, reason=reason, client=client)
    except InvalidInput as exc:
        message = exc.by_field("reason").get("reason", exc.detail)
        return report_page(
            request,
            session,
            principal,
            report,
            errors={"flag-reason": message},
            values={"flag-reason": reason},
            status_code=422,
        )
    except Conflict as exc:
        return message_page(
            request,
            title=_("Already flagged"),
            message=exc.detail,
            links=[(f"/signalements/{report.id}", _("Back to the report"))],
            status_code=409,
        )
    return RedirectResponse(f"/signalements/{report.id}?signale=1", status_code=303)
