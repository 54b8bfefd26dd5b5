"""Consultations, their questions and their synthesis. Services flush, never commit.

Observations (sending, flagging, moderating) are in ``observations``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.text import plain
from servicielle.participation.consultations.dates import input_value, local_datetime, parse_local
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
from servicielle.participation.processes.forms import skipped_by_clocks

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 120
MAX_TITLE = 200
MAX_SUMMARY = 500
MAX_DOCUMENT = 200_000
MAX_SYNTHESIS = 200_000
MAX_QUESTION = 500
MAX_CHOICE = 200
MAX_CHOICES = 30
# The electronic public participation of the Code de l'environnement (art. L123-19) lasts
# at least 30 days: the back office warns below that, without refusing (not every
# consultation is bound by it).
LEGAL_MINIMUM_DAYS = 30


class ConsultationState(StrEnum):
    """Where a consultation stands in time."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


def state_of(consultation: Consultation, now: dt.datetime | None = None) -> ConsultationState:
    """Whether the consultation has not opened yet, is open, or has closed."""
    moment = now or utcnow()
    if moment < consultation.opens_at:
        return ConsultationState.UPCOMING
    if moment < consultation.closes_at:
        return ConsultationState.OPEN
    return ConsultationState.CLOSED


def synthesis_published(consultation: Consultation) -> bool:
    """Whether the authority's synthesis is public."""
    return consultation.synthesis_published_at is not None and bool(consultation.synthesis)


@dataclass(frozen=True)
class QuestionDraft:
    """A question as the authority writes it."""

    text: str
    kind: str = QuestionKind.TEXT.value
    choices: Sequence[str] = ()
    required: bool = False


@dataclass
class ConsultationForm:
    """The consultation form as typed: dates are Paris wall-clock times (datetime-local)."""

    slug: str = ""
    title: str = ""
    summary: str = ""
    document: str = ""
    opens_at: str = ""
    closes_at: str = ""
    observations_public: bool = True
    published: bool = False
    process_id: str = ""


def _check_text(
    errors: dict[str, str], name: str, value: str, limit: int, *, required: bool
) -> str:
    value = plain(value)
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("At most %(max)d characters (%(num)d typed).") % {
            "max": limit,
            "num": len(value),
        }
    return value


def save_consultation(
    session: Session, consultation: Consultation | None, form: ConsultationForm
) -> Consultation:
    """Create (``consultation`` None) or update a consultation from its form."""
    errors: dict[str, str] = {}
    repository = ConsultationRepository(session)
    slug = _check_text(errors, "slug", form.slug.lower(), MAX_SLUG, required=True)
    if "slug" not in errors and not SLUG.match(slug):
        errors["slug"] = _("Lower-case letters without accents, digits and dashes only.")
    elif "slug" not in errors and repository.slug_taken(
        slug, consultation.id if consultation else None
    ):
        errors["slug"] = _("Another consultation already has this address.")
    title = _check_text(errors, "title", form.title, MAX_TITLE, required=True)
    summary = _check_text(errors, "summary", form.summary, MAX_SUMMARY, required=False)
    document = _check_text(errors, "document", form.document, MAX_DOCUMENT, required=False)
    opens_at, closes_at = parse_local(form.opens_at), parse_local(form.closes_at)
    for name, typed, value in (
        ("opens_at", form.opens_at, opens_at),
        ("closes_at", form.closes_at, closes_at),
    ):
        if value is None:
            errors[name] = _("Give a date and a time, e.g. 2026-03-01 09:00.")
        elif skipped_by_clocks(typed):
            errors[name] = _(
                "This time does not exist in Paris: clocks go forward by one hour that night. "
                "Choose another time."
            )
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("The consultation must close after it opens.")
    process_id = None
    if form.process_id.strip():
        process_id = parse_id(form.process_id)
        known = {pid for pid, _title in repository.processes()}
        if process_id not in known:
            errors["process_id"] = _("Choose a process from the list.")
    if (
        consultation is not None
        and form.observations_public
        and not consultation.observations_public
        and ObservationRepository(session).exists_for(consultation.id)
    ):
        errors["observations_public"] = _(
            "Observations were sent on the understanding that only the authority would read "
            "them: they cannot be made public now."
        )
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    assert opens_at is not None
    assert closes_at is not None
    if consultation is None:
        consultation = Consultation(slug=slug, title=title, opens_at=opens_at, closes_at=closes_at)
        session.add(consultation)
    consultation.slug, consultation.title, consultation.summary = slug, title, summary
    consultation.document = document
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    consultation.observations_public = form.observations_public
    consultation.published = form.published
    consultation.process_id = process_id
    session.flush()
    return consultation


def create_consultation(
    session: Session,
    *,
    slug: str,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    summary: str = "",
    document: str = "",
    observations_public: bool = True,
    published: bool = True,
    process_id: int | None = None,
    questions: Sequence[QuestionDraft] = (),
) -> Consultation:
    """Create a consultation with its questions (for the demo and scripts); InvalidInput."""
    form = ConsultationForm(
        slug=slug,
        title=title,
        summary=summary,
        document=document,
        opens_at=input_value(opens_at),
        closes_at=input_value(closes_at),
        observations_public=observations_public,
        published=published,
        process_id=str(process_id or ""),
    )
    consultation = save_consultation(session, None, form)
    # Exact instants, not the minute the form keeps.
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    for draft in questions:
        add_question(session, consultation, draft)
    session.flush()
    return consultation


