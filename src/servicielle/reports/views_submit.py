"""Sending the report form: the multipart body read on the event loop, then the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.bodies import REPORT_BODY_BYTES, REPORT_FIELDS, capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import (
    BadRequest,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServicielleError,
)
from servicielle.core.i18n import _
from servicielle.core.photos import MAX_PHOTOS, MAX_UPLOAD_BYTES
from servicielle.core.session import DbSession
from servicielle.reports import service
from servicielle.reports.models import CategoryQuestion, ReportStatus
from servicielle.reports.repository import CategoryRepository
from servicielle.reports.schemas import ReportDraft
from servicielle.reports.service import CONFIRMATION_DAYS
from servicielle.reports.views_common import message_page
from servicielle.reports.views_form import (
    POINT_SOURCES,
    Where,
    check_where,
    details_page,
    where_page,
)

router = APIRouter()
MAX_FORM_BYTES = REPORT_BODY_BYTES


@dataclass
class PostedReport:
    """The multipart body of step 2: text fields, checkbox lists and the photos' bytes."""

    fields: dict[str, str]
    lists: dict[str, list[str]]
    photos: list[bytes]


async def read_posted_report(request: Request) -> PostedReport:
    """Read the body on the event loop, so that the handler can stay synchronous.

    The photos are read into memory here and the spooled files closed at once, whether
    the CSRF check passes or not: nothing else would close them. A body over the size limit
    is a 413 before the CSRF check: reading it whole to check the token is the harm.
    """
    # Capped before anything is read: five photos at their limit and the text fields, no more.
    request = capped(request, MAX_FORM_BYTES)
    try:
        form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=REPORT_FIELDS)
    except HTTPException:
        raise BadRequest(
            _("The form could not be read. Go back, choose at most %(n)d photos and send it again.")
            % {"n": MAX_PHOTOS}
        ) from None
    try:
        await verify_csrf(request)
        values: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                values.setdefault(key, value)
                lists.setdefault(key, []).append(value)
        photos: list[bytes] = []
        # One more than allowed is enough for the service to say there are too many.
        for item in form.getlist("photos")[: MAX_PHOTOS + 1]:
            if isinstance(item, UploadFile):
                # One byte over the limit is enough to refuse a photo without reading it all.
                data = await item.read(MAX_UPLOAD_BYTES + 1)
                # A browser sends an empty, nameless part when no file was chosen.
                if data or item.filename:
                    photos.append(data)
    finally:
        await form.close()
    return PostedReport(values, lists, photos)


Posted = Annotated[PostedReport, Depends(read_posted_report)]


def _answers(posted: PostedReport, questions: list[CategoryQuestion]) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {}
    for question in questions:
        key = f"attribute[{question.code}]"
        if question.datatype == "multivaluelist":
            answers[question.code] = posted.lists.get(key, [])
        else:
            answers[question.code] = posted.fields.get(key, "")
    return answers


def _field_id(field: str) -> str:
    """The id of the input a service error is about."""
    if field.startswith("media"):
        return "photos"
    if field.startswith("attribute[") and field.endswith("]"):
        return "q-" + field[len("attribute[") : -1]
    return {
        "email": "reporter-email",
        "name": "reporter-name",
        "phone": "reporter-phone",
        "description": "description",
    }.get(field, "form")


def _errors(exc: ServicielleError) -> dict[str, str]:
    if isinstance(exc, PayloadTooLarge):
        return {"photos": exc.detail}
    errors: dict[str, str] = {}
    for field, message in exc.by_field().items():
        errors.setdefault(_field_id(field), message)
    return errors


@router.post("/nouveau/details", response_class=HTMLResponse)
def submit_report(
    request: Request, session: DbSession, principal: CurrentPrincipal, posted: Posted
) -> Response:
    """Send the report; errors show step 2 again with every value but the photos kept."""
    settings = request.app.state.settings
    where = Where.from_form(posted.fields)
    try:
        checked = check_where(session, where)
    except InvalidInput as exc:
        return where_page(request, session, where, errors=exc.by_field(), status_code=422)
    questions = [
        q for q in CategoryRepository(session).questions(checked.category.id) if q.variable
    ]
    answers = _answers(posted, questions)
    placement = checked.placement
    has_point = checked.located_by in POINT_SOURCES
    draft = ReportDraft(
        category_code=checked.category.code,
        description=posted.fields.get("description", ""),
        lat=placement.lat if has_point else None,
        lon=placement.lon if has_point else None,
        located_by=checked.located_by,
        commune_code="" if has_point else (placement.commune_code or ""),
        address_string=where.address_string.strip(),
        answers=dict(answers),
        photos=posted.photos,
        reporter_name=posted.fields.get("name", ""),
        reporter_email=posted.fields.get("email", ""),
        reporter_phone=posted.fields.get("phone", ""),
        channel="web",
    )
    try:
        report = service.submit_report(session, settings, draft, principal)
    except RateLimited as exc:
        return message_page(
            request,
            title=_("Too many reports for now"),
            message=exc.detail,
            links=[("/compte/connexion", _("Sign in")), ("/signalements", _("See the reports"))],
            status_code=exc.status,
            headers=exc.headers,
        )
    except (InvalidInput, PayloadTooLarge, NotFound) as exc:
        values: dict[str, Any] = {
            "description": draft.description,
            "name": draft.reporter_name,
            "email": draft.reporter_email,
            "phone": draft.reporter_phone,
            "answers": answers,
            "had_photos": bool(posted.photos),
        }
        errors = _errors(exc)
        if not principal.is_authenticated and not draft.reporter_email.strip():
            # The service stops at its first problem; the missing address is said at once.
            errors.setdefault(
                "reporter-email",
                _("Give your email address: we send you a link to confirm the report."),
            )
        return details_page(
            request,
            session,
            principal,
            where,
            checked,
            values=values,
            errors=errors,
            status_code=exc.status,
        )
    if report.status != ReportStatus.UNCONFIRMED:
        return RedirectResponse(f"/signalements/{report.id}?envoye=1", status_code=303)
    return message_page(
        request,
        title=_("Check your mailbox to send your report"),
        message=_(
            "We have sent a link to %(email)s. Open it within %(days)d days: your report will "
            "then be published and sent to %(organisation)s. Until then nobody sees it."
        )
        % {
            "email": report.reporter_email,
            "days": CONFIRMATION_DAYS,
            "organisation": checked.organisation.name,
        },
        notice=checked.category.notice,
        links=[("/signalements", _("See the reports"))],
    )
