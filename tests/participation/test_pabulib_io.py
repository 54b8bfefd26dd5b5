"""Pabulib files in and out of a budget: a real file imported, malformed ones refused by line."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import BadRequest
from servicielle.participation.budgets import pabulib_io, tallying
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Envelope,
    Project,
    Tally,
    VoteChannel,
)
from servicielle.participation.models import PhaseKind
from servicielle.participation.tally import pabulib
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.conftest import require_pabulib
from tests.participation.factories import make_budget, make_process

HTML = {"Accept": "text/html"}
SMALL = """META
key;value
budget;1000
vote_type;approval
PROJECTS
project_id;cost;name
1;600;Jardin partagé
2;500;Bancs
3;400;Fontaine
VOTES
voter_id;vote
a;1,2
b;1
c;2,3
d;
"""


def test_a_real_pabulib_file_becomes_an_envelope_with_its_ballots(db: Session) -> None:
    path = require_pabulib() / "Netherlands_Assen_2024.pb"
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None, tally_rule="mes-add1")
    file = pabulib.read(path)
    summary = pabulib_io.import_pabulib(db, budget, path.read_bytes())
    non_empty = sum(1 for b in file.ballots if b.projects)
    assert summary.projects == len(file.projects) == 14
    assert summary.ballots + summary.empty == len(file.ballots) == 84
    assert summary.ballots == non_empty
    envelope = summary.envelope
    assert envelope.amount == 100_000
    assert "Assen" in envelope.title
    stored = db.scalar(
        select(func.count())
        .select_from(Ballot)
        .where(Ballot.budget_id == budget.id, Ballot.station == pabulib_io.IMPORT_STATION)
    )
    assert stored == non_empty
    assert db.scalar(select(func.count()).select_from(BallotChoice)) == sum(
        len(b.projects) for b in file.ballots
    )
    channels = set(db.scalars(select(Ballot.channel).where(Ballot.budget_id == budget.id)))
    assert channels == {VoteChannel.PAPER}
    # Counting the imported ballots gives the official winners (Equal Shares with Add1).
    rows = tallying.compute(db, budget)
    row = next(r for r in rows if r.envelope_id == envelope.id and r.rule == "mes-add1")
    titles = {pid: title for pid, title in db.execute(select(Project.id, Project.title))}
    official = {file.projects[p].name for p in file.official_selection() or []}
    assert {titles[p] for p in row.outcome["selected"]} == official


def test_an_import_refuses_a_malformed_file_naming_its_line(db: Session) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None)
    bad = SMALL.replace("a;1,2", "a;1,9")
    with pytest.raises(BadRequest) as refused:
        pabulib_io.import_pabulib(db, budget, bad.encode())
    assert refused.value.status == 400
    assert "ligne 12" in refused.value.detail
    assert "'9'" in refused.value.detail
    assert db.scalar(select(func.count()).select_from(Envelope)) == 1


def test_a_cumulative_file_does_not_fit_an_approval_budget(db: Session) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None)
    cumulative = SMALL.replace("vote_type;approval", "vote_type;cumulative").replace(
        "voter_id;vote\n", "voter_id;vote;points\n"
    )
    cumulative = "\n".join(
        line + ";" + ",".join("1" for _ in line.split(";")[1].split(",") if _)
        if line[:2] in ("a;", "b;", "c;", "d;")
        else line
        for line in cumulative.splitlines()
    )
    with pytest.raises(BadRequest, match="cumulative|approval"):
        pabulib_io.import_pabulib(db, budget, cumulative.encode())


def test_the_back_office_imports_and_refuses_with_400(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, object]
) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None)
    admin = roles["administrator"]
    sign_in_client(client, db, settings, admin)  # type: ignore[arg-type]
    page = f"/admin/participation/budgets/{budget.id}/depouillement"
    token = csrf_token(client, page)
    url = f"/admin/participation/budgets/{budget.id}/import-pabulib"
    bad = SMALL.replace("1;600;Jardin partagé", "1;six cents;Jardin partagé")
    refused = client.post(
        url,
        data={"csrf_token": token},
        files={"file": ("bad.pb", bad.encode(), "text/plain")},
        headers=HTML,
    )
    assert refused.status_code == 400
    assert "ligne 7" in refused.text
    assert 'aria-invalid="true"' in refused.text
    done = client.post(
        url,
        data={"csrf_token": token, "title": "Quartier importé"},
        files={"file": ("ok.pb", SMALL.encode(), "text/plain")},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    envelope = db.scalars(select(Envelope).where(Envelope.title == "Quartier importé")).one()
    assert envelope.amount == 1000
    counts = client.get(done.headers["location"], headers=HTML)
    assert "Quartier importé" in counts.text
    # Voter d chose nothing: the agent is told that ballot was left out.
    assert "1 ballot choosing no project was left out" in counts.text or "1 bulletin" in counts.text
    inhabitant = make_user(db, "jeanne@example.fr")
    sign_in_client(client, db, settings, inhabitant)
    assert client.get(page, headers=HTML).status_code == 403


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("budget;1000", "budget;99999999999999"),
        ("1;600;Jardin partagé", "1;99999999999999;Jardin partagé"),
    ],
)
def test_an_import_refuses_numbers_too_large_to_store(db: Session, old: str, new: str) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None)
    with pytest.raises(BadRequest, match="2147483647"):
        pabulib_io.import_pabulib(db, budget, SMALL.replace(old, new).encode())
    assert db.scalar(select(func.count()).select_from(Envelope)) == 1


def test_no_import_once_the_results_are_published(db: Session) -> None:
    from servicielle.core.db import utcnow
    from servicielle.core.errors import Conflict

    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None)
    budget.results_published_at = utcnow()
    db.flush()
    with pytest.raises(Conflict):
        pabulib_io.import_pabulib(db, budget, SMALL.encode())


def test_the_box_is_not_exported_nor_counted_while_the_vote_runs(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, object]
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process, zone_amount=None)
    sign_in_client(client, db, settings, roles["administrator"])  # type: ignore[arg-type]
    base = f"/admin/participation/budgets/{budget.id}/depouillement"
    # Two exports a few minutes apart, read against the register, would tell a vote.
    assert client.get(f"{base}/{wide.id}.pb", headers=HTML).status_code == 409
    token = csrf_token(client, base)
    counted = client.post(f"{base}/calculer", data={"csrf_token": token}, headers=HTML)
    assert counted.status_code == 409
    assert db.scalar(select(func.count()).select_from(Tally)) == 0


def test_an_import_refuses_too_many_projects_and_keeps_nothing(db: Session) -> None:
    process = make_process(db, phase=PhaseKind.RESULTS)
    budget, _wide, _zone = make_budget(db, process, zone_amount=None)
    many = "\n".join(f"{i};10;P{i}" for i in range(1, pabulib_io.MAX_IMPORT_PROJECTS + 2))
    text = SMALL.replace("1;600;Jardin partagé\n2;500;Bancs\n3;400;Fontaine", many)
    with pytest.raises(BadRequest, match=str(pabulib_io.MAX_IMPORT_PROJECTS)):
        pabulib_io.import_pabulib(db, budget, text.encode())
    assert db.scalar(select(func.count()).select_from(Envelope)) == 1
    # At the cap, every project is stored and the ballots point at the right ones.
    fits = "\n".join(f"{i};10;P{i}" for i in range(1, pabulib_io.MAX_IMPORT_PROJECTS + 1))
    summary = pabulib_io.import_pabulib(
        db,
        budget,
        SMALL.replace("1;600;Jardin partagé\n2;500;Bancs\n3;400;Fontaine", fits).encode(),
    )
    assert summary.projects == pabulib_io.MAX_IMPORT_PROJECTS
    assert (summary.ballots, summary.empty) == (3, 1)
    chosen = db.scalars(
        select(Project.title)
        .join(BallotChoice, BallotChoice.project_id == Project.id)
        .where(Project.envelope_id == summary.envelope.id)
    ).all()
    assert sorted(chosen) == ["P1", "P1", "P2", "P2", "P3"]
