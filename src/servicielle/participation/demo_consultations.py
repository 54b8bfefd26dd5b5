"""The demo's consultations (one open, one closed with its synthesis) and digest activity."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from servicielle.participation import demo_texts as texts
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
)
from servicielle.participation.demo_proposals import People, Planned
from servicielle.participation.models import Activity

DAY = dt.timedelta(days=1)


def consultations(
    session: Session, rng: random.Random, people: People, process_id: int, now: dt.datetime
) -> int:
    """One consultation open now with three questions, one closed with its synthesis."""
    spec = texts.CONSULTATION_OPEN
    open_ = Consultation(
        slug=spec["slug"], title=spec["title"], summary=spec["summary"],
        document=spec["document"], opens_at=now - 12 * DAY, closes_at=now + 18 * DAY,
        observations_public=True, published=True, process_id=None,
    )  # fmt: skip
    closed_spec = texts.CONSULTATION_CLOSED
    closed = Consultation(
        slug=closed_spec["slug"], title=closed_spec["title"], summary=closed_spec["summary"],
        document=closed_spec["document"], opens_at=now - 150 * DAY, closes_at=now - 110 * DAY,
        observations_public=False, published=True, synthesis=closed_spec["synthesis"],
        synthesis_published_at=now - 80 * DAY, process_id=process_id,
    )  # fmt: skip
    session.add_all([open_, closed])
    session.flush()
    questions = [
        ConsultationQuestion(
            consultation_id=open_.id,
            position=n,
            text=text,
            kind=kind,
            choices=choices,
            required=required,
        )  # fmt: skip
        for n, (text, kind, choices, required) in enumerate(spec["questions"])
    ]
    session.add_all(questions)
    session.flush()
    rows = []
    authors = rng.sample(people.inhabitants, 32)
    for n in range(20):
        choice, choices, remark = questions
        answers: dict[str, Any] = {str(choice.id): rng.choice(choice.choices)}
        answers[str(choices.id)] = sorted(rng.sample(choices.choices, rng.randint(1, 3)))
        body = texts.OBSERVATIONS[n % len(texts.OBSERVATIONS)]
        if n % 4 == 0 and body:
            answers[str(remark.id)] = body
        rows.append(
            {"consultation_id": open_.id, "author_id": authors[n], "body": body,
             "answers": answers, "created_at": now - 11 * DAY + n * 13 * dt.timedelta(hours=1)}
        )  # fmt: skip
    for n in range(12):
        rows.append(
            {"consultation_id": closed.id, "author_id": authors[20 + n],
             "body": texts.CLOSED_OBSERVATIONS[n % len(texts.CLOSED_OBSERVATIONS)],
             "answers": {}, "created_at": now - (148 - 3 * n) * DAY}
        )  # fmt: skip
    session.execute(insert(Observation), rows)
    return len(rows)


def activities(session: Session, process_id: int, plans: list[Planned]) -> None:
    """The answers of the evaluation, for followers' digests."""
    rows = [
        {
            "created_at": p.row["answered_at"],
            "kind": "answer",
            "process_id": process_id,
            "proposal_id": p.id,
            "actor_id": p.row["answered_by_id"],
            "summary": f"Réponse officielle à « {p.row['title']} »"[:300],
        }
        for p in plans
        if p.row["answered_at"] is not None
    ]
    if rows:
        session.execute(insert(Activity), rows)
