"""Sending, flagging and moderating observations. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, RateLimited
from servicielle.core.i18n import N_, _
from servicielle.core.text import plain
from servicielle.participation.consultations.dates import local_datetime
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
    QuestionKind,
)
from servicielle.participation.consultations.repository import (
    ConsultationRepository,
    ObservationRepository,
    QuestionRepository,
)
from servicielle.participation.consultations.service import ConsultationState, state_of
from servicielle.participation.models import Flag, FlagTarget

MAX_BODY = 6000
MAX_TEXT_ANSWER = 3000
MAX_FLAG_DETAILS = 1000
OBSERVATIONS_PER_HOUR = 10
# Flags that hide an observation pending moderation when no process says otherwise.
DEFAULT_FLAGS_TO_HIDE = 3
FLAG_REASONS = {
    "spam": N_("Spam or advertising"),
    "offensive": N_("Insulting, hateful or personal data"),
    "off_topic": N_("Off topic"),
}

Answer = str | list[str]


def field_name(question: ConsultationQuestion) -> str:
    """The form field (and error key) of a question."""
    return f"q-{question.id}"


def require_open(consultation: Consultation, now: dt.datetime | None = None) -> None:
    """Refuse (409), naming the dates, what comes outside the consultation's period."""
    state = state_of(consultation, now)
    dates = {
        "opens": local_datetime(consultation.opens_at),
        "closes": local_datetime(consultation.closes_at),
    }
    if state == ConsultationState.UPCOMING:
        raise Conflict(
            _(
                "This consultation opens on %(opens)s: observations are accepted from then "
                "until %(closes)s."
            )
            % dates
        )
    if state == ConsultationState.CLOSED:
        raise Conflict(
            _(
                "This consultation closed on %(closes)s: observations are no longer accepted "
                "(they were from %(opens)s)."
            )
            % dates
        )


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value) if value is not None else ""


def _answer(question: ConsultationQuestion, raw: Any, errors: dict[str, str]) -> Answer | None:
    """The stored form of one answer, None when left empty; errors filled otherwise."""
    name = field_name(question)
    if question.kind == QuestionKind.CHOICES:
        values = raw if isinstance(raw, list | tuple) else ([raw] if raw else [])
        picked = {plain(str(v)) for v in values if plain(str(v))}
        unknown = [v for v in picked if v not in question.choices]
        if unknown:
            errors[name] = _("“%(value)s” is not one of the choices offered.") % {
                "value": unknown[0][:80]
            }
            return None
        if not picked and question.required:
            errors[name] = _("Choose at least one answer.")
        return [c for c in question.choices if c in picked] or None
    if question.kind == QuestionKind.CHOICE:
        if isinstance(raw, list | tuple) and len({str(v) for v in raw if v}) > 1:
            errors[name] = _("Choose only one answer.")
            return None
        value = plain(_first(raw))
        if value and value not in question.choices:
            errors[name] = _("“%(value)s” is not one of the choices offered.") % {
                "value": value[:80]
            }
            return None
        if not value and question.required:
            errors[name] = _("Choose an answer.")
        return value or None
    value = plain(_first(raw))
    if len(value) > MAX_TEXT_ANSWER:
        errors[name] = _("At most %(max)d characters (%(num)d typed).") % {
            "max": MAX_TEXT_ANSWER,
            "num": len(value),
        }
    elif not value and question.required:
        errors[name] = _("Answer this question.")
    return value or None


def check_rate(session: Session, author: User, now: dt.datetime | None = None) -> None:
    """Refuse (429) an eleventh observation within the hour."""
    since = (now or utcnow()) - dt.timedelta(hours=1)
    sent = ObservationRepository(session).count_by_author_since(author.id, since)
    if sent >= OBSERVATIONS_PER_HOUR:
        raise RateLimited(
            _(
                "You have sent %(num)d observations in the last hour: wait a little before "
                "sending another one."
            )
            % {"num": sent},
            retry_after=3600,
        )


def submit_observation(
    session: Session,
    consultation: Consultation,
    author: User,
    *,
    body: str = "",
    answers: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Observation:
    """Record an observation; ``answers`` maps question ids (as text) to a text or choices.

    Conflict (409) outside the consultation's dates, RateLimited (429) beyond ten an hour,
    InvalidInput (422) naming each field otherwise.
    """
    require_open(consultation, now)
    check_rate(session, author, now)
    questions = QuestionRepository(session).of(consultation.id)
    errors: dict[str, str] = {}
    text = plain(body)
    if len(text) > MAX_BODY:
        errors["body"] = _("At most %(max)d characters (%(num)d typed).") % {
            "max": MAX_BODY,
            "num": len(text),
        }
    given = answers or {}
    stored: dict[str, Answer] = {}
    for question in questions:
        answer = _answer(question, given.get(str(question.id)), errors)
        if answer is not None:
            stored[str(question.id)] = answer
    if not errors and not text and not stored:
        errors["body"] = (
            _("Write your observation or answer at least one question.")
            if questions
            else _("Write your observation.")
        )
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    observation = Observation(
        consultation_id=consultation.id,
        author_id=author.id,
        body=text,
        answers=stored,
        created_at=now or utcnow(),
    )
    session.add(observation)
    session.flush()
    return observation


def flag_observation(
    session: Session,
    consultation: Consultation,
    observation: Observation,
    user: User,
    *,
    reason: str,
    details: str = "",
) -> bool:
    """Flag an observation as abusive, once per person; True when it is now hidden."""
    if reason not in FLAG_REASONS:
        raise InvalidInput.on_field("reason", _("Choose what is wrong with this observation."))
    text = plain(details)
    if len(text) > MAX_FLAG_DETAILS:
        raise InvalidInput.on_field(
            "details", _("At most %(max)d characters.") % {"max": MAX_FLAG_DETAILS}
        )
    repository = ObservationRepository(session)
    if repository.flagged_by(user.id, [observation.id]):
        raise Conflict(_("You have already flagged this observation: moderators will see it."))
    session.add(
        Flag(
            target=FlagTarget.OBSERVATION.value,
            target_id=observation.id,
            user_id=user.id,
            reason=reason,
            details=text,
        )
    )
    observation.flags_count += 1
    threshold = ConsultationRepository(session).flags_to_hide(consultation, DEFAULT_FLAGS_TO_HIDE)
    if observation.flags_count >= threshold:
        observation.hidden = True
    session.flush()
    return observation.hidden


def set_hidden(
    session: Session, observation: Observation, moderator: User, *, hidden: bool
) -> None:
    """Hide an observation, or show it again; either way its open flags are dealt with."""
    now = utcnow()
    for flag in ObservationRepository(session).open_flags(observation.id):
        flag.resolved_at, flag.resolved_by_id = now, moderator.id
    observation.hidden = hidden
    if not hidden:
        # Restored by a moderator: only new flags may hide it again.
        observation.flags_count = 0
    session.flush()


def answer_lines(
    questions: Sequence[ConsultationQuestion], answers: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(question, answer) pairs of an observation, in the questions' order."""
    lines = []
    for question in questions:
        value = answers.get(str(question.id))
        if value in (None, "", []):
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        lines.append((question.text, text))
    return lines
