"""Public pages of consultations: the list, one consultation with its form, flags."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.errors import Conflict, NotFound, RateLimited, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.modules import get_registry
from servicielle.core.pagination import Page, PageParams, Pagination
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.consultations import observations as service
from servicielle.participation.consultations.display import (
    Posted,
    helpers,
    paragraphs,
    with_paragraph_links,
)
from servicielle.participation.consultations.models import Consultation, QuestionKind
from servicielle.participation.consultations.repository import (
    ConsultationRepository,
    ObservationRepository,
    QuestionRepository,
)
from servicielle.participation.consultations.service import ConsultationState, state_of

router = APIRouter()
BASE = "/consultations"
SLUG = re.compile(r"^[a-z0-9-]{1,120}$")
OBSERVATIONS_PER_PAGE = 20


def _may_preview(principal: Principal) -> bool:
    return principal.may(get_registry().permission("participation.admin"))


def consultation_or_404(session: Session, principal: Principal, slug: str) -> Consultation:
    """A consultation the public sees (or any, for those who configure them); else NotFound."""
    repository = ConsultationRepository(session)
    found = repository.by_slug(slug) if SLUG.match(slug) else None
    # A consultation of an unpublished process is as hidden as the process itself.
    if found is None or not (
        (found.published and repository.process_published(found)) or _may_preview(principal)
    ):
        raise NotFound(_("No such consultation."))
    return found


@router.get(BASE, response_class=HTMLResponse)
def consultations(request: Request, session: DbSession) -> HTMLResponse:
    """Published consultations: open now, upcoming, closed."""
    groups: dict[ConsultationState, list[Consultation]] = {s: [] for s in ConsultationState}
    for consultation in ConsultationRepository(session).published():
        groups[state_of(consultation)].append(consultation)
    # The latest closed first; the others are already the soonest to close (or open) first.
    groups[ConsultationState.CLOSED].reverse()
    groups[ConsultationState.UPCOMING].sort(key=lambda c: c.opens_at)
    return render(
        request,
        "participation/consultations/list.html",
        {"groups": groups, "State": ConsultationState, **helpers()},
    )


def consultation_page(
    request: Request,
    session: Session,
    principal: Principal,
    consultation: Consultation,
    *,
    paging: PageParams | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    flash: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Render a consultation with its form (and the errors of the last post, if any)."""
    paging = paging or PageParams(page=1, page_size=OBSERVATIONS_PER_PAGE)
    questions = QuestionRepository(session).of(consultation.id)
    repository = ObservationRepository(session)
    document = paragraphs(consultation.document)
    page: Page[Any] | None = None
    authors: dict[int, str] = {}
    flagged: set[int] = set()
    if consultation.observations_public:
        items, total = repository.public_page(consultation.id, paging)
        page = Page[Any](
            items=list(items), total=total, page=paging.page, page_size=paging.page_size
        )
        authors = repository.author_names(items)
        if principal.user is not None:
            flagged = repository.flagged_by(principal.user.id, [o.id for o in items])
    context: dict[str, Any] = {
        "consultation": consultation,
        "state": state_of(consultation),
        "State": ConsultationState,
        "Kind": QuestionKind,
        "questions": questions,
        "document": document,
        "page": page,
        "authors": authors,
        "flagged": flagged,
        "answer_lines": lambda o: service.answer_lines(questions, o.answers),
        "linked": lambda text: with_paragraph_links(text, len(document)),
        "flag_reasons": [(k, _(v)) for k, v in service.FLAG_REASONS.items()],
        "max_body": service.MAX_BODY,
        "max_answer": service.MAX_TEXT_ANSWER,
        "errors": errors or {},
        "flag_error": any(key.startswith("flag-") for key in errors or {}),
        "values": values or {},
        "sign_in_url": "/compte/connexion?next=" + quote(f"{BASE}/{consultation.slug}", safe=""),
        **helpers(),
    }
    if flash:
        context["flash"] = flash
    return render(
        request, "participation/consultations/consultation.html", context, status_code=status_code
    )


@router.get(BASE + "/{slug}", response_class=HTMLResponse)
def show_consultation(
    slug: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    paging: Pagination,
    envoye: str = "",
    signale: str = "",
) -> HTMLResponse:
    """A consultation: the document, the questions, the form, the observations, the synthesis."""
    consultation = consultation_or_404(session, principal, slug)
    flash = ""
    if envoye:
        flash = _("Thank you: your observation has been received.")
    elif signale:
        flash = _("Thank you: moderators will look at this observation.")
    return consultation_page(request, session, principal, consultation, paging=paging, flash=flash)


@router.post(BASE + "/{slug}/observations", response_class=HTMLResponse)
def send_observation(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, form: Posted
) -> Response:
    """Send an observation (signed-in people only, while the consultation is open)."""
    consultation = consultation_or_404(session, principal, slug)
    if principal.user is None:
        target = quote(f"{BASE}/{consultation.slug}#observer", safe="")
        return RedirectResponse(f"/compte/connexion?next={target}", status_code=303)
    questions = QuestionRepository(session).of(consultation.id)
    answers: dict[str, Any] = {}
    for question in questions:
        name = service.field_name(question)
        if question.kind == QuestionKind.CHOICES:
            answers[str(question.id)] = form.lists.get(name, [])
        else:
            answers[str(question.id)] = form.get(name)
    body = form.get("body")
    try:
        service.submit_observation(
            session, consultation, principal.user, body=body, answers=answers
        )
    except ServicielleError as exc:
        errors = exc.by_field("form")
        if isinstance(exc, Conflict | RateLimited):
            errors = {"form": exc.detail}
        values: dict[str, Any] = {"body": body, **{f"q-{k}": v for k, v in answers.items()}}
        return consultation_page(
            request,
            session,
            principal,
            consultation,
            errors=errors,
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"{BASE}/{consultation.slug}?envoye=1#observer", status_code=303)


@router.post(BASE + "/{slug}/observations/{observation_id}/signaler", response_class=HTMLResponse)
def flag_observation(
    slug: str,
    observation_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form: Posted,
) -> Response:
    """Flag a public observation as abusive (once per person)."""
    consultation = consultation_or_404(session, principal, slug)
    number = parse_id(observation_id)
    observation = ObservationRepository(session).find(consultation.id, number) if number else None
    if observation is None or observation.hidden or not consultation.observations_public:
        raise NotFound(_("No such observation."))
    if principal.user is None:
        target = quote(f"{BASE}/{consultation.slug}", safe="")
        return RedirectResponse(f"/compte/connexion?next={target}", status_code=303)
    try:
        service.flag_observation(
            session,
            consultation,
            observation,
            principal.user,
            reason=form.get("reason"),
            details=form.get("details"),
        )
    except ServicielleError as exc:
        return consultation_page(
            request,
            session,
            principal,
            consultation,
            errors={f"flag-{observation.id}": exc.detail},
            status_code=exc.status,
        )
    return RedirectResponse(f"{BASE}/{consultation.slug}?signale=1", status_code=303)
