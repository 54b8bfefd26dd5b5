"""Counting stored ballots: the same outcome as the tally engine, per envelope, and secret."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict
from servicielle.participation.budgets import pabulib_io, tallying
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    Envelope,
    Project,
    Tally,
    VoteChannel,
)
from servicielle.participation.models import Activity, Phase, PhaseKind
from servicielle.participation.tally import pabulib
from servicielle.participation.tally.rules import tally
from tests.participation.factories import make_budget, make_process


def projects_of(db: Session, envelope: Envelope) -> list[Project]:
    """The projects of an envelope, in their order."""
    return list(
        db.scalars(
            select(Project).where(Project.envelope_id == envelope.id).order_by(Project.position)
        )
    )


def cast(
    db: Session,
    budget: Budget,
    projects: Sequence[Project],
    *,
    channel: str = VoteChannel.ONLINE,
    points: Sequence[int] | None = None,
) -> str:
    """Store one ballot choosing ``projects`` (as casting does), return its id."""
    ballot_id = secrets.token_hex(16)
    db.add(
        Ballot(
            id=ballot_id,
            budget_id=budget.id,
            receipt_digest=secrets.token_hex(32) if channel == VoteChannel.ONLINE else None,
            channel=channel,
            station="" if channel == VoteChannel.ONLINE else "Mairie",
        )
    )
    db.flush()
    for index, project in enumerate(projects):
        db.add(
            BallotChoice(
                ballot_id=ballot_id,
                project_id=project.id,
                points=points[index] if points else 1,
            )
        )
    db.flush()
    return ballot_id


def voted_budget(db: Session, phase: PhaseKind = PhaseKind.RESULTS, **rules: object):
    """A budget with two envelopes and a few ballots; the process in ``phase``."""
    process = make_process(db, phase=phase)
    budget, wide, zone = make_budget(db, process, **rules)
    assert zone is not None
    a, b, c, d = projects_of(db, wide)
    z1, z2, z3, z4 = projects_of(db, zone)
    # Wide envelope (100 000 €; costs 40/30/30/20 k): a and b for the majority, c and d for
    # a minority; votes a 7, b 6, c 4, d 3 (no tie that would matter).
    for _ in range(6):
        cast(db, budget, [a, b])
    for _ in range(3):
        cast(db, budget, [c, d, z1])
    cast(db, budget, [a, c], channel=VoteChannel.PAPER)
    # Ballots choosing only zone projects do not count in the wide envelope.
    for _ in range(4):
        cast(db, budget, [z2, z3])
    return process, budget, wide, zone


@pytest.mark.parametrize("rule", ["greedy", "mes", "mes-add1"])
def test_the_stored_tally_equals_the_engine_on_the_same_pabulib_instance(
    db: Session, rule: str
) -> None:
    _process, budget, wide, zone = voted_budget(db, tally_rule=rule)
    rows = tallying.compute(db, budget)
    assert len(rows) == 6  # three rules for each of the two envelopes
    for row in rows:
        instance = pabulib.parse(row.pabulib)
        expected = tally(instance, row.rule)
        assert row.outcome["selected"] == [int(p) for p in expected.selected]
        assert row.outcome["spent"] == float(expected.spent)
    wide_rows = {r.rule: r for r in rows if r.envelope_id == wide.id}
    assert wide_rows[rule].ballots == 10
    assert {r.ballots for r in rows if r.envelope_id == zone.id} == {7}


def test_ballots_not_touching_an_envelope_are_not_counted_in_it(db: Session) -> None:
    _process, budget, wide, _zone = voted_budget(db)
    rows = tallying.compute(db, budget)
    wide_row = next(r for r in rows if r.envelope_id == wide.id and r.rule == "greedy")
    instance = pabulib.parse(wide_row.pabulib)
    assert instance.voters == 10
    wide_ids = {str(p.id) for p in projects_of(db, wide)}
    assert all(set(b.projects) <= wide_ids for b in instance.ballots)
    a, b, c, d = projects_of(db, wide)
    assert wide_row.outcome["votes"] == {str(a.id): 7, str(b.id): 6, str(c.id): 4, str(d.id): 3}


def test_equal_shares_gives_the_minority_its_share_and_says_how(db: Session) -> None:
    _process, budget, wide, _zone = voted_budget(db, tally_rule="mes")
    rows = tallying.compute(db, budget)
    by_rule = {r.rule: r for r in rows if r.envelope_id == wide.id}
    a, b, c, d = projects_of(db, wide)
    assert set(by_rule["greedy"].outcome["selected"]) == {a.id, b.id, c.id}
    mes = by_rule["mes"].outcome
    assert mes["rounds"][0]["project"] == a.id
    assert mes["rounds"][0]["supporters"] == 7
    assert mes["rounds"][0]["share"] == 5714.29
    assert mes["per_voter_budget"] == 10_000.0
    assert mes["selected"] != by_rule["greedy"].outcome["selected"]
    assert 0 < mes["served_share"] <= 1


def test_recomputing_replaces_the_stored_tallies(db: Session) -> None:
    _process, budget, _wide, _zone = voted_budget(db)
    tallying.compute(db, budget)
    tallying.compute(db, budget)
    assert len(db.scalars(select(Tally)).all()) == 6


def test_the_export_numbers_voters_and_round_trips(db: Session) -> None:
    _process, budget, wide, _zone = voted_budget(db, tally_rule="mes-add1")
    ballot_ids = set(db.scalars(select(Ballot.id)))
    tallying.compute(db, budget)
    text = pabulib_io.export(db, budget, wide)
    instance = pabulib.parse(text)
    voter_ids = [b.voter_id for b in instance.ballots]
    assert sorted(voter_ids, key=int) == [str(n) for n in range(1, 11)]
    assert not ballot_ids & set(voter_ids)
    assert not any(ballot_id in text for ballot_id in ballot_ids)
    assert pabulib.parse(pabulib.dumps(instance)).ballots == instance.ballots
    assert instance.meta["rule"] == "equalshares/add1"
    assert instance.budget == 100_000


def test_cumulative_ballots_export_their_points(db: Session) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, wide, _zone = make_budget(db, process, zone_amount=None, ballot_kind="cumulative")
    a, b, _c, _d = projects_of(db, wide)
    cast(db, budget, [a, b], points=[3, 1])
    tallying.compute(db, budget)
    instance = pabulib.parse(pabulib_io.export(db, budget, wide))
    assert instance.vote_type == "cumulative"
    assert instance.ballots[0].points == (3, 1)


def test_publishing_is_refused_before_the_vote_ends(db: Session) -> None:
    _process, budget, _wide, _zone = voted_budget(db, phase=PhaseKind.VOTE)
    with pytest.raises(Conflict) as refused:
        tallying.publish(db, budget)
    assert "vote" in refused.value.detail
    assert budget.results_published_at is None


def test_publishing_marks_the_winners_and_records_the_activity(db: Session) -> None:
    process, budget, wide, _zone = voted_budget(db)
    tallying.compute(db, budget)
    tallying.publish(db, budget)
    a, b, c, d = projects_of(db, wide)
    assert [p.selected for p in (a, b, c, d)] == [True, True, True, False]
    assert [p.votes for p in (a, b, c, d)] == [7, 6, 4, 3]
    assert budget.results_published_at is not None
    kinds = db.scalars(select(Activity.kind).where(Activity.process_id == process.id)).all()
    assert "result" in kinds


def test_publishing_counts_again_when_ballots_came_in_since(db: Session) -> None:
    _process, budget, wide, _zone = voted_budget(db)
    tallying.compute(db, budget)
    _a, _b, _c, d = projects_of(db, wide)
    for _ in range(20):
        cast(db, budget, [d], channel=VoteChannel.PAPER)
    tallying.publish(db, budget)
    assert d.selected is True
    assert d.votes == 23


def test_a_vote_phase_ending_later_blocks_publishing(db: Session) -> None:
    process, budget, _wide, _zone = voted_budget(db)
    vote = db.scalars(
        select(Phase).where(Phase.process_id == process.id, Phase.kind == PhaseKind.VOTE)
    ).one()
    vote.ends_at = utcnow() + dt.timedelta(hours=1)
    db.flush()
    with pytest.raises(Conflict):
        tallying.publish(db, budget)


def test_publishing_counts_again_when_the_box_changed_but_not_its_size(db: Session) -> None:
    # A paper ballot undone and another entered: same number of ballots, other choices.
    _process, budget, wide, _zone = voted_budget(db)
    _a, _b, _c, d = projects_of(db, wide)
    extra = [cast(db, budget, [d], channel=VoteChannel.PAPER) for _ in range(20)]
    tallying.compute(db, budget)
    for ballot_id in extra:
        db.delete(db.get(Ballot, ballot_id))
    db.flush()
    for _ in range(20):
        cast(db, budget, [_a], channel=VoteChannel.PAPER)
    tallying.publish(db, budget)
    assert d.votes == 3
    assert d.selected is False


def test_a_phase_switching_the_vote_on_blocks_counting_and_publishing(db: Session) -> None:
    process, budget, _wide, _zone = voted_budget(db)
    results = db.scalars(
        select(Phase).where(Phase.process_id == process.id, Phase.kind == PhaseKind.RESULTS)
    ).one()
    # The running phase is not of the vote kind, but takes ballots all the same.
    results.features = [*results.features, "vote"]
    db.flush()
    with pytest.raises(Conflict):
        tallying.compute(db, budget)
    with pytest.raises(Conflict):
        tallying.publish(db, budget)
    assert budget.results_published_at is None


def test_published_results_are_not_counted_nor_published_again(db: Session) -> None:
    _process, budget, wide, _zone = voted_budget(db)
    tallying.publish(db, budget)
    _a, _b, _c, d = projects_of(db, wide)
    for _ in range(20):
        cast(db, budget, [d], channel=VoteChannel.PAPER)
    # The page shows the published winners with the stored rounds: neither may drift apart.
    with pytest.raises(Conflict):
        tallying.compute(db, budget)
    with pytest.raises(Conflict):
        tallying.publish(db, budget)
    assert d.selected is False
    assert d.votes == 3
