"""Casting, changing, checking and entering ballots: the rules, eligibility, the phase."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.territory.models import Commune, GeoZone
from servicielle.participation.budgets.ballots import (
    BallotService,
    Residence,
    normalise_receipt,
)
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    Budget,
    BudgetVoter,
    Envelope,
    Project,
)
from servicielle.participation.models import PhaseKind
from tests.conftest import make_user
from tests.participation.factories import make_budget, make_process

ADULT = dt.date(1980, 5, 17)


def projects_of(db: Session, envelope: Envelope) -> list[Project]:
    """An envelope's projects in ballot order."""
    return list(
        db.scalars(
            select(Project).where(Project.envelope_id == envelope.id).order_by(Project.position)
        )
    )


def resident_of(db: Session, zone: GeoZone) -> Residence:
    """A residence inside ``zone``: its commune, or a commune it contains."""
    if zone.commune_code:
        return Residence(zone.commune_code, zone.id)
    from servicielle.core.territory.lookup import locate

    for commune in db.scalars(select(Commune)):
        assert commune.centroid_lon is not None
        assert commune.centroid_lat is not None
        where = locate(db, lon=commune.centroid_lon, lat=commune.centroid_lat)
        if any(place.key == zone.slug for place in where.geozones):
            return Residence(commune.insee_code, zone.id)
    raise AssertionError(f"no commune in {zone.slug}")


@pytest.fixture
def vote(db: Session) -> tuple[Budget, Envelope, Envelope]:
    """A budget in its vote phase: 100,000 € territory-wide, 50,000 € for one geozone."""
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, zone = make_budget(db, process, min_projects=1, max_projects=3)
    assert zone is not None
    return budget, wide, zone


@pytest.fixture
def voter(db: Session) -> User:
    """A confirmed inhabitant."""
    return make_user(db, "votante@example.org")


def service(db: Session, settings: Settings, budget: Budget) -> BallotService:
    """The vote of ``budget``."""
    return BallotService(db, settings, budget)


def zone_of(db: Session, envelope: Envelope) -> GeoZone:
    """The geozone of a district envelope."""
    assert envelope.geozone_id is not None
    zone = db.get(GeoZone, envelope.geozone_id)
    assert zone is not None
    return zone


def test_a_ballot_is_recorded_with_the_register_and_a_receipt(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope], voter: User
) -> None:
    budget, wide, zone = vote
    residence = resident_of(db, zone_of(db, zone))
    wide_projects, zone_projects = projects_of(db, wide), projects_of(db, zone)
    choices = {wide_projects[0].id: 1, wide_projects[1].id: 1, zone_projects[2].id: 1}
    cast = service(db, settings, budget).cast(voter, choices, residence=residence, birth_date=ADULT)
    assert normalise_receipt(cast.receipt) == cast.receipt
    register = db.scalars(select(BudgetVoter).where(BudgetVoter.budget_id == budget.id)).all()
    assert [(line.user_id, line.geozone_id) for line in register] == [(voter.id, zone.geozone_id)]
    stored = db.scalars(select(BallotChoice.project_id)).all()
    assert sorted(stored) == sorted(choices)
    found = service(db, settings, budget).find(voter, cast.receipt.lower().replace("-", " "))
    assert found is not None
    assert sorted(project.id for project in found[1]) == sorted(choices)


def test_the_receipt_email_keeps_no_receipt(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope], voter: User
) -> None:
    budget, wide, _zone = vote
    cast = service(db, settings, budget).cast(
        voter,
        {projects_of(db, wide)[0].id: 1},
        residence=Residence("17299", None),
        birth_date=ADULT,
    )
    mails = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == voter.email)).all()
    assert len(mails) == 1
    assert mails[0].secret
    assert cast.receipt not in mails[0].body


