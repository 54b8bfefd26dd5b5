"""Back office of consultations: the list, a consultation's settings and its questions.

Observations, the synthesis and the exports are in ``backoffice_observations``, included
here: the manifest mounts this ``router`` only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import ServicielleError
from servicielle.core.session import DbSession
from servicielle.participation.consultations import backoffice_observations, service
from servicielle.participation.consultations.backoffice_common import (
    BASE,
    Admin,
    admin_page,
    consultation_or_404,
    done,
    question_or_404,
)
from servicielle.participation.consultations.dates import input_value
from servicielle.participation.consultations.display import Posted, PostedForm
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    QuestionKind,
)
from servicielle.participation.consultations.repository import (
    ConsultationRepository,
    ObservationRepository,
    QuestionRepository,
)

router = APIRouter(prefix="/participation/consultations")
CONSULTATION_FIELDS = (
    "slug",
    "title",
    "summary",
    "document",
    "opens_at",
    "closes_at",
    "process_id",
)


@router.get("", response_class=HTMLResponse)
def consultations(request: Request, session: DbSession, principal: Admin) -> HTMLResponse:
    """Every consultation, with its state and number of observations."""
    repository = ConsultationRepository(session)
    return admin_page(
        request,
        "list.html",
        {"consultations": repository.every(), "counts": repository.observation_counts()},
    )


def _values(consultation: Consultation) -> dict[str, Any]:
    return {
        "slug": consultation.slug,
        "title": consultation.title,
        "summary": consultation.summary,
        "document": consultation.document,
        "opens_at": input_value(consultation.opens_at),
        "closes_at": input_value(consultation.closes_at),
        "process_id": str(consultation.process_id or ""),
        "observations_public": consultation.observations_public,
        "published": consultation.published,
    }


def _edit_page(
    request: Request,
    session: Session,
    consultation: Consultation | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = _values(consultation) if consultation else {"observations_public": True}
    has_observations = bool(consultation) and ObservationRepository(session).exists_for(
        consultation.id if consultation else 0
    )
    return admin_page(
        request,
        "edit.html",
        {
            "consultation": consultation,
            "questions": QuestionRepository(session).of(consultation.id) if consultation else [],
            "has_observations": has_observations,
            "short": consultation is not None and service.shorter_than_legal(consultation),
            "processes": ConsultationRepository(session).processes(),
            "values": values,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _form(posted: PostedForm) -> service.ConsultationForm:
    return service.ConsultationForm(
        **{name: posted.get(name) for name in CONSULTATION_FIELDS},
        observations_public=posted.checked("observations_public"),
        published=posted.checked("published"),
    )


def _save(
    request: Request, session: Session, consultation: Consultation | None, posted: PostedForm
) -> Response:
    form = _form(posted)
    try:
        saved = service.save_consultation(session, consultation, form)
    except ServicielleError as exc:
        values: dict[str, Any] = {name: posted.get(name) for name in CONSULTATION_FIELDS}
        values["observations_public"] = form.observations_public
        values["published"] = form.published
        return _edit_page(
            request,
            session,
            consultation,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return done(f"{BASE}/{saved.id}", "saved" if consultation else "created")


@router.get("/nouvelle", response_class=HTMLResponse)
def new_consultation(request: Request, session: DbSession, principal: Admin) -> HTMLResponse:
    """The form of a new consultation."""
    return _edit_page(request, session, None)


@router.post("/nouvelle", response_class=HTMLResponse)
def create_consultation(
    request: Request, session: DbSession, principal: Admin, posted: Posted
) -> Response:
    """Create a consultation."""
    return _save(request, session, None, posted)


@router.get("/{consultation_id:int}", response_class=HTMLResponse)
def edit_consultation(
    consultation_id: int, request: Request, session: DbSession, principal: Admin
) -> HTMLResponse:
    """A consultation's settings and questions."""
    return _edit_page(request, session, consultation_or_404(session, consultation_id))


@router.post("/{consultation_id:int}", response_class=HTMLResponse)
def update_consultation(
    consultation_id: int, request: Request, session: DbSession, principal: Admin, posted: Posted
) -> Response:
    """Change a consultation's settings."""
    return _save(request, session, consultation_or_404(session, consultation_id), posted)


