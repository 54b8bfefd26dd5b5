"""The vote pages: who votes, choose, check and confirm; the receipt; checking and changing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.territory.lookup import locate
from servicielle.core.territory.models import Commune, GeoZone
from servicielle.participation.budgets.ballots import BallotService, Residence
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
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_budget, make_process

HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BASE = "/participation/budget-2026/budget"
ADULT = "1980-05-17"
RECEIPT = re.compile(r'<p class="vote-receipt" id="receipt"[^>]*>([A-Z0-9-]{24})</p>')


def projects_of(db: Session, envelope: Envelope) -> list[Project]:
    """An envelope's projects in ballot order."""
    return list(
        db.scalars(
            select(Project).where(Project.envelope_id == envelope.id).order_by(Project.position)
        )
    )


def commune_in(db: Session, zone: GeoZone) -> str:
    """The INSEE code of a commune inside ``zone``."""
    if zone.commune_code:
        return zone.commune_code
    for commune in db.scalars(select(Commune)):
        assert commune.centroid_lon is not None
        assert commune.centroid_lat is not None
        where = locate(db, lon=commune.centroid_lon, lat=commune.centroid_lat)
        if any(place.key == zone.slug for place in where.geozones):
            return commune.insee_code
    raise AssertionError(f"no commune in {zone.slug}")


class Voting:
    """A signed-in voter's browser on a budget in its vote phase."""

    def __init__(
        self, client: TestClient, db: Session, settings: Settings, user: User, budget: Budget
    ) -> None:
        self.client, self.db, self.settings, self.user, self.budget = (
            client,
            db,
            settings,
            user,
            budget,
        )
        sign_in_client(client, db, settings, user)
        client.cookies.set("sv_lang", "en")  # messages asserted as their English msgids
        self.token = csrf_token(client, BASE)

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, Any]]) -> Any:
        """Post a vote form as the browser does."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        body = urlencode([("csrf_token", self.token), ("budget", str(self.budget.id)), *pairs])
        return self.client.post(
            BASE + path, content=body, headers={**HTML, **FORM}, follow_redirects=False
        )


@pytest.fixture
def vote(
    db: Session, settings: Settings, client: TestClient
) -> tuple[Voting, Envelope, Envelope, dict[str, str]]:
    """A confirmed voter on an approval ballot (1 to 2 projects per envelope), and where
    they live: the district of the budget's second envelope."""
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, zone = make_budget(db, process, min_projects=1, max_projects=2)
    assert zone is not None
    assert zone.geozone_id is not None
    geozone = db.get(GeoZone, zone.geozone_id)
    assert geozone is not None
    residence = {"commune": commune_in(db, geozone), "zone": str(geozone.id), "birth_date": ADULT}
    voter = make_user(db, "votante@example.fr")
    return Voting(client, db, settings, voter, budget), wide, zone, residence


def counts(db: Session, budget: Budget) -> tuple[int, int]:
    """People on the register and ballots in the box."""
    voters = db.scalar(
        select(func.count()).select_from(BudgetVoter).where(BudgetVoter.budget_id == budget.id)
    )
    ballots = db.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget.id)
    )
    return int(voters or 0), int(ballots or 0)


def chosen(*projects: Project, points: int = 1) -> list[tuple[str, str]]:
    """The ``p-<id>`` fields of ticked projects."""
    return [(f"p-{p.id}", str(points)) for p in projects]