def test_a_second_ballot_is_refused_and_a_change_needs_the_receipt(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope], voter: User
) -> None:
    budget, wide, _zone = vote
    ballots = service(db, settings, budget)
    first, second = projects_of(db, wide)[:2]
    residence = Residence("17299", None)
    cast = ballots.cast(voter, {first.id: 1}, residence=residence, birth_date=ADULT)
    with pytest.raises(Conflict, match="déjà voté"):
        ballots.cast(voter, {second.id: 1}, residence=residence, birth_date=ADULT)
    with pytest.raises(Conflict, match="matches none|ne correspond à aucun"):
        ballots.change(voter, "AAAA-AAAA-AAAA-AAAA-AAAA", {second.id: 1})
    with pytest.raises(InvalidInput, match="20 letters|20 lettres"):
        ballots.change(voter, "pas un reçu", {second.id: 1})
    ballots.change(voter, cast.receipt, {second.id: 1})
    assert db.scalars(select(BallotChoice.project_id)).all() == [second.id]
    assert db.scalar(select(func.count()).select_from(Ballot)) == 1
    line = db.scalar(select(BudgetVoter))
    assert line is not None
    assert line.changes == 1
    # Someone else's receipt changes nothing of theirs: it is bound to its voter.
    other = make_user(db, "autre@example.org")
    ballots.cast(other, {first.id: 1}, residence=residence, birth_date=ADULT)
    with pytest.raises(Conflict, match="matches none|ne correspond à aucun"):
        ballots.change(other, cast.receipt, {first.id: 1})


def test_changing_without_having_voted_is_not_found(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope], voter: User
) -> None:
    budget, wide, _zone = vote
    with pytest.raises(NotFound):
        service(db, settings, budget).change(
            voter, "AAAA-AAAA-AAAA-AAAA-AAAA", {projects_of(db, wide)[0].id: 1}
        )


@pytest.mark.parametrize(
    ("rules", "picks", "code"),
    [
        ({"min_projects": 2, "max_projects": 3}, [0], "too_few_projects"),
        ({"min_projects": 1, "max_projects": 2}, [0, 1, 2], "too_many_projects"),
        ({"ballot_kind": BallotKind.KNAPSACK, "max_projects": None}, [0, 1, 2, 3], "over_budget"),
        (
            {"ballot_kind": BallotKind.KNAPSACK, "max_projects": None, "min_spend_percent": 70},
            [3],
            "under_minimum_spend",
        ),
    ],
)
def test_each_broken_rule_is_named(
    db: Session,
    settings: Settings,
    voter: User,
    rules: dict[str, object],
    picks: list[int],
    code: str,
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process, **rules)
    projects = projects_of(db, wide)
    with pytest.raises(InvalidInput) as refused:
        service(db, settings, budget).cast(
            voter,
            {projects[i].id: 1 for i in picks},
            residence=Residence("17299", None),
            birth_date=ADULT,
        )
    assert [error["code"] for error in refused.value.errors] == [code]
    assert db.scalar(select(func.count()).select_from(BudgetVoter)) == 0


def test_a_knapsack_ballot_within_the_envelope_is_accepted(
    db: Session, settings: Settings, voter: User
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(
        db, process, ballot_kind=BallotKind.KNAPSACK, max_projects=None, min_spend_percent=70
    )
    projects = projects_of(db, wide)  # 40,000 + 30,000 of 100,000: exactly 70 %
    service(db, settings, budget).cast(
        voter,
        {projects[0].id: 1, projects[1].id: 1},
        residence=Residence("17299", None),
        birth_date=ADULT,
    )
    assert db.scalar(select(func.count()).select_from(Ballot)) == 1


def test_cumulative_points_are_bounded(db: Session, settings: Settings, voter: User) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(
        db,
        process,
        ballot_kind=BallotKind.CUMULATIVE,
        points_total=5,
        points_per_project=3,
        max_projects=None,
    )
    projects = projects_of(db, wide)
    ballots = service(db, settings, budget)
    residence = Residence("17299", None)
    with pytest.raises(InvalidInput) as refused:
        ballots.cast(
            voter,
            {projects[0].id: 4, projects[1].id: 3},
            residence=residence,
            birth_date=ADULT,
        )
    assert {error["code"] for error in refused.value.errors} == {
        "too_many_points",
        "points_per_project",
    }
    ballots.cast(
        voter, {projects[0].id: 3, projects[1].id: 2}, residence=residence, birth_date=ADULT
    )
    points = {choice.project_id: choice.points for choice in db.scalars(select(BallotChoice))}
    assert points == {projects[0].id: 3, projects[1].id: 2}


def test_a_project_of_another_district_is_refused(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope], voter: User
) -> None:
    budget, _wide, zone = vote
    with pytest.raises(InvalidInput) as refused:
        service(db, settings, budget).cast(
            voter,
            {projects_of(db, zone)[0].id: 1},
            residence=Residence("17299", None),  # no district declared
            birth_date=ADULT,
        )
    assert [error["code"] for error in refused.value.errors] == ["other_envelope"]


