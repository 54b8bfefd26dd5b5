"""Back office of a consultation's observations: the list, moderation, synthesis, exports."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import is_id
from servicielle.core.pagination import Page, Pagination
from servicielle.core.session import DbSession
from servicielle.core.text import plain
from servicielle.participation.consultations import export, service
from servicielle.participation.consultations import observations as moderation
from servicielle.participation.consultations.backoffice_common import (
    BASE,
    Admin,
    admin_page,
    consultation_or_404,
    done,
)
from servicielle.participation.consultations.display import Posted
from servicielle.participation.consultations.models import Consultation
from servicielle.participation.consultations.repository import (
    ObservationFilters,
    ObservationRepository,
    QuestionRepository,
)

router = APIRouter()
VISIBILITY_FILTERS = ("visible", "hidden", "flagged")


def counts_table(session: Session, consultation: Consultation) -> list[dict[str, Any]]:
    """Per choice question: its text and (choice, count) in the question's order."""
    questions = QuestionRepository(session).of(consultation.id)
    counts = {
        (c.question_id, c.choice): c.count
        for c in QuestionRepository(session).choice_counts(consultation.id)
    }
    return [
        {
            "question": question,
            "rows": [(choice, counts.get((question.id, choice), 0)) for choice in question.choices],
        }
        for question in questions
        if question.choices and question.kind != "text"
    ]


@router.get("/{consultation_id:int}/observations", response_class=HTMLResponse)
def observations(
    consultation_id: int,
    request: Request,
    session: DbSession,
    principal: Admin,
    paging: Pagination,
    visibilite: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Every observation, hidden and non-public ones included, with filters and paging."""
    consultation = consultation_or_404(session, consultation_id)
    filters = ObservationFilters(
        visibility=visibilite if visibilite in VISIBILITY_FILTERS else "", text=plain(q)
    )
    repository = ObservationRepository(session)
    items, total = repository.staff_page(consultation.id, filters, paging)
    questions = QuestionRepository(session).of(consultation.id)
    query = urlencode(
        {k: v for k, v in (("visibilite", filters.visibility), ("q", filters.text)) if v}
    )
    return admin_page(
        request,
        "observations.html",
        {
            "consultation": consultation,
            "page": Page[Any](
                items=list(items), total=total, page=paging.page, page_size=paging.page_size
            ),
            "filters": filters,
            "query": query,
            "authors": repository.author_names(items),
            "answer_lines": lambda o: moderation.answer_lines(questions, o.answers),
            "counts": counts_table(session, consultation),
            "visibility_choices": [
                ("visible", _("Visible")),
                ("hidden", _("Hidden by moderation")),
                ("flagged", _("Flagged at least once")),
            ],
        },
    )


@router.post(
    "/{consultation_id:int}/observations/{observation_id:int}/moderation",
    response_class=HTMLResponse,
)
def moderate(
    consultation_id: int,
    observation_id: int,
    request: Request,
    session: DbSession,
    principal: Admin,
    posted: Posted,
) -> Response:
    """Hide an observation, or show it again; its open flags are dealt with."""
    consultation = consultation_or_404(session, consultation_id)
    found = (
        ObservationRepository(session).find(consultation.id, observation_id)
        if is_id(observation_id)
        else None
    )
    if found is None or principal.user is None:
        raise NotFound(_("No such observation."))
    hide = posted.get("action") == "hide"
    moderation.set_hidden(session, found, principal.user, hidden=hide)
    back = posted.get("back")[:500]
    query = back if back.startswith("?") and "#" not in back else ""
    return done(
        f"{BASE}/{consultation.id}/observations{query}#observation-{found.id}",
        "hidden" if hide else "shown",
    )


def _synthesis_page(
    request: Request,
    session: Session,
    consultation: Consultation,
    *,
    text: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        "synthesis.html",
        {
            "consultation": consultation,
            "state": service.state_of(consultation),
            "State": service.ConsultationState,
            "values": {"synthesis": consultation.synthesis if text is None else text},
            "errors": errors or {},
            "counts": counts_table(session, consultation),
            "observation_count": ObservationRepository(session).count_for(consultation.id),
        },
        status_code=status_code,
    )


@router.get("/{consultation_id:int}/synthese", response_class=HTMLResponse)
def synthesis(
    consultation_id: int, request: Request, session: DbSession, principal: Admin
) -> HTMLResponse:
    """The synthesis editor, with the counts of the answers."""
    return _synthesis_page(request, session, consultation_or_404(session, consultation_id))


@router.post("/{consultation_id:int}/synthese", response_class=HTMLResponse)
def save_synthesis(
    consultation_id: int, request: Request, session: DbSession, principal: Admin, posted: Posted
) -> Response:
    """Save the synthesis as a draft, publish it (after closing) or withdraw it."""
    consultation = consultation_or_404(session, consultation_id)
    action = posted.get("action")
    publish = {"publish": True, "withdraw": False}.get(action)
    text = posted.get("synthesis")
    try:
        service.save_synthesis(session, consultation, text, publish=publish)
    except ServicielleError as exc:
        return _synthesis_page(
            request,
            session,
            consultation,
            text=text,
            errors=exc.by_field("synthesis"),
            status_code=exc.status,
        )
    what = {"publish": "published", "withdraw": "withdrawn"}.get(action, "draft")
    return done(f"{BASE}/{consultation.id}/synthese", what)


def _with_names(noms: str) -> bool:
    return noms != "0"


@router.get("/{consultation_id:int}/export.csv")
def export_csv(
    consultation_id: int,
    session: DbSession,
    principal: Admin,
    noms: Annotated[str, Query(max_length=1)] = "1",
) -> Response:
    """Every observation as CSV for Excel (UTF-8 with BOM, ";"), names optionally left out."""
    consultation = consultation_or_404(session, consultation_id)
    text = export.observations_csv(session, consultation, names=_with_names(noms))
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="observations-{consultation.slug}.csv"'
        },
    )


@router.get("/{consultation_id:int}/export.json")
def export_json(
    consultation_id: int,
    session: DbSession,
    principal: Admin,
    noms: Annotated[str, Query(max_length=1)] = "1",
) -> Response:
    """The consultation, its questions and every observation as JSON."""
    consultation = consultation_or_404(session, consultation_id)
    data = export.observations_json(session, consultation, names=_with_names(noms))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="observations-{consultation.slug}.json"'
        },
    )