def test_the_full_vote_shows_the_receipt_once(
    vote: tuple[Voting, Envelope, Envelope, dict[str, str]],
) -> None:
    voting, wide, zone, residence = vote
    db, budget = voting.db, voting.budget
    home = voting.client.get(BASE, headers=HTML)
    assert home.status_code == 200
    assert f'action="{BASE}/choix"' in home.text
    assert 'id="vote-birth_date"' in home.text
    # The projects can be read before voting.
    for project in projects_of(db, wide):
        assert project.title in home.text

    # Step 2: the territory-wide envelope, then the voter's district's.
    step2 = voting.post("/choix", residence)
    assert step2.status_code == 200
    wide_projects, zone_projects = projects_of(db, wide), projects_of(db, zone)
    text = step2.text
    assert text.index(f'id="p-{wide_projects[0].id}"') < text.index(f'id="p-{zone_projects[0].id}"')
    assert "Choose between 1 and 2 projects." in text
    assert 'aria-live="polite"' in text
    assert "Projects chosen: 0 of 2 at most." in text

    # Step 3 with too many projects: the broken rule, tied to its envelope; no confirm button.
    too_many = voting.post("/verification", {**residence, **dict(chosen(*wide_projects[:3]))})
    assert too_many.status_code == 422
    assert "choose at most 2 projects (3 chosen)" in too_many.text
    assert f'<a href="#envelope-{wide.id}">' in too_many.text
    assert 'id="confirm-form"' not in too_many.text
    assert counts(db, budget) == (0, 0)

    # Back to step 2: the choices are kept.
    back = voting.post("/choix", {**residence, **dict(chosen(*wide_projects[:3]))})
    assert back.status_code == 200
    assert re.search(
        rf'id="p-{wide_projects[2].id}" name="p-{wide_projects[2].id}" value="1"[^>]* checked',
        back.text,
    )

    picks = chosen(wide_projects[0], wide_projects[1], zone_projects[0])
    checked = voting.post("/verification", [*residence.items(), *picks])
    assert checked.status_code == 200
    assert 'id="confirm-form"' in checked.text
    assert "Your ballot is not counted yet." in checked.text
    assert counts(db, budget) == (0, 0)  # nothing stored before confirming

    done = voting.post("/confirmation", [*residence.items(), *picks])
    assert done.status_code == 200
    assert done.headers["cache-control"] == "no-store"
    receipt = RECEIPT.search(done.text)
    assert receipt is not None
    assert "We do not keep this receipt:" in done.text
    assert f'href="{BASE}/recu"' in done.text
    assert f'href="{BASE}/modifier"' in done.text
    assert counts(db, budget) == (1, 1)
    stored = db.scalars(select(BallotChoice.project_id)).all()
    assert sorted(stored) == sorted(int(name[2:]) for name, _v in picks)
    ballot_id = db.scalar(select(Ballot.id).where(Ballot.budget_id == budget.id))
    assert ballot_id is not None
    assert ballot_id not in done.text

    # The register line shows; the receipt is never shown again.
    again = voting.client.get(BASE, headers=HTML)
    assert "You have voted" in again.text
    assert receipt.group(1) not in again.text
    assert f'action="{BASE}/choix"' not in again.text
    assert f'href="{BASE}/modifier"' in again.text


def test_a_second_ballot_is_refused_with_a_way_to_change_the_first(
    vote: tuple[Voting, Envelope, Envelope, dict[str, str]],
) -> None:
    voting, wide, _zone, residence = vote
    first = chosen(projects_of(voting.db, wide)[0])
    assert voting.post("/confirmation", [*residence.items(), *first]).status_code == 200
    for path in ("/choix", "/verification", "/confirmation"):
        refused = voting.post(path, [*residence.items(), *first])
        assert refused.status_code == 409, path
        assert "You have already voted in this budget" in refused.text
        assert f'href="{BASE}/modifier"' in refused.text
    assert counts(voting.db, voting.budget) == (1, 1)


def test_check_and_change_a_ballot_with_its_receipt(
    vote: tuple[Voting, Envelope, Envelope, dict[str, str]],
) -> None:
    voting, wide, zone, residence = vote
    db = voting.db
    wide_projects, zone_projects = projects_of(db, wide), projects_of(db, zone)
    cast = BallotService(db, voting.settings, voting.budget).cast(
        voting.user,
        {wide_projects[0].id: 1},
        residence=Residence(residence["commune"], int(residence["zone"])),
        birth_date=dt.date(1980, 5, 17),
    )
    typed = cast.receipt.lower().replace("-", " ")

    form = voting.client.get(BASE + "/recu", headers=HTML)
    assert form.status_code == 200
    assert 'id="receipt"' in form.text
    found = voting.post("/recu", {"receipt": typed})
    assert found.status_code == 200
    assert "Your ballot is in the box and will be counted" in found.text
    assert wide_projects[0].title in found.text
    assert wide_projects[1].title not in found.text
    for wrong in ("AAAA-AAAA-AAAA-AAAA-AAAA", "pas un reçu", "x" * 5000):
        missed = voting.post("/recu", {"receipt": wrong})
        assert missed.status_code == 422
        assert 'id="receipt-error"' in missed.text
        assert wide_projects[0].title not in missed.text

    # Change: the receipt, then step 2 with the current choice ticked, check, confirm.
    assert voting.client.get(BASE + "/modifier", headers=HTML).status_code == 200
    assert voting.post("/modifier", {"receipt": "AAAA-AAAA-AAAA-AAAA-AAAA"}).status_code == 422
    start = voting.post("/modifier", {"receipt": typed})
    assert start.status_code == 200
    pid = wide_projects[0].id
    assert re.search(rf'id="p-{pid}" name="p-{pid}" value="1"[^>]* checked', start.text)
    assert 'name="mode" value="change"' in start.text
    new = [
        ("mode", "change"),
        ("receipt", cast.receipt),
        *chosen(wide_projects[1], zone_projects[1]),
    ]
    checked = voting.post("/verification", new)
    assert checked.status_code == 200
    done = voting.post("/confirmation", new)
    assert done.status_code == 200
    assert "Your ballot was changed" in done.text
    assert RECEIPT.search(done.text) is None
    db.expire_all()
    assert sorted(db.scalars(select(BallotChoice.project_id)).all()) == sorted(
        [wide_projects[1].id, zone_projects[1].id]
    )
    line = db.scalar(select(BudgetVoter).where(BudgetVoter.user_id == voting.user.id))
    assert line is not None
    assert line.changes == 1
    assert counts(db, voting.budget) == (1, 1)