# ---------- Questions ----------


def _question_page(
    request: Request,
    session: Session,
    consultation: Consultation,
    question: ConsultationQuestion | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = (
            {
                "text": question.text,
                "kind": question.kind,
                "choices": "\n".join(question.choices),
                "required": question.required,
            }
            if question
            else {"kind": QuestionKind.TEXT.value}
        )
    return admin_page(
        request,
        "question.html",
        {
            "consultation": consultation,
            "question": question,
            "has_observations": ObservationRepository(session).exists_for(consultation.id),
            "values": values,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _save_question(
    request: Request,
    session: Session,
    consultation: Consultation,
    question: ConsultationQuestion | None,
    posted: PostedForm,
) -> Response:
    draft = service.question_draft(
        posted.get("text"), posted.get("kind"), posted.get("choices"), posted.checked("required")
    )
    try:
        if question is None:
            service.add_question(session, consultation, draft)
        else:
            service.update_question(session, consultation, question, draft)
    except ServicielleError as exc:
        values = {
            "text": posted.get("text"),
            "kind": posted.get("kind"),
            "choices": posted.get("choices"),
            "required": posted.checked("required"),
        }
        return _question_page(
            request,
            session,
            consultation,
            question,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return done(f"{BASE}/{consultation.id}#questions", "question")


@router.get("/{consultation_id:int}/questions/nouvelle", response_class=HTMLResponse)
def new_question(
    consultation_id: int, request: Request, session: DbSession, principal: Admin
) -> HTMLResponse:
    """The form of a new question."""
    return _question_page(request, session, consultation_or_404(session, consultation_id), None)


@router.post("/{consultation_id:int}/questions/nouvelle", response_class=HTMLResponse)
def add_question(
    consultation_id: int, request: Request, session: DbSession, principal: Admin, posted: Posted
) -> Response:
    """Add a question at the end."""
    consultation = consultation_or_404(session, consultation_id)
    return _save_question(request, session, consultation, None, posted)


@router.get("/{consultation_id:int}/questions/{question_id:int}", response_class=HTMLResponse)
def edit_question(
    consultation_id: int,
    question_id: int,
    request: Request,
    session: DbSession,
    principal: Admin,
) -> HTMLResponse:
    """A question's form."""
    consultation = consultation_or_404(session, consultation_id)
    question = question_or_404(session, consultation, question_id)
    return _question_page(request, session, consultation, question)


@router.post("/{consultation_id:int}/questions/{question_id:int}", response_class=HTMLResponse)
def update_question(
    consultation_id: int,
    question_id: int,
    request: Request,
    session: DbSession,
    principal: Admin,
    posted: Posted,
) -> Response:
    """Change a question (its kind and choices stay once observations exist)."""
    consultation = consultation_or_404(session, consultation_id)
    question = question_or_404(session, consultation, question_id)
    return _save_question(request, session, consultation, question, posted)


@router.post(
    "/{consultation_id:int}/questions/{question_id:int}/deplacer", response_class=HTMLResponse
)
def move_question(
    consultation_id: int,
    question_id: int,
    request: Request,
    session: DbSession,
    principal: Admin,
    posted: Posted,
) -> Response:
    """Move a question up or down."""
    consultation = consultation_or_404(session, consultation_id)
    question = question_or_404(session, consultation, question_id)
    service.move_question(
        session, consultation, question, -1 if posted.get("direction") == "up" else 1
    )
    return done(f"{BASE}/{consultation.id}#questions", "moved")


@router.post(
    "/{consultation_id:int}/questions/{question_id:int}/suppression", response_class=HTMLResponse
)
def delete_question(
    consultation_id: int,
    question_id: int,
    request: Request,
    session: DbSession,
    principal: Admin,
    posted: Posted,
) -> Response:
    """Delete a question, unless observations were sent."""
    consultation = consultation_or_404(session, consultation_id)
    question = question_or_404(session, consultation, question_id)
    try:
        service.delete_question(session, consultation, question)
    except ServicielleError as exc:
        return _question_page(
            request,
            session,
            consultation,
            question,
            errors={"delete": exc.detail},
            status_code=exc.status,
        )
    return done(f"{BASE}/{consultation.id}#questions", "deleted")


router.include_router(backoffice_observations.router)
