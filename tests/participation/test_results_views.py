"""The count in the back office and the public results page, through HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.participation.budgets import tallying
from servicielle.participation.models import PhaseKind
from servicielle.participation.tally import pabulib
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.test_tallying import projects_of, voted_budget

HTML = {"Accept": "text/html"}


def test_the_results_page_is_hidden_before_publication(client: TestClient, db: Session) -> None:
    process, budget, wide, _zone = voted_budget(db, phase=PhaseKind.EVALUATION)
    tallying.compute(db, budget)
    assert client.get(f"/participation/{process.slug}/resultats", headers=HTML).status_code == 404
    download = client.get(f"/participation/{process.slug}/resultats/{wide.id}.pb")
    assert download.status_code == 404


def test_the_results_phase_shows_the_page_before_publication(
    client: TestClient, db: Session
) -> None:
    process, _budget, wide, _zone = voted_budget(db)
    page = client.get(f"/participation/{process.slug}/resultats", headers=HTML)
    assert page.status_code == 200
    assert "notice-info" in page.text  # "the results will appear here once published"
    assert projects_of(db, wide)[0].title not in page.text


def test_published_results_show_winners_rounds_comparison_and_file(
    client: TestClient, db: Session
) -> None:
    process, budget, wide, _zone = voted_budget(db, tally_rule="mes")
    a, _b, _c, d = projects_of(db, wide)
    a.latitude, a.longitude = 45.94, -0.96
    tallying.compute(db, budget)
    tallying.publish(db, budget)
    page = client.get(f"/participation/{process.slug}/resultats", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert a.title in text
    assert d.title in text
    assert f'id="rounds-{wide.id}"' in text  # the round-by-round explanation
    assert f'id="comparison-{wide.id}"' in text
    assert 'class="map pr-map"' in text
    assert f"/participation/{process.slug}/resultats/{wide.id}.pb" in text
    download = client.get(f"/participation/{process.slug}/resultats/{wide.id}.pb")
    assert download.status_code == 200
    instance = pabulib.parse(download.text)
    assert instance.voters == 10
    assert instance.projects[str(a.id)].fields["selected"] == "1"
    assert client.get(f"/participation/{process.slug}/resultats/abc.pb").status_code == 404
    assert client.get("/participation/inconnue/resultats", headers=HTML).status_code == 404


def test_agents_count_and_publish_from_the_back_office(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    process, budget, wide, _zone = voted_budget(db)
    page = f"/admin/participation/budgets/{budget.id}/depouillement"
    assert client.get(page, headers=HTML, follow_redirects=False).status_code == 303
    sign_in_client(client, db, settings, roles["agent"])
    assert client.get(page, headers=HTML).status_code == 403
    sign_in_client(client, db, settings, roles["administrator"])
    shown = client.get(page, headers=HTML)
    assert shown.status_code == 200
    assert wide.title in shown.text
    token = csrf_token(client, page)
    computed = client.post(
        f"{page}/calculer", data={"csrf_token": token}, headers=HTML, follow_redirects=False
    )
    assert computed.status_code == 303
    after = client.get(page, headers=HTML)
    assert after.text.count('id="winners-') == 6  # three rules for each envelope
    pb = client.get(f"{page}/{wide.id}.pb")
    assert pb.status_code == 200
    assert pabulib.parse(pb.text).voters == 10
    published = client.post(
        f"{page}/publier", data={"csrf_token": token}, headers=HTML, follow_redirects=False
    )
    assert published.status_code == 303
    db.refresh(budget)
    assert budget.results_published_at is not None
    assert client.get("/admin/participation/budgets/999999/depouillement").status_code == 404
    assert client.get("/admin/participation/budgets/x/depouillement").status_code == 404


def test_publishing_before_the_vote_ends_is_refused_in_french(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    _process, budget, _wide, _zone = voted_budget(db, phase=PhaseKind.VOTE)
    sign_in_client(client, db, settings, roles["administrator"])
    page = f"/admin/participation/budgets/{budget.id}/depouillement"
    token = csrf_token(client, page)
    refused = client.post(f"{page}/publier", data={"csrf_token": token}, headers=HTML)
    assert refused.status_code == 409
    assert 'id="publish-error"' in refused.text
    assert budget.results_published_at is None
    inhabitant = make_user(db, "jeanne@example.fr")
    sign_in_client(client, db, settings, inhabitant)
    denied = client.post(f"{page}/calculer", data={"csrf_token": token}, headers=HTML)
    assert denied.status_code == 403