def test_outside_the_vote_phase_the_page_says_so_and_ballots_are_refused(
    db: Session, settings: Settings, client: TestClient
) -> None:
    process = make_process(db, phase=PhaseKind.EVALUATION)
    budget, wide, _zone = make_budget(db, process)
    voting = Voting(client, db, settings, make_user(db, "tot@example.fr"), budget)
    page = client.get(BASE, headers=HTML)
    assert page.status_code == 200
    assert "The vote is not open yet: it opens on" in page.text
    assert f'action="{BASE}/choix"' not in page.text
    assert projects_of(db, wide)[0].title in page.text
    refused = voting.post("/choix", {"commune": "17299"})
    assert refused.status_code == 409
    assert "The vote is not open" in refused.text
    assert voting.post("/confirmation", chosen(projects_of(db, wide)[0])).status_code == 409
    assert counts(db, budget) == (0, 0)


def test_a_closed_vote_says_when_it_ended(
    db: Session, settings: Settings, client: TestClient
) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    make_budget(db, process)
    client.cookies.set("sv_lang", "en")
    page = client.get(BASE, headers=HTML)
    assert "The vote is closed: it ended on" in page.text


def test_an_unconfirmed_email_cannot_vote(
    db: Session, settings: Settings, client: TestClient
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process)
    user = make_user(db, "pas-confirme@example.fr")
    voting = Voting(client, db, settings, user, budget)
    user.email_confirmed_at = None  # a new address, not confirmed yet
    db.flush()
    page = client.get(BASE, headers=HTML)
    assert "Confirm your email address before voting" in page.text
    refused = voting.post("/choix", {"commune": "17299", "birth_date": ADULT})
    assert refused.status_code == 403
    assert "Confirm your email address before voting" in refused.text
    assert (
        voting.post("/confirmation", {"commune": "17299", "birth_date": ADULT}).status_code == 403
    )
    assert counts(db, budget) == (0, 0)


def test_eligibility_problems_are_shown_next_to_their_field(
    vote: tuple[Voting, Envelope, Envelope, dict[str, str]],
) -> None:
    voting, _wide, _zone, residence = vote
    young = voting.post("/choix", {**residence, "birth_date": "2020-01-01"})
    assert young.status_code == 403
    assert 'id="vote-birth_date-error"' in young.text
    assert "This vote is open from the age of 16." in young.text
    missing = voting.post("/choix", {**residence, "birth_date": ""})
    assert missing.status_code == 422
    assert "Give your date of birth" in missing.text
    for bad in ("31/02/2000", "demain", "1800-01-01", "3000-01-01"):
        wrong = voting.post("/choix", {**residence, "birth_date": bad})
        assert wrong.status_code == 422, bad
        assert 'id="vote-birth_date-error"' in wrong.text
    french = voting.post("/choix", {**residence, "birth_date": "17/05/1980"})
    assert french.status_code == 200
    no_commune = voting.post("/choix", {**residence, "commune": ""})
    assert no_commune.status_code == 422
    assert 'id="vote-commune-error"' in no_commune.text
    for zone in ("999999", "abc", "٣"):
        odd = voting.post("/choix", {**residence, "zone": zone})
        assert odd.status_code == 422
        assert 'id="vote-zone-error"' in odd.text


