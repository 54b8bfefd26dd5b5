"""Agents enter the paper ballots of a polling station, one after the other."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.participation.budgets.models import Ballot, BallotChoice, Budget, Project
from servicielle.participation.budgets.secrecy import reshuffle
from servicielle.participation.models import PhaseKind
from tests.conftest import csrf_token, sign_in_client
from tests.participation.factories import make_budget, make_process

HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PAGE = "/admin/participation/bulletins-papier"


def paper_budget(db: Session) -> tuple[Budget, list[Project]]:
    """A budget counting its paper ballots (1 to 2 projects), with its territory-wide projects."""
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process, min_projects=1, max_projects=2)
    projects = db.scalars(
        select(Project).where(Project.envelope_id == wide.id).order_by(Project.position)
    ).all()
    return budget, list(projects)


def enter(client: TestClient, budget: Budget, pairs: list[tuple[str, str]]) -> Any:
    """Post one paper ballot, with the token of the entry page."""
    token = csrf_token(client, f"{PAGE}/{budget.id}")
    return client.post(
        f"{PAGE}/{budget.id}",
        content=urlencode([("csrf_token", token), *pairs]),
        headers={**HTML, **FORM},
        follow_redirects=False,
    )


def paper_ballots(db: Session, budget: Budget) -> list[Ballot]:
    """The paper ballots in the box."""
    db.expire_all()
    return list(db.scalars(select(Ballot).where(Ballot.budget_id == budget.id)))


def test_only_staff_enter_paper_ballots(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    budget, _projects = paper_budget(db)
    anonymous = client.get(PAGE, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    sign_in_client(client, db, settings, roles["inhabitant"])
    assert client.get(PAGE, headers=HTML).status_code == 403
    assert client.get(f"{PAGE}/{budget.id}", headers=HTML).status_code == 403
    sign_in_client(client, db, settings, roles["agent"])
    listing = client.get(PAGE, headers=HTML)
    assert listing.status_code == 200
    assert f'href="{PAGE}/{budget.id}"' in listing.text
    assert client.get(f"{PAGE}/abc", headers=HTML).status_code == 404
    assert client.get(f"{PAGE}/99999999999", headers=HTML).status_code == 404


def test_the_station_stays_and_the_choices_clear_between_entries(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    budget, projects = paper_budget(db)
    sign_in_client(client, db, settings, roles["agent"])
    first = [("station", "Mairie, bureau 3"), ("entry", "n1"), (f"p-{projects[0].id}", "1")]
    saved = enter(client, budget, first)
    assert saved.status_code == 303
    follow = client.get(saved.headers["location"], headers=HTML)
    assert follow.status_code == 200
    assert 'value="Mairie, bureau 3"' in follow.text
    box = re.search(rf'<input type="checkbox" id="p-{projects[0].id}"[^>]*>', follow.text)
    assert box is not None
    assert "checked" not in box.group(0)
    assert 'role="status"' in follow.text
    # The count per station and the last entry, to catch a typo.
    assert '<td>Mairie, bureau 3</td><td class="num">1</td>' in follow.text
    assert projects[0].title in follow.text.split('id="recent-title"')[1]

    second = [("station", "Mairie, bureau 3"), ("entry", "n2"), (f"p-{projects[1].id}", "1")]
    assert enter(client, budget, second).status_code == 303
    # The same form sent twice (a double click) is saved once.
    twice = enter(client, budget, second)
    assert twice.status_code == 303
    assert "fait=again" in twice.headers["location"]
    ballots = paper_ballots(db, budget)
    assert len(ballots) == 2
    assert {(b.channel, b.station) for b in ballots} == {("paper", "Mairie, bureau 3")}
    choices = db.scalars(select(BallotChoice.project_id)).all()
    assert sorted(choices) == sorted([projects[0].id, projects[1].id])


def test_a_void_ballot_is_not_saved(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    budget, projects = paper_budget(db)
    sign_in_client(client, db, settings, roles["agent"])
    client.cookies.set("sv_lang", "en")
    too_many = enter(
        client, budget, [("station", "École"), *((f"p-{p.id}", "1") for p in projects[:3])]
    )
    assert too_many.status_code == 422
    assert "choose at most 2 projects (3 chosen)" in too_many.text
    no_station = enter(client, budget, [("station", " "), (f"p-{projects[0].id}", "1")])
    assert no_station.status_code == 422
    assert 'id="paper-station-error"' in no_station.text
    for bad in ([("station", "École"), ("p-abc", "1")], [("station", "École"), ("p-0", "1")]):
        assert enter(client, budget, bad).status_code == 400
    flood = [("station", "École"), *((f"p-{i}", "1") for i in range(10_000))]
    assert enter(client, budget, flood).status_code == 400
    assert paper_ballots(db, budget) == []


def undo(client: TestClient, budget: Budget) -> Any:
    """Post the undo form of the entry page."""
    token = csrf_token(client, f"{PAGE}/{budget.id}")
    return client.post(
        f"{PAGE}/{budget.id}/annuler-derniere",
        content=urlencode([("csrf_token", token)]),
        headers={**HTML, **FORM},
        follow_redirects=False,
    )


def test_an_agent_undoes_their_last_entry_only(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    budget, projects = paper_budget(db)
    sign_in_client(client, db, settings, roles["agent"])
    page = client.get(f"{PAGE}/{budget.id}", headers=HTML)
    assert "annuler-derniere" not in page.text  # nothing entered yet in this browser
    enter(client, budget, [("station", "Bureau 1"), ("entry", "a"), (f"p-{projects[0].id}", "1")])
    enter(client, budget, [("station", "Bureau 1"), ("entry", "b"), (f"p-{projects[1].id}", "1")])
    page = client.get(f"{PAGE}/{budget.id}", headers=HTML)
    assert "annuler-derniere" in page.text
    ballots = paper_ballots(db, budget)
    # The ballot's id is neither on the page nor in the cookie that allows the undo.
    cookie = client.cookies.get("sv_paper_recent") or ""
    assert not any(b.id in page.text or b.id in cookie for b in ballots)
    # The box is reshuffled (new ids) between the entry and the undo: it still works.
    reshuffle(db, budget.id)
    db.flush()
    without_csrf = client.post(
        f"{PAGE}/{budget.id}/annuler-derniere", headers={**HTML, **FORM}, follow_redirects=False
    )
    assert without_csrf.status_code in (400, 403)
    done = undo(client, budget)
    assert done.status_code == 303
    assert "fait=undone" in done.headers["location"]
    left = paper_ballots(db, budget)
    assert len(left) == 1
    assert db.scalars(select(BallotChoice.project_id)).all() == [projects[0].id]
    # Only the last entry: the one before it stays.
    assert undo(client, budget).status_code == 409
    assert len(paper_ballots(db, budget)) == 1


def test_another_agent_or_published_results_cannot_undo(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    budget, projects = paper_budget(db)
    sign_in_client(client, db, settings, roles["agent"])
    enter(client, budget, [("station", "Bureau 2"), ("entry", "a"), (f"p-{projects[0].id}", "1")])
    sign_in_client(client, db, settings, roles["administrator"])  # same browser, other agent
    assert "annuler-derniere" not in client.get(f"{PAGE}/{budget.id}", headers=HTML).text
    assert undo(client, budget).status_code == 409
    sign_in_client(client, db, settings, roles["agent"])
    budget.results_published_at = utcnow()
    db.flush()
    assert undo(client, budget).status_code == 409
    assert len(paper_ballots(db, budget)) == 1


def test_no_paper_ballot_before_the_vote_opens(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    process = make_process(db, phase=PhaseKind.PROPOSALS)
    budget, wide, _zone = make_budget(db, process)
    project = db.scalars(select(Project).where(Project.envelope_id == wide.id)).first()
    assert project is not None
    sign_in_client(client, db, settings, roles["agent"])
    refused = enter(client, budget, [("station", "Bureau 1"), (f"p-{project.id}", "1")])
    assert refused.status_code == 409
    assert paper_ballots(db, budget) == []


def test_the_list_of_budgets_takes_a_fixed_number_of_queries(
    db: Session, settings: Settings, client: TestClient, roles: dict[str, Any]
) -> None:
    from sqlalchemy import event

    sign_in_client(client, db, settings, roles["agent"])

    def count_queries() -> int:
        seen: list[str] = []

        def remember(*args: Any) -> None:
            seen.append(str(args[2]))

        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            assert client.get(PAGE, headers=HTML).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        return sum("participation_" in statement for statement in seen)

    make_budget(db, make_process(db, slug="un", phase=PhaseKind.VOTE))
    one = count_queries()
    for slug in ("deux", "trois", "quatre"):
        make_budget(db, make_process(db, slug=slug, phase=PhaseKind.VOTE))
    assert count_queries() == one
