"""Reshuffling the ballot box: what the database keeps of the order ballots were cast in.

A ballot and its voter's register line are written in one transaction. PostgreSQL stamps both
rows with that transaction's id (``xmin``) and stores ballots in the order they came
(``ctid``): someone reading the raw tables could pair them. Rewriting a budget's ballots under
new random ids, in a random order, in one transaction gives every ballot the same stamp and a
meaningless place; the receipt digests move with them, so voters still find their own. The
worker does it regularly while a vote runs and once after it closes. (SQLite keeps neither: its
ballot tables are WITHOUT ROWID, ordered by the random id.)
"""

from __future__ import annotations

import datetime as dt
import random
import secrets

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.participation.budgets.models import Ballot, BallotChoice, Budget
from servicielle.participation.models import Feature, Phase

# Budgets whose vote ended less than this long ago are still reshuffled (late paper entries).
AFTER_CLOSE = dt.timedelta(days=2)


def reshuffle(session: Session, budget_id: int) -> int:
    """Rewrite a budget's ballots under new ids in a random order; how many were moved."""
    ballots = session.execute(
        select(Ballot.id, Ballot.receipt_digest, Ballot.channel, Ballot.station).where(
            Ballot.budget_id == budget_id
        )
    ).all()
    if not ballots:
        return 0
    old_ids = [row.id for row in ballots]
    choices: dict[str, list[tuple[int, int]]] = {ballot_id: [] for ballot_id in old_ids}
    for chunk in _chunks(old_ids):
        for choice in session.execute(
            select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.points).where(
                BallotChoice.ballot_id.in_(chunk)
            )
        ):
            choices[choice.ballot_id].append((choice.project_id, choice.points))
    for chunk in _chunks(old_ids):
        session.execute(delete(BallotChoice).where(BallotChoice.ballot_id.in_(chunk)))
        session.execute(delete(Ballot).where(Ballot.id.in_(chunk)))
    # The old rows must be gone before their digests come back: receipt_digest is unique.
    session.flush()
    order = list(ballots)
    random.SystemRandom().shuffle(order)
    new_ballots, new_choices = [], []
    for row in order:
        ballot_id = secrets.token_hex(16)
        new_ballots.append(
            {
                "id": ballot_id,
                "budget_id": budget_id,
                "receipt_digest": row.receipt_digest,
                "channel": row.channel,
                "station": row.station,
            }
        )
        new_choices += [
            {"ballot_id": ballot_id, "project_id": project, "points": points}
            for project, points in choices[row.id]
        ]
    session.execute(insert(Ballot), new_ballots)
    if new_choices:
        session.execute(insert(BallotChoice), new_choices)
    return len(new_ballots)


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def budgets_to_reshuffle(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Budgets whose vote runs, or ended less than two days ago, results not yet published."""
    moment = now or utcnow()
    phases = session.scalars(
        select(Phase).where(Phase.starts_at <= moment, Phase.ends_at > moment - AFTER_CLOSE)
    )
    voting = {phase.process_id for phase in phases if Feature.VOTE in phase.features}
    if not voting:
        return []
    return list(
        session.scalars(
            select(Budget.id).where(
                Budget.process_id.in_(voting), Budget.results_published_at.is_(None)
            )
        )
    )


def run(factory: sessionmaker[Session], settings: Settings) -> int:
    """The worker's task: reshuffle each budget in its own transaction."""
    with factory() as session:
        budget_ids = budgets_to_reshuffle(session)
    moved = 0
    for budget_id in budget_ids:
        with factory() as session:
            moved += reshuffle(session, budget_id)
            session.commit()
    return moved
