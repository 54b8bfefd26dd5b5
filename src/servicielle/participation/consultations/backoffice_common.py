"""What the consultations back office pages share: permission, lookups, rendering."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import Authorize
from servicielle.core.errors import NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.ids import is_id
from servicielle.core.permissions import Principal
from servicielle.core.templating import render
from servicielle.participation.consultations.display import helpers
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    QuestionKind,
)
from servicielle.participation.consultations.repository import (
    ConsultationRepository,
    QuestionRepository,
)

Admin = Annotated[Principal, Authorize("participation.admin")]
BASE = "/admin/participation/consultations"
DONE = {
    "created": N_("Consultation created. Add its questions below."),
    "saved": N_("Saved."),
    "question": N_("Question saved."),
    "deleted": N_("Question deleted."),
    "moved": N_("Order changed."),
    "hidden": N_("The observation is hidden."),
    "shown": N_("The observation is visible again."),
    "draft": N_("Synthesis saved (not published)."),
    "published": N_("Synthesis published."),
    "withdrawn": N_("Synthesis withdrawn from the public page."),
}
KIND_LABELS = {
    QuestionKind.TEXT: N_("Free text"),
    QuestionKind.CHOICE: N_("One choice"),
    QuestionKind.CHOICES: N_("Several choices"),
}


def consultation_or_404(session: Session, consultation_id: int) -> Consultation:
    """A consultation by id, published or not; NotFound otherwise."""
    found = ConsultationRepository(session).get(consultation_id) if is_id(consultation_id) else None
    if found is None:
        raise NotFound(_("No such consultation."))
    return found


def question_or_404(
    session: Session, consultation: Consultation, question_id: int
) -> ConsultationQuestion:
    """A question of this consultation; NotFound otherwise."""
    found = (
        QuestionRepository(session).find(consultation.id, question_id)
        if is_id(question_id)
        else None
    )
    if found is None:
        raise NotFound(_("No such question."))
    return found


def admin_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A back-office page of consultations, with the confirmation a redirect asked for."""
    page: dict[str, Any] = {
        "errors": {},
        "values": {},
        "base": BASE,
        "kind_labels": {k.value: _(v) for k, v in KIND_LABELS.items()},
        **helpers(),
        **context,
    }
    done = DONE.get(request.query_params.get("done", ""))
    if done is not None:
        page["flash"] = _(done)
    return render(
        request, f"participation/consultations/admin/{template}", page, status_code=status_code
    )


def done(url: str, what: str) -> RedirectResponse:
    """Back to ``url`` after a change, saying what was done."""
    path, _sep, fragment = url.partition("#")
    separator = "&" if "?" in path else "?"
    anchor = f"#{fragment}" if fragment else ""
    return RedirectResponse(f"{path}{separator}done={what}{anchor}", status_code=303)
