"""Reshuffling the ballot box keeps every ballot and receipt, under new ids, in a new order."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.participation.budgets.ballots import BallotService, Residence
from servicielle.participation.budgets.models import Ballot, BallotChoice, Project
from servicielle.participation.budgets.secrecy import budgets_to_reshuffle, reshuffle
from servicielle.participation.models import PhaseKind
from tests.conftest import make_user
from tests.participation.factories import DAY, make_budget, make_process


def box(db: Session) -> Counter[tuple[str, frozenset[tuple[int, int]]]]:
    """The ballots' contents, whatever their ids."""
    contents: dict[str, set[tuple[int, int]]] = {}
    for choice in db.scalars(select(BallotChoice)):
        contents.setdefault(choice.ballot_id, set()).add((choice.project_id, choice.points))
    return Counter(
        (ballot.channel, frozenset(contents.get(ballot.id, ())))
        for ballot in db.scalars(select(Ballot))
    )


def test_reshuffle_keeps_ballots_and_receipts(db: Session, settings: Settings) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process)
    projects = db.scalars(select(Project.id).where(Project.envelope_id == wide.id)).all()
    ballots = BallotService(db, settings, budget)
    receipts = {}
    for index in range(6):
        voter = make_user(db, f"v{index}@example.org")
        choice = {projects[index % 4]: 1, projects[(index + 1) % 4]: 1}
        cast = ballots.cast(
            voter, choice, residence=Residence("17299", None), birth_date=dt.date(1990, 1, 1)
        )
        receipts[voter.id] = (voter, cast.receipt, set(choice))
    ballots.enter_paper("Mairie", None, {projects[0]: 1})
    before = box(db)
    old_ids = set(db.scalars(select(Ballot.id)))
    assert reshuffle(db, budget.id) == 7
    db.expire_all()
    assert box(db) == before
    assert not old_ids & set(db.scalars(select(Ballot.id)))
    for voter, receipt, chosen in receipts.values():
        found = ballots.find(voter, receipt)
        assert found is not None
        assert {project.id for project in found[1]} == chosen


def test_only_budgets_in_or_just_after_their_vote_are_reshuffled(db: Session) -> None:
    voting = make_process(db, slug="vote", phase=PhaseKind.VOTE)
    proposing = make_process(db, slug="propositions", phase=PhaseKind.PROPOSALS)
    open_budget, _w, _z = make_budget(db, voting, zone_amount=None)
    make_budget(db, proposing, zone_amount=None)
    assert budgets_to_reshuffle(db) == [open_budget.id]


def test_the_worker_expires_old_supports(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    from servicielle.participation.models import Proposal, Support
    from servicielle.participation.proposals.tasks import expire_all_supports

    process = make_process(db, phase=PhaseKind.SUPPORTS, support_expiry_days=30)
    author = make_user(db, "autrice@example.org")
    proposal = Proposal(
        process_id=process.id, title="Ombrières", body="Des ombrières", supports_count=2
    )
    db.add(proposal)
    db.flush()
    old, recent = make_user(db, "ancien@example.org"), make_user(db, "recent@example.org")
    db.add_all(
        [
            Support(proposal_id=proposal.id, user_id=old.id, created_at=utcnow() - 40 * DAY),
            Support(proposal_id=proposal.id, user_id=recent.id, created_at=utcnow() - DAY),
        ]
    )
    db.commit()  # a savepoint: the task's own sessions see it
    assert author.id
    assert expire_all_supports(session_factory, None) == 1  # type: ignore[arg-type]
    db.expire_all()
    assert db.scalars(select(Support.user_id)).all() == [recent.id]
    assert db.get(Proposal, proposal.id).supports_count == 1  # type: ignore[union-attr]
