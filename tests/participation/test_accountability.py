"""Accountability: results from the winners, progress by status, weighted mean, pages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import Conflict, InvalidInput
from servicielle.participation.accountability import service, views
from servicielle.participation.accountability.models import Milestone, Result
from servicielle.participation.budgets import tallying
from servicielle.participation.models import PhaseKind
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.test_tallying import voted_budget

HTML = {"Accept": "text/html"}


def followed(db: Session, phase: PhaseKind = PhaseKind.IMPLEMENTATION):
    """A published budget whose winners are followed as results."""
    process, budget, wide, zone = voted_budget(db, phase=phase)
    tallying.publish(db, budget)
    return process, budget, service.create_from_winners(db, budget)


def form(result: Result, **changes: str) -> dict[str, str]:
    """A result's form as posted, with ``changes``."""
    values = {
        "title": result.title,
        "description": result.description,
        "status": result.status,
        "progress": str(result.progress),
        "budget": str(result.budget or ""),
        "spent": str(result.spent),
        "starts_on": "",
        "ends_on": "",
    }
    values.update(changes)
    return values


def test_results_come_from_the_winners_once(db: Session) -> None:
    _process, budget, results = followed(db)
    funded = tallying.configured_tallies(db, budget)
    expected = sum(len(t.outcome["selected"]) for t in funded.values())
    assert len(results) == expected
    first = results[0]
    assert first.budget is not None
    assert first.budget > 0
    assert (first.status, first.progress) == ("planned", 0)
    assert service.create_from_winners(db, budget) == []


def test_results_need_published_results(db: Session) -> None:
    _process, budget, _wide, _zone = voted_budget(db)
    with pytest.raises(Conflict):
        service.create_from_winners(db, budget)


def test_a_new_status_brings_its_progress_unless_one_is_given(db: Session) -> None:
    _process, _budget, results = followed(db)
    result = results[0]
    service.update_result(db, result, form(result, status="works"))
    assert result.progress == 50
    service.update_result(db, result, form(result, status="delivered", progress="80"))
    assert result.progress == 80
    service.update_result(db, result, form(result, status="abandoned"))
    assert result.progress == 80  # frozen
    with pytest.raises(InvalidInput) as refused:
        service.update_result(db, result, form(result, progress="140", spent="12,5"))
    assert set(refused.value.by_field()) == {"progress", "spent"}
    with pytest.raises(InvalidInput) as dates:
        service.update_result(
            db, result, form(result, starts_on="2026-05-01", ends_on="2026-04-01")
        )
    assert "ends_on" in dates.value.by_field()


def test_overall_progress_is_weighted_by_budget_when_all_have_one() -> None:
    big = Result(title="A", progress=100, budget=300_000, status="delivered")
    small = Result(title="B", progress=0, budget=100_000, status="planned")
    assert service.overall_progress([big, small]) == 75
    small.budget = None
    assert service.overall_progress([big, small]) == 50
    assert service.overall_progress([]) is None


def test_the_public_page_shows_progress_and_milestones(client: TestClient, db: Session) -> None:
    process, _budget, results = followed(db)
    result = results[0]
    service.update_result(db, result, form(result, status="works", spent="1000"))
    service.add_milestone(db, result, {"on": "2026-03-01", "title": "Études terminées"})
    page = client.get(f"/participation/{process.slug}/realisations", headers=HTML)
    assert page.status_code == 200
    assert result.title in page.text
    assert "Études terminées" in page.text
    assert "50" in page.text


def test_the_public_page_is_hidden_before_implementation(client: TestClient, db: Session) -> None:
    process, _budget, _results = followed(db, phase=PhaseKind.RESULTS)
    page = client.get(f"/participation/{process.slug}/realisations", headers=HTML)
    assert page.status_code == 404


def test_staff_follow_results_in_the_back_office(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    process, budget, _wide, _zone = voted_budget(db, phase=PhaseKind.IMPLEMENTATION)
    tallying.publish(db, budget)
    base = "/admin/participation/realisations"
    assert client.get(base, headers=HTML, follow_redirects=False).status_code == 303
    sign_in_client(client, db, settings, make_user(db, "jeanne@example.fr"))
    assert client.get(base, headers=HTML).status_code == 403
    sign_in_client(client, db, settings, roles["agent"])
    assert client.get(base, headers=HTML).status_code == 200
    token = csrf_token(client, base)
    created = client.post(
        f"{base}/depuis-budget",
        data={"csrf_token": token, "budget": str(budget.id)},
        headers=HTML,
        follow_redirects=False,
    )
    assert created.status_code == 303
    result = db.scalars(select(Result).where(Result.process_id == process.id)).first()
    assert result is not None
    edit = f"{base}/{result.id}"
    assert client.get(edit, headers=HTML).status_code == 200
    saved = client.post(
        edit,
        data={**form(result, status="studies"), "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    db.refresh(result)
    assert result.progress == 10
    bad = client.post(
        edit, data={**form(result, progress="abc"), "csrf_token": token}, headers=HTML
    )
    assert bad.status_code == 422
    assert 'id="progress-error"' in bad.text
    added = client.post(
        f"{edit}/jalons",
        data={"csrf_token": token, "on": "2026-06-01", "title": "Travaux lancés"},
        headers=HTML,
        follow_redirects=False,
    )
    assert added.status_code == 303
    milestone = db.scalars(select(Milestone).where(Milestone.result_id == result.id)).one()
    no_date = client.post(
        f"{edit}/jalons/{milestone.id}",
        data={"csrf_token": token, "on": "", "title": "Travaux"},
        headers=HTML,
    )
    assert no_date.status_code == 422
    assert f'id="m{milestone.id}-on-error"' in no_date.text
    gone = client.post(
        f"{edit}/jalons/{milestone.id}/supprimer",
        data={"csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert db.scalars(select(Milestone).where(Milestone.result_id == result.id)).first() is None
    assert client.get(f"{base}/999999", headers=HTML).status_code == 404


@pytest.mark.parametrize(
    "typed", ["2026-05-31 oops", "20260531", "２０２６-05-31", "0206-05-31", "2026-13-01", "\x00"]
)
def test_a_date_is_a_whole_iso_date_of_a_plausible_year(db: Session, typed: str) -> None:
    _process, _budget, results = followed(db)
    with pytest.raises(InvalidInput) as refused:
        service.update_result(db, results[0], form(results[0], starts_on=typed))
    assert "starts_on" in refused.value.by_field()
    with pytest.raises(InvalidInput) as milestone:
        service.add_milestone(db, results[0], {"on": typed, "title": "Études"})
    assert "new-on" in milestone.value.by_field()


def test_an_abandoned_result_is_not_drawn_as_under_way_on_the_map() -> None:
    abandoned = Result(
        title="Kiosque", progress=100, status="abandoned", latitude=45.9, longitude=-0.9
    )
    delivered = Result(
        title="Banc", progress=100, status="delivered", latitude=45.9, longitude=-0.9
    )
    points = views.map_points([abandoned, delivered])
    assert [p["selected"] for p in points] == [False, True]
    assert service.status_label("abandoned") in points[0]["title"]


def test_a_huge_post_is_refused_before_being_read(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    sign_in_client(client, db, settings, roles["agent"])
    base = "/admin/participation/realisations"
    token = csrf_token(client, base)
    huge = client.post(
        f"{base}/depuis-budget",
        data={"csrf_token": token, "budget": "1", "x": "y" * (600 * 1024)},
        headers=HTML,
    )
    assert huge.status_code == 413
    forged = client.post(f"{base}/depuis-budget", data={"budget": "1"}, headers=HTML)
    assert forged.status_code == 403