@pytest.mark.parametrize(
    ("birth", "confirmed", "commune", "message"),
    [
        (dt.date(2015, 1, 1), True, "17299", "à partir de 16 ans"),
        (None, True, "17299", "date de naissance"),
        (ADULT, False, "17299", "Confirmez votre adresse"),
        (ADULT, True, None, "commune où vous habitez"),
    ],
)
def test_ineligible_voters_are_told_why(
    db: Session,
    settings: Settings,
    vote: tuple[Budget, Envelope, Envelope],
    birth: dt.date | None,
    confirmed: bool,
    commune: str | None,
    message: str,
) -> None:
    budget, wide, _zone = vote
    person = make_user(db, "jeune@example.org", confirmed=confirmed)
    with pytest.raises(Forbidden, match=message):
        service(db, settings, budget).cast(
            person,
            {projects_of(db, wide)[0].id: 1},
            residence=Residence(commune, None),
            birth_date=birth,
        )


def test_a_district_outside_ones_commune_is_refused(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope], voter: User
) -> None:
    budget, wide, zone = vote
    inside = resident_of(db, zone_of(db, zone))
    elsewhere = next(
        code for code in db.scalars(select(Commune.insee_code)) if code != inside.commune_code
    )
    problem = service(db, settings, budget).residence_problem(Residence(elsewhere, zone.geozone_id))
    if zone_of(db, zone).commune_code is None:
        # A grouping of communes: another commune may lie inside it too.
        other = resident_of(db, zone_of(db, zone))
        assert service(db, settings, budget).residence_problem(other) is None
    else:
        assert problem is not None
        assert "is not in" in problem or "n’est pas dans" in problem


def test_no_ballot_outside_the_vote_phase(db: Session, settings: Settings, voter: User) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, wide, _zone = make_budget(db, process)
    with pytest.raises(Conflict, match="vote n’est pas ouvert"):
        service(db, settings, budget).cast(
            voter,
            {projects_of(db, wide)[0].id: 1},
            residence=Residence("17299", None),
            birth_date=ADULT,
        )
    assert db.scalar(select(func.count()).select_from(BudgetVoter)) == 0


def test_paper_ballots_follow_the_same_rules(
    db: Session, settings: Settings, vote: tuple[Budget, Envelope, Envelope]
) -> None:
    budget, wide, zone = vote
    ballots = service(db, settings, budget)
    projects = projects_of(db, wide)
    ballots.enter_paper("Mairie de Rochefort", zone.geozone_id, {projects[0].id: 1})
    with pytest.raises(InvalidInput, match="au plus 3"):
        ballots.enter_paper("Mairie de Rochefort", None, {p.id: 1 for p in projects})
    with pytest.raises(InvalidInput, match="polling station|bureau de vote"):
        ballots.enter_paper("  ", None, {projects[0].id: 1})
    paper = db.scalars(select(Ballot)).all()
    assert [(b.channel, b.station, b.receipt_digest) for b in paper] == [
        ("paper", "Mairie de Rochefort", None)
    ]
    assert db.scalar(select(func.count()).select_from(BudgetVoter)) == 0
