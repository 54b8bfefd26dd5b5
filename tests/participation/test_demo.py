"""The participation demo: a running vote, a past edition being built, consistent rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts import demo as accounts_demo
from servicielle.core.accounts import service as accounts
from servicielle.core.accounts.models import User
from servicielle.core.db import Base, utcnow
from servicielle.core.errors import ServicielleError
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.territory.lookup import territory_index
from servicielle.core.territory.models import Commune, GeoZone
from servicielle.participation import demo, demo_data
from servicielle.participation.accountability.models import Milestone, Result, ResultStatus
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    BudgetVoter,
    Envelope,
    Project,
    Tally,
    VoteChannel,
)
from servicielle.participation.budgets.rules import check_envelope
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
)
from servicielle.participation.models import (
    Comment,
    Feature,
    Flag,
    Phase,
    Process,
    Proposal,
    ProposalState,
    Support,
)
from servicielle.participation.notifications.digests import announce_phases
from servicielle.participation.phases import is_on
from tests.participation.factories import load_territory

CURRENT = "budget-participatif-2026"
PAST = "budget-participatif-2025"
INHABITANTS = demo_data.INHABITANTS_DOMAIN


@pytest.fixture
def loaded(db: Session) -> str:
    """The demo territory and accounts, then the participation demo."""
    load_territory(db)
    accounts_demo.load(db)
    summary = demo.load(db)
    db.flush()
    return summary


def _process(db: Session, slug: str) -> tuple[Process, list[Phase]]:
    process = db.scalars(select(Process).where(Process.slug == slug)).one()
    phases = list(db.scalars(select(Phase).where(Phase.process_id == process.id)))
    return process, phases


def _budget(db: Session, process: Process) -> tuple[Budget, list[Envelope], list[Project]]:
    budget = db.scalars(select(Budget).where(Budget.process_id == process.id)).one()
    envelopes = list(db.scalars(select(Envelope).where(Envelope.budget_id == budget.id)))
    projects = list(
        db.scalars(select(Project).where(Project.envelope_id.in_([e.id for e in envelopes])))
    )
    return budget, envelopes, projects


def test_a_running_vote_with_a_hundred_consistent_proposals(db: Session, loaded: str) -> None:
    process, phases = _process(db, CURRENT)
    assert process.published
    assert is_on(phases, Feature.VOTE)
    assert not is_on(phases, Feature.PROPOSE)
    proposals = list(db.scalars(select(Proposal).where(Proposal.process_id == process.id)))
    assert 90 <= len(proposals) <= 110
    assert f"{len(proposals)} propositions" in loaded
    states = Counter(p.state for p in proposals)
    assert states[ProposalState.ACCEPTED] >= 30
    assert states[ProposalState.REJECTED] >= 10
    assert states[ProposalState.EVALUATING] >= 1
    assert states[ProposalState.MERGED] == 1
    # Counters equal the rows: lists read the counters, pages read the rows.
    supports = Counter(db.scalars(select(Support.proposal_id)))
    visible = Counter(db.scalars(select(Comment.proposal_id).where(Comment.hidden.is_(False))))
    for proposal in proposals:
        assert proposal.supports_count == supports[proposal.id], proposal.title
        assert proposal.comments_count == visible[proposal.id], proposal.title
    assert max(p.supports_count for p in proposals) >= 40
    replies = db.scalar(select(func.count()).where(Comment.parent_id.is_not(None)))
    assert replies
    assert replies > 10
    accepted = [p for p in proposals if p.state == ProposalState.ACCEPTED]
    assert all(p.cost_estimate and p.answer and p.answered_at for p in accepted)
    rejected = [p for p in proposals if p.state == ProposalState.REJECTED]
    assert all(p.answer and p.cost_estimate is None for p in rejected)
    merged = next(p for p in proposals if p.state == ProposalState.MERGED)
    original = db.get(Proposal, merged.merged_into_id)
    assert original is not None
    assert original.process_id == process.id
    assert merged.supports_count == 0
    assert str(original.id) in merged.answer
    # Hidden by three flags, pending moderation; another flagged once and still listed.
    hidden = [p for p in proposals if p.hidden]
    assert len(hidden) == 1
    assert hidden[0].flags_count >= process.flags_to_hide
    flags = Counter(db.scalars(select(Flag.target_id)))
    assert flags[hidden[0].id] == hidden[0].flags_count
    # Proposals lie in the commune (and Rochefort sector) they name.
    index = territory_index(db)
    slugs = dict(db.execute(select(GeoZone.id, GeoZone.slug)).all())
    names = dict(db.execute(select(Commune.insee_code, Commune.name)).all())
    for proposal in proposals:
        assert proposal.latitude is not None
        assert proposal.longitude is not None
        where = index.locate(proposal.longitude, proposal.latitude)
        assert where.commune is not None, proposal.title
        assert names[where.commune.key] in proposal.address or where.commune.key == "17004"
        if proposal.geozone_id is not None:
            assert slugs[proposal.geozone_id] in {z.key for z in where.geozones}, proposal.title


def test_the_open_budget_has_envelopes_per_geozone_and_valid_ballots(
    db: Session, loaded: str
) -> None:
    process, _phases = _process(db, CURRENT)
    budget, envelopes, projects = _budget(db, process)
    zones = set(db.scalars(select(GeoZone.id)))
    assert sorted(e.geozone_id for e in envelopes if e.geozone_id) == sorted(zones)
    assert [e.geozone_id for e in envelopes].count(None) == 1
    assert budget.results_published_at is None
    by_envelope = defaultdict(list)
    for project in projects:
        by_envelope[project.envelope_id].append(project)
        proposal = db.get(Proposal, project.proposal_id)
        assert proposal is not None
        assert proposal.state == ProposalState.ACCEPTED
        assert project.cost == proposal.cost_estimate
    envelope_of = {e.id: e for e in envelopes}
    for envelope in envelopes:
        assert len(by_envelope[envelope.id]) >= 3, envelope.title
        assert all(p.cost <= envelope.amount for p in by_envelope[envelope.id])
    # Ballots follow the budget's own rules, envelope by envelope.
    project_of = {p.id: p for p in projects}
    chosen: dict[str, list[Project]] = defaultdict(list)
    for ballot_id, project_id in db.execute(
        select(BallotChoice.ballot_id, BallotChoice.project_id)
    ):
        if project_id in project_of:
            chosen[ballot_id].append(project_of[project_id])
    ballots = list(db.scalars(select(Ballot).where(Ballot.budget_id == budget.id)))
    assert len(ballots) >= 300
    assert len(chosen) == len(ballots)
    for ballot in ballots:
        assert len(ballot.id) == 32
        assert int(ballot.id, 16) >= 0
        parts: dict[int, list[Project]] = defaultdict(list)
        for project in chosen[ballot.id]:
            parts[project.envelope_id].append(project)
        zoned = [envelope_of[e].geozone_id for e in parts if envelope_of[e].geozone_id]
        assert len(zoned) <= 1  # a voter lives in one district
        for envelope_id, part in parts.items():
            points = {p.id: 1 for p in part}
            assert check_envelope(budget, envelope_of[envelope_id], part, points) == []
    # Paper ballots carry their station and no receipt; online ones are on the register.
    channels = Counter(b.channel for b in ballots)
    assert channels[VoteChannel.PAPER] > channels[VoteChannel.ONLINE] > 0
    assert all(b.station and b.receipt_digest is None for b in ballots if b.channel == "paper")
    assert all(b.receipt_digest for b in ballots if b.channel == VoteChannel.ONLINE)
    register = db.scalar(select(func.count()).where(BudgetVoter.budget_id == budget.id))
    assert register == channels[VoteChannel.ONLINE]
    # The demo account of an inhabitant has not voted: people trying the demo can.
    jeanne = db.scalars(select(User.id).where(User.email == demo_data.INHABITANT)).one()
    assert db.scalar(select(func.count()).where(BudgetVoter.user_id == jeanne)) == 0
    # Nobody counts a running vote: interim counts would tell who voted how.
    tallies = select(func.count()).where(Tally.envelope_id.in_([e.id for e in envelopes]))
    assert db.scalar(tallies) == 0
    assert all(p.selected is None for p in projects)


def test_the_past_edition_published_results_and_follows_their_making(
    db: Session, loaded: str
) -> None:
    process, phases = _process(db, PAST)
    assert not is_on(phases, Feature.VOTE)
    assert is_on(phases, Feature.ACCOUNTABILITY)
    budget, envelopes, projects = _budget(db, process)
    assert budget.results_published_at is not None
    assert len({e.geozone_id for e in envelopes}) == len(envelopes) == 7
    ballots = db.scalar(select(func.count()).where(Ballot.budget_id == budget.id))
    assert ballots
    assert ballots >= 1_500
    for envelope in envelopes:
        mine = [p for p in projects if p.envelope_id == envelope.id]
        assert all(p.selected is not None and p.votes is not None for p in mine)
        assert sum(p.cost for p in mine if p.selected) <= envelope.amount, envelope.title
    winners = [p for p in projects if p.selected]
    assert 0 < len(winners) < len(projects)
    results = list(db.scalars(select(Result).where(Result.process_id == process.id)))
    assert {r.project_id for r in results} == {p.id for p in winners}
    statuses = Counter(r.status for r in results)
    assert statuses[ResultStatus.DELIVERED]
    assert statuses[ResultStatus.WORKS]
    assert statuses[ResultStatus.ABANDONED] == 1
    for result in results:
        assert 0 <= result.progress <= 100
        if result.status == ResultStatus.DELIVERED:
            assert result.progress == 100
            assert result.spent > 0
    today = utcnow().date()
    milestones = list(db.scalars(select(Milestone.on)))
    assert min(milestones) < today < max(milestones)


def test_consultations_one_open_one_closed_with_its_synthesis(db: Session, loaded: str) -> None:
    now = utcnow()
    consultations = {c.slug: c for c in db.scalars(select(Consultation))}
    open_ = consultations["schema-cyclable-2026"]
    closed = consultations["berges-de-la-charente"]
    assert open_.opens_at <= now < open_.closes_at
    assert open_.published
    assert closed.closes_at < now
    assert closed.synthesis
    assert closed.synthesis_published_at
    questions = list(
        db.scalars(
            select(ConsultationQuestion).where(ConsultationQuestion.consultation_id == open_.id)
        )
    )
    assert len(questions) == 3
    observations = list(
        db.scalars(select(Observation).where(Observation.consultation_id == open_.id))
    )
    assert len(observations) == 20
    for observation in observations:
        for key, value in observation.answers.items():
            question = next(q for q in questions if str(q.id) == key)
            if question.choices:
                given = value if isinstance(value, list) else [value]
                assert set(given) <= set(question.choices)


def test_the_demo_pages_answer(client: TestClient, db: Session, loaded: str) -> None:
    pages = (
        f"/participation/{CURRENT}",
        f"/participation/{CURRENT}/propositions",
        f"/participation/{CURRENT}/propositions?tri=supports&vue=carte",
        f"/participation/{CURRENT}/budget",
        f"/participation/{PAST}/resultats",
        f"/participation/{PAST}/realisations",
        "/consultations/schema-cyclable-2026",
        "/consultations/berges-de-la-charente",
    )
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_loading_again_changes_nothing_and_clear_removes_everything(
    db: Session, loaded: str
) -> None:
    proposals = db.scalar(select(func.count()).select_from(Proposal))
    assert demo.load(db) == "participation déjà présente"
    assert db.scalar(select(func.count()).select_from(Proposal)) == proposals
    demo.clear(db)
    db.flush()
    participation = [
        table for name, table in Base.metadata.tables.items() if name.startswith("participation_")
    ]
    assert len(participation) == 23
    for table in participation:
        assert db.scalar(select(func.count()).select_from(table)) == 0, table.name
    domain = f"%@{demo_data.INHABITANTS_DOMAIN}"
    assert db.scalar(select(func.count()).where(User.email.like(domain))) == 0
    # The territory and the demo accounts stay: they belong to the foundation's demo.
    assert db.scalar(select(func.count()).select_from(Commune)) == 25
    assert db.scalar(select(func.count()).where(User.email == demo_data.INHABITANT)) == 1


def test_demo_inhabitants_cannot_sign_in_be_mailed_or_be_seen(
    client: TestClient, db: Session, settings: Settings, loaded: str
) -> None:
    people = list(db.scalars(select(User).where(User.email.like(f"%@{INHABITANTS}"))))
    assert len(people) == demo_data.INHABITANTS
    someone = people[0]
    for password in ("", demo.UNUSABLE_PASSWORD, someone.password_hash):
        with pytest.raises(ServicielleError):
            accounts.sign_in(
                db, settings, email=someone.email, password=password, ip=None, user_agent=None
            )
    # No reset link (it would let whoever reads that mailbox take the account over), and no
    # phase announcement when the running phase of a followed process ends.
    accounts.request_password_reset(db, settings, email=someone.email)
    later = utcnow() + dt.timedelta(days=20)
    announce_phases(db, settings, later)
    recipients = db.scalars(select(OutboxMessage.recipient)).all()
    assert not [r for r in recipients if r.endswith(INHABITANTS)]
    for page in (f"/participation/{CURRENT}", f"/participation/{CURRENT}/propositions"):
        assert INHABITANTS not in client.get(page).text