def shorter_than_legal(consultation: Consultation) -> bool:
    """Whether the period is under the 30 days of the electronic public participation."""
    return consultation.closes_at - consultation.opens_at < dt.timedelta(days=LEGAL_MINIMUM_DAYS)


# ---------- Questions ----------


def question_draft(text: str, kind: str, choices_text: str, required: bool) -> QuestionDraft:
    """A question from its form: choices one per line."""
    choices = [plain(line) for line in choices_text.splitlines()[: MAX_CHOICES * 4]]
    return QuestionDraft(text, kind, [c for c in choices if c], required)


def _checked(draft: QuestionDraft) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    text = _check_text(errors, "text", draft.text, MAX_QUESTION, required=True)
    if draft.kind not in {k.value for k in QuestionKind}:
        errors["kind"] = _("Choose how the question is answered.")
    choices: list[str] = []
    if draft.kind in (QuestionKind.CHOICE, QuestionKind.CHOICES):
        for choice in draft.choices:
            value = plain(choice)
            if len(value) > MAX_CHOICE:
                errors["choices"] = _("A choice has at most %(max)d characters.") % {
                    "max": MAX_CHOICE
                }
            elif value and value not in choices:
                choices.append(value)
        if len(choices) < 2:
            errors.setdefault("choices", _("Give at least two choices, one per line."))
        elif len(choices) > MAX_CHOICES:
            errors["choices"] = _("At most %(max)d choices.") % {"max": MAX_CHOICES}
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    return text, choices


def add_question(
    session: Session, consultation: Consultation, draft: QuestionDraft
) -> ConsultationQuestion:
    """Add a question at the end of the consultation's."""
    text, choices = _checked(draft)
    existing = QuestionRepository(session).of(consultation.id)
    question = ConsultationQuestion(
        consultation_id=consultation.id,
        position=max((q.position for q in existing), default=0) + 1,
        text=text,
        kind=draft.kind,
        choices=choices,
        required=draft.required,
    )
    session.add(question)
    session.flush()
    return question


def update_question(
    session: Session,
    consultation: Consultation,
    question: ConsultationQuestion,
    draft: QuestionDraft,
) -> ConsultationQuestion:
    """Change a question; once observations exist, its kind and its choices stay."""
    text, choices = _checked(draft)
    if ObservationRepository(session).exists_for(consultation.id):
        if draft.kind != question.kind:
            raise InvalidInput.on_field(
                "kind",
                _(
                    "Observations were already sent: the kind of answer can no longer change, "
                    "or their answers would no longer fit."
                ),
            )
        if any(choice not in choices for choice in question.choices):
            raise InvalidInput.on_field(
                "choices",
                _(
                    "Observations were already sent: the existing choices can no longer be "
                    "removed or reworded (their answers refer to them). You may add new ones."
                ),
            )
    question.text, question.kind, question.choices = text, draft.kind, choices
    question.required = draft.required
    session.flush()
    return question


def move_question(
    session: Session, consultation: Consultation, question: ConsultationQuestion, offset: int
) -> None:
    """Move a question up (-1) or down (+1) in the consultation's order."""
    questions = QuestionRepository(session).of(consultation.id)
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    target = min(max(index + offset, 0), len(questions) - 1)
    questions.insert(target, questions.pop(index))
    for position, each in enumerate(questions, start=1):
        each.position = position
    session.flush()


def delete_question(
    session: Session, consultation: Consultation, question: ConsultationQuestion
) -> None:
    """Delete a question, unless observations were sent (they hold its answers)."""
    if ObservationRepository(session).exists_for(consultation.id):
        raise Conflict(
            _(
                "Observations were already sent: the question cannot be deleted, since their "
                "answers refer to it."
            )
        )
    session.delete(question)
    session.flush()


# ---------- Synthesis ----------


def save_synthesis(
    session: Session,
    consultation: Consultation,
    text: str,
    *,
    publish: bool | None = None,
    now: dt.datetime | None = None,
) -> Consultation:
    """Save the synthesis; ``publish`` True publishes it (after closing), False withdraws it."""
    errors: dict[str, str] = {}
    synthesis = _check_text(errors, "synthesis", text, MAX_SYNTHESIS, required=bool(publish))
    if errors:
        raise InvalidInput.on_fields(errors["synthesis"], errors)
    if publish and state_of(consultation, now) != ConsultationState.CLOSED:
        raise Conflict(
            _(
                "The synthesis can be published only once the consultation has closed, on "
                "%(date)s. You may save it as a draft until then."
            )
            % {"date": local_datetime(consultation.closes_at)}
        )
    consultation.synthesis = synthesis
    if publish:
        consultation.synthesis_published_at = now or utcnow()
    elif publish is False or not synthesis:
        consultation.synthesis_published_at = None
    session.flush()
    return consultation