def test_visitors_are_asked_to_sign_in_and_come_back(db: Session, client: TestClient) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, _wide, _zone = make_budget(db, process)
    page = client.get(BASE, headers=HTML)
    assert page.status_code == 200
    assert 'href="/compte/connexion?next=%2Fparticipation%2Fbudget-2026%2Fbudget"' in page.text
    token = csrf_token(client, BASE)
    posted = client.post(
        BASE + "/choix",
        data={"csrf_token": token, "budget": str(budget.id)},
        headers=HTML,
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/compte/connexion?next=")
    assert client.get("/participation/inconnu/budget", headers=HTML).status_code == 404
    assert client.get(BASE + "?budget=abc", headers=HTML).status_code == 404


def test_bad_ballot_forms_are_refused_without_a_server_error(
    vote: tuple[Voting, Envelope, Envelope, dict[str, str]],
) -> None:
    voting, wide, zone, residence = vote
    db = voting.db
    project = projects_of(db, wide)[0]
    for fields in (
        [("p-abc", "1")],
        [("p-99999999", "1")],
        [("p-" + "9" * 40, "1")],
        [("p-²", "1")],
    ):
        refused = voting.post("/verification", [*residence.items(), *fields])
        assert refused.status_code == 400, fields
    flood = [*residence.items(), *((f"p-{i}", "1") for i in range(10_000))]
    assert voting.post("/verification", flood).status_code == 400
    assert voting.post("/confirmation", flood).status_code == 400
    # Points that are not a whole number: step 2 again, the error next to the project.
    typed = voting.post("/verification", [*residence.items(), (f"p-{project.id}", "99999999")])
    assert typed.status_code == 422
    assert f'id="p-{project.id}-error"' in typed.text
    # A project of a district the voter does not live in: a broken rule at step 3.
    elsewhere = {**residence, "zone": ""}
    other = voting.post("/verification", [*elsewhere.items(), *chosen(projects_of(db, zone)[0])])
    assert other.status_code == 422
    assert "which you do not vote in" in other.text
    # Points on an approval ballot: refused by the rules, not stored.
    points = voting.post("/confirmation", [*residence.items(), (f"p-{project.id}", "3")])
    assert points.status_code == 422
    assert counts(db, voting.budget) == (0, 0)
    # An empty ballot says what to do.
    empty = voting.post("/verification", residence)
    assert empty.status_code == 422
    assert "Choose at least one project." in empty.text


def test_cumulative_and_knapsack_ballots_show_their_counter(
    db: Session, settings: Settings, client: TestClient
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(
        db,
        process,
        zone_amount=None,
        ballot_kind=BallotKind.CUMULATIVE,
        points_total=5,
        points_per_project=3,
    )
    voting = Voting(client, db, settings, make_user(db, "points@example.fr"), budget)
    residence = {"commune": "17299", "birth_date": ADULT}
    step2 = voting.post("/choix", residence)
    assert step2.status_code == 200
    first, second = projects_of(db, wide)[:2]
    assert f'type="number" id="p-{first.id}"' in step2.text
    assert "Points given: 0 of 5; 5 left." in step2.text
    too_many = voting.post(
        "/verification", [*residence.items(), (f"p-{first.id}", "3"), (f"p-{second.id}", "3")]
    )
    assert too_many.status_code == 422
    assert "6 points given, 5 at most" in too_many.text
    done = voting.post(
        "/confirmation", [*residence.items(), (f"p-{first.id}", "3"), (f"p-{second.id}", "2")]
    )
    assert done.status_code == 200
    assert sorted(db.scalars(select(BallotChoice.points)).all()) == [2, 3]


def test_a_knapsack_counter_counts_money(
    db: Session, settings: Settings, client: TestClient
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(
        db, process, zone_amount=None, ballot_kind=BallotKind.KNAPSACK, max_projects=None
    )
    voting = Voting(client, db, settings, make_user(db, "sac@example.fr"), budget)
    residence = {"commune": "17299", "birth_date": ADULT}
    first = projects_of(db, wide)[0]
    back = voting.post("/choix", [*residence.items(), *chosen(first)])
    assert back.status_code == 200
    assert re.search(r"Money chosen: 40.000\s€ of 100.000\s€; 60.000\s€ left\.", back.text)


def test_the_ballot_shows_proposal_photos_with_a_fixed_number_of_queries(
    db: Session, client: TestClient
) -> None:
    from sqlalchemy import event

    from servicielle.participation.models import Proposal, ProposalPhoto

    process = make_process(db, phase=PhaseKind.VOTE)
    _budget, wide, _zone = make_budget(db, process, zone_amount=None)

    def link_photo(project: Project) -> int:
        proposal = Proposal(process_id=process.id, title=project.title, body="…")
        db.add(proposal)
        db.flush()
        photo = ProposalPhoto(
            proposal_id=proposal.id, content=b"x", thumbnail=b"x", width=1, height=1, sha256="0"
        )
        db.add(photo)
        db.flush()
        project.proposal_id = proposal.id
        db.flush()
        return photo.id

    def queries() -> tuple[int, str]:
        seen: list[str] = []

        def remember(*args: Any) -> None:
            seen.append(str(args[2]))

        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            page = client.get(BASE, headers=HTML)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        assert page.status_code == 200
        return sum("participation_proposal_photos" in sql for sql in seen), page.text

    first, *others = projects_of(db, wide)
    photo = link_photo(first)
    one, text = queries()
    assert f"/photos/{photo}-vignette.jpg" in text
    for project in others:
        link_photo(project)
    assert queries()[0] == one
