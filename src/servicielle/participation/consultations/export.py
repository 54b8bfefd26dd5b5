"""Exports of a consultation's observations for the authority: CSV for Excel, and JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from servicielle.core.i18n import _
from servicielle.participation.consultations.dates import PARIS, iso
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
)
from servicielle.participation.consultations.repository import (
    ObservationRepository,
    QuestionRepository,
)

# Excel reads a UTF-8 file as such only with a byte order mark, and French Excel expects ";".
BOM = "\ufeff"
SEPARATOR = ";"
MULTIPLE = " | "
# A cell starting with one of these is a formula to a spreadsheet: observations come from the
# public, so such cells are prefixed with an apostrophe (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _answer(value: Any) -> str:
    if isinstance(value, list):
        return MULTIPLE.join(str(v) for v in value)
    return "" if value is None else str(value)


def _data(
    session: Session, consultation: Consultation
) -> tuple[list[ConsultationQuestion], list[Observation], dict[int, str]]:
    questions = QuestionRepository(session).of(consultation.id)
    repository = ObservationRepository(session)
    observations = list(repository.every(consultation.id))
    return questions, observations, repository.author_names(observations)


def observations_csv(session: Session, consultation: Consultation, *, names: bool = True) -> str:
    """One row per observation: number, date, author (unless left out), text, each answer."""
    questions, observations, authors = _data(session, consultation)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    header = [_("Observation no."), _("Date (Paris time)")]
    if names:
        header.append(_("Author"))
    header += [_("Observation")] + [q.text for q in questions] + [_("Hidden by moderation")]
    writer.writerow([_cell(h) for h in header])
    for observation in observations:
        row = [
            str(observation.id),
            observation.created_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M"),
        ]
        if names:
            row.append(authors.get(observation.author_id or 0, ""))
        row.append(observation.body)
        row += [_answer(observation.answers.get(str(q.id))) for q in questions]
        row.append(_("yes") if observation.hidden else _("no"))
        writer.writerow([_cell(value) for value in row])
    return BOM + buffer.getvalue()


def observations_json(
    session: Session, consultation: Consultation, *, names: bool = True
) -> dict[str, Any]:
    """The consultation, its questions and every observation, as a JSON document."""
    questions, observations, authors = _data(session, consultation)
    rows = []
    for observation in observations:
        row: dict[str, Any] = {"id": observation.id, "created_at": iso(observation.created_at)}
        if names:
            row["author"] = authors.get(observation.author_id or 0)
        row["body"] = observation.body
        row["answers"] = {
            str(q.id): observation.answers[str(q.id)]
            for q in questions
            if str(q.id) in observation.answers
        }
        row["hidden"] = observation.hidden
        rows.append(row)
    return {
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "opens_at": iso(consultation.opens_at),
            "closes_at": iso(consultation.closes_at),
            "observations_public": consultation.observations_public,
        },
        "questions": [
            {
                "id": q.id,
                "position": q.position,
                "text": q.text,
                "kind": q.kind,
                "choices": list(q.choices),
                "required": q.required,
            }
            for q in questions
        ],
        "observations": rows,
    }
