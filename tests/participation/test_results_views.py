"""The count in the back office and the public results page, through HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.i18n import in_locale
from servicielle.participation.budgets import tallying
from servicielle.participation.budgets.models import Envelope, Project, Tally
from servicielle.participation.budgets.results import EnvelopeResult, explanation
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


def test_count_posts_are_capped_and_refused_once_published(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    _process, budget, _wide, _zone = voted_budget(db)
    sign_in_client(client, db, settings, roles["administrator"])
    page = f"/admin/participation/budgets/{budget.id}/depouillement"
    token = csrf_token(client, page)
    huge = client.post(
        f"{page}/calculer", data={"csrf_token": token, "x": "y" * (600 * 1024)}, headers=HTML
    )
    assert huge.status_code == 413
    published = client.post(
        f"{page}/publier", data={"csrf_token": token}, headers=HTML, follow_redirects=False
    )
    assert published.status_code == 303
    again = client.post(f"{page}/calculer", data={"csrf_token": token}, headers=HTML)
    assert again.status_code == 409
    assert "publiés" in again.text
    assert "Dépouiller les bulletins" not in again.text
    assert "can no longer be counted" in again.text or "ne peuvent plus" in again.text


def _story(ballots: int, step: dict[str, Any]) -> list[str]:
    """The explanation of one stored Equal Shares tally with a single round."""
    envelope = Envelope(id=1, title="Ville", amount=100_000)
    project = Project(id=7, envelope_id=1, title="Jardin", cost=40_000, selected=True)
    tally = Tally(
        envelope_id=1,
        rule="mes",
        completion=False,
        threshold="",
        ballots=ballots,
        outcome={"per_voter_budget": 100_000 / ballots, "rounds": [step], "spent": 40_000},
    )
    result = EnvelopeResult(envelope=envelope, projects=[project], configured=tally)
    with in_locale("en"):
        return explanation(result)


def test_the_rounds_read_right_for_one_supporter_and_for_nobody_paying_the_share() -> None:
    step = {
        "number": 1,
        "project": 7,
        "cost": 40_000,
        "share": 40_000,
        "dropped": [],
        "supporters": 1,
        "paid_share": 1,
        "paid_all_left": 0,
    }
    lines = _story(1, step)
    assert lines[0].startswith("The only voter received the whole envelope")
    assert "by its only supporter, who paid 40,000" in lines[1].replace("\xa0", " ")
    step.update(supporters=3, paid_share=0, paid_all_left=3)
    lines = _story(3, step)
    assert lines[0].startswith("Each of the 3 voters")
    assert lines[1].endswith("by its 3 supporters, each paying all they had left.")
    assert "0 paid" not in lines[1]
    step.update(supporters=3, paid_share=1, paid_all_left=2)
    assert "1 paid" in _story(3, step)[1]
    assert "2 paid all they had left" in _story(3, step)[1]
