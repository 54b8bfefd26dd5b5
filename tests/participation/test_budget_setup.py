"""The budget set-up through its pages: budgets and their rules, envelopes, projects, projects
from accepted proposals, and the freeze once people voted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import Conflict, InvalidInput
from servicielle.participation.budgets import setup
from servicielle.participation.budgets.models import Ballot, Budget, Envelope, Project
from servicielle.participation.models import PhaseKind, Proposal, ProposalState
from servicielle.participation.processes import service
from tests.participation.factories import load_territory, make_budget, make_category, make_process
from tests.participation.test_processes import BASE, HTML, admin, post, signed_in


def budget_form(**changes: Any) -> dict[str, Any]:
    """A valid budget form, changed by ``changes``."""
    return {
        "title": "Budget 2027",
        "description": "Cinq pour cent de l'investissement.",
        "ballot_kind": "knapsack",
        "min_projects": "1",
        "max_projects": "5",
        "min_spend_percent": "70",
        "points_total": "10",
        "points_per_project": "3",
        "min_age": "16",
        "residents_only": "1",
        "tally_rule": "mes-add1",
        "tally_completion": "1",
        "tally_threshold": "",
        **changes,
    }


def cast_ballot(db: Session, budget: Budget) -> None:
    """A ballot in the budget: from now on its rules are frozen."""
    db.add(Ballot(id=uuid.uuid4().hex, budget_id=budget.id))
    db.flush()


def test_create_and_edit_a_budget(client: TestClient, db: Session, settings: Settings) -> None:
    process = make_process(db, slug="bp")
    token = admin(client, db, settings)
    form = client.get(f"{BASE}/processus/{process.id}/budgets/nouveau", headers=HTML)
    assert form.status_code == 200
    answer = post(client, f"{BASE}/processus/{process.id}/budgets/nouveau", token, **budget_form())
    assert answer.status_code == 303, answer.text
    budget = db.scalars(select(Budget).where(Budget.process_id == process.id)).one()
    assert (budget.ballot_kind, budget.max_projects, budget.min_spend_percent) == (
        "knapsack",
        5,
        70,
    )
    assert (budget.tally_rule, budget.tally_completion, budget.tally_threshold) == (
        "mes-add1",
        True,
        None,
    )
    assert (
        f"/admin/participation/budgets/{budget.id}"
        in client.get(f"{BASE}/processus/{process.id}", headers=HTML).text
    )
    changed = post(
        client,
        f"{BASE}/budgets/{budget.id}",
        token,
        **budget_form(ballot_kind="cumulative", max_projects="", tally_threshold="swiecie"),
    )
    assert changed.status_code == 303
    db.expire_all()
    assert (budget.ballot_kind, budget.max_projects, budget.tally_threshold) == (
        "cumulative",
        None,
        "swiecie",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"min_projects": "4", "max_projects": "2"}, "max_projects", "at least the minimum"),
        ({"min_spend_percent": "120"}, "min_spend_percent", "between 0 and 100"),
        ({"points_total": "0"}, "points_total", "between 1 and"),
        ({"points_per_project": "11"}, "points_per_project", "more points than a voter has"),
        ({"ballot_kind": "borda"}, "ballot_kind", "Choose one of the options"),
        ({"tally_rule": "dhondt"}, "tally_rule", "Choose one of the options"),
        ({"tally_threshold": "autre"}, "tally_threshold", "Choose one of the options"),
        ({"min_age": "-3"}, "min_age", "between 0 and 120"),
        ({"title": ""}, "title", "This field is required"),
    ],
)
def test_budget_rules_must_be_coherent(
    client: TestClient,
    db: Session,
    settings: Settings,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    process = make_process(db, slug="bp")
    token = admin(client, db, settings)
    answer = post(
        client, f"{BASE}/processus/{process.id}/budgets/nouveau", token, **budget_form(**changes)
    )
    assert answer.status_code == 422
    assert f'id="budget-{field}-error"' in answer.text
    assert message in answer.text
    assert db.scalars(select(Budget).where(Budget.process_id == process.id)).first() is None


def test_envelopes_one_per_geozone_and_one_territory_wide(
    client: TestClient, db: Session, settings: Settings
) -> None:
    zones = load_territory(db)
    process = make_process(db, slug="bp")
    budget = setup.create_budget(db, process, title="Budget")
    token = admin(client, db, settings)
    url = f"{BASE}/budgets/{budget.id}/enveloppes/nouvelle"
    assert client.get(url, headers=HTML).status_code == 200
    wide = post(client, url, token, title="Toute la ville", amount="1 000 000 €", geozone_id="")
    assert wide.status_code == 303, wide.text
    again = post(client, url, token, title="Encore", amount="5", geozone_id="")
    assert again.status_code == 422
    assert 'id="envelope-geozone_id-error"' in again.text
    zone = post(client, url, token, title=zones[0].name, amount="200000", geozone_id=zones[0].id)
    assert zone.status_code == 303
    twice = post(client, url, token, title="Bis", amount="1", geozone_id=zones[0].id)
    assert twice.status_code == 422
    for amount in ("0", "douze", "-5", "3000000000"):
        bad = post(client, url, token, title="X", amount=amount, geozone_id=zones[1].id)
        assert bad.status_code == 422, amount
        assert 'id="envelope-amount-error"' in bad.text
    unknown = post(client, url, token, title="X", amount="5", geozone_id="999999")
    assert 'id="envelope-geozone_id-error"' in unknown.text
    envelopes = db.scalars(select(Envelope).where(Envelope.budget_id == budget.id)).all()
    assert sorted((e.amount, e.geozone_id) for e in envelopes) == sorted(
        [(1_000_000, None), (200_000, zones[0].id)]
    )
    page = client.get(f"{BASE}/budgets/{budget.id}", headers=HTML)
    assert "Toute la ville" in page.text


def project_form(envelope: Envelope, **changes: Any) -> dict[str, Any]:
    """A valid project form, changed by ``changes``."""
    return {
        "envelope_id": str(envelope.id),
        "title": "Un jardin partagé",
        "description": "Au pied des immeubles.",
        "cost": "25000",
        "category_id": "",
        "geozone_id": "",
        "address": "Place Colbert",
        "latitude": "45,9369",
        "longitude": "-0.9613",
        **changes,
    }


def test_projects_crud_with_validation(client: TestClient, db: Session, settings: Settings) -> None:
    process = make_process(db, slug="bp")
    budget, wide, _zone = make_budget(db, process, costs=())
    category = make_category(db)
    token = admin(client, db, settings)
    assert (
        client.get(f"{BASE}/budgets/{budget.id}/projets/nouveau", headers=HTML).status_code == 200
    )
    url = f"{BASE}/budgets/{budget.id}/projets/nouveau"
    made = post(client, url, token, **project_form(wide, category_id=str(category.id)))
    assert made.status_code == 303, made.text
    project = db.scalars(select(Project).where(Project.envelope_id == wide.id)).one()
    assert (project.cost, project.category_id, project.latitude) == (25_000, category.id, 45.9369)
    for changes, field in [
        ({"cost": "0"}, "cost"),
        ({"cost": "100001"}, "cost"),  # more than the envelope holds
        ({"title": ""}, "title"),
        ({"envelope_id": "0"}, "envelope_id"),
        ({"latitude": "95"}, "latitude"),
        ({"longitude": ""}, "latitude"),
        ({"category_id": "abc"}, "category_id"),
    ]:
        bad = post(client, url, token, **project_form(wide, **changes))
        assert bad.status_code == 422, changes
        assert f'id="project-{field}-error"' in bad.text, changes
    page = client.get(f"{BASE}/budgets/{budget.id}/projets", headers=HTML)
    assert page.status_code == 200
    assert "Un jardin partagé" in page.text
    edit = post(
        client,
        f"{BASE}/budgets/{budget.id}/projets/{project.id}",
        token,
        **project_form(wide, title="Un grand jardin", cost="30000"),
    )
    assert edit.status_code == 303
    db.expire_all()
    assert (project.title, project.cost) == ("Un grand jardin", 30_000)
    gone = post(client, f"{BASE}/budgets/{budget.id}/projets/{project.id}/suppression", token)
    assert gone.status_code == 303
    wide_id = wide.id
    db.expunge_all()
    assert db.scalars(select(Project).where(Project.envelope_id == wide_id)).first() is None


def test_projects_from_accepted_proposals(
    client: TestClient, db: Session, settings: Settings
) -> None:
    zones = load_territory(db)
    process = make_process(db, slug="bp", phase=PhaseKind.EVALUATION)
    budget, wide, zone = make_budget(db, process, costs=())
    assert zone is not None
    category = make_category(db)

    def proposal(title: str, state: str, cost: int | None, geozone_id: int | None) -> Proposal:
        row = Proposal(
            process_id=process.id,
            title=title,
            body=f"Corps de {title}",
            state=state,
            cost_estimate=cost,
            geozone_id=geozone_id,
            category_id=category.id,
            latitude=45.94,
            longitude=-0.96,
            address="Quai aux vivres",
        )
        db.add(row)
        db.flush()
        return row

    in_zone = proposal("Bancs au parc", ProposalState.ACCEPTED, 8_000, zones[0].id)
    elsewhere = proposal("Piste cyclable", ProposalState.ACCEPTED, 60_000, zones[1].id)
    proposal("Refusée", ProposalState.REJECTED, 5_000, None)
    proposal("Sans coût", ProposalState.ACCEPTED, None, None)
    too_dear = proposal("Trop chère", ProposalState.ACCEPTED, 90_000, zones[0].id)
    token = admin(client, db, settings)
    page = client.get(f"{BASE}/budgets/{budget.id}/projets", headers=HTML)
    assert "Bancs au parc" in page.text
    assert "Refusée" not in page.text
    assert "Sans coût" not in page.text
    # The default envelope: the proposal's geozone's, else the territory-wide one.
    assert (
        f'<option value="{zone.id}" selected>'
        in page.text.split(f'name="envelope-{in_zone.id}"')[1].split("</select>")[0]
    )
    assert (
        f'<option value="{wide.id}" selected>'
        in page.text.split(f'name="envelope-{elsewhere.id}"')[1].split("</select>")[0]
    )
    url = f"{BASE}/budgets/{budget.id}/projets/depuis-propositions"
    nothing = post(client, url, token)
    assert nothing.status_code == 422
    # The zone's envelope holds 50 000 €: the dear one cannot go there, and then nothing is made.
    refused = post(
        client,
        url,
        token,
        proposals=[str(in_zone.id), str(too_dear.id)],
        **{f"envelope-{in_zone.id}": str(zone.id), f"envelope-{too_dear.id}": str(zone.id)},
    )
    assert refused.status_code == 422
    assert f'id="from-envelope-{too_dear.id}-error"' in refused.text
    assert db.scalars(select(Project).where(Project.proposal_id.is_not(None))).first() is None
    made = post(
        client,
        url,
        token,
        proposals=[str(in_zone.id), str(elsewhere.id)],
        **{f"envelope-{in_zone.id}": str(zone.id), f"envelope-{elsewhere.id}": str(wide.id)},
    )
    assert made.status_code == 303, made.text
    assert "done=created&n=2" in made.headers["location"]
    projects = {
        p.proposal_id: p
        for p in db.scalars(select(Project).where(Project.proposal_id.is_not(None)))
    }
    assert set(projects) == {in_zone.id, elsewhere.id}
    bench = projects[in_zone.id]
    assert (bench.envelope_id, bench.title, bench.description, bench.cost) == (
        zone.id,
        "Bancs au parc",
        "Corps de Bancs au parc",
        8_000,
    )
    assert (bench.geozone_id, bench.category_id, bench.address) == (
        zones[0].id,
        category.id,
        "Quai aux vivres",
    )
    assert projects[elsewhere.id].envelope_id == wide.id
    # Made once: they are no longer offered.
    again = client.get(f"{BASE}/budgets/{budget.id}/projets", headers=HTML)
    assert f'name="envelope-{in_zone.id}"' not in again.text
    twice = post(
        client, url, token, proposals=[str(in_zone.id)], **{f"envelope-{in_zone.id}": str(zone.id)}
    )
    assert twice.status_code == 422


def test_nothing_ballots_depend_on_changes_once_people_voted(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = make_process(db, slug="bp", phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process, ballot_kind="approval", max_projects=3)
    project = db.scalars(select(Project).where(Project.envelope_id == wide.id)).first()
    assert project is not None
    cast_ballot(db, budget)
    token = admin(client, db, settings)
    page = client.get(f"{BASE}/budgets/{budget.id}", headers=HTML)
    assert "People have already voted in this budget" in page.text
    # The rules are sent disabled; changing them by hand is refused all the same.
    sneaky = post(
        client, f"{BASE}/budgets/{budget.id}", token, **budget_form(ballot_kind="knapsack")
    )
    assert sneaky.status_code == 303
    db.expire_all()
    assert budget.ballot_kind == "approval"
    renamed = post(client, f"{BASE}/budgets/{budget.id}", token, title="Budget 2026 (vote ouvert)")
    assert renamed.status_code == 303
    db.expire_all()
    assert budget.title == "Budget 2026 (vote ouvert)"
    assert budget.max_projects == 3
    refusals = [
        post(client, f"{BASE}/budgets/{budget.id}/projets/nouveau", token, **project_form(wide)),
        post(
            client,
            f"{BASE}/budgets/{budget.id}/projets/{project.id}",
            token,
            **project_form(wide, cost="1"),
        ),
        post(client, f"{BASE}/budgets/{budget.id}/projets/{project.id}/suppression", token),
        post(
            client,
            f"{BASE}/budgets/{budget.id}/enveloppes/{wide.id}",
            token,
            title="X",
            amount="1",
            geozone_id="",
        ),
        post(client, f"{BASE}/budgets/{budget.id}/enveloppes/{wide.id}/suppression", token),
        post(client, f"{BASE}/budgets/{budget.id}/suppression", token),
    ]
    for answer in refusals:
        assert answer.status_code == 409, answer.request.url
        assert "keeps the meaning it had when it was cast" in answer.text
    db.expire_all()
    assert project.cost == 40_000
    assert wide.amount == 100_000
    with pytest.raises(Conflict):
        setup.update_budget(db, budget, process, title="X", ballot_kind="knapsack")


def test_the_typed_functions_the_demo_uses(db: Session) -> None:
    zones = load_territory(db)
    process = service.create_process(
        db, slug="demo-bp", title="Budget participatif", scope=[zones[0].slug], published=True
    )
    from tests.participation.test_processes_phases import local

    service.add_phase(
        db,
        process,
        kind=PhaseKind.VOTE,
        starts_at=local("2026-05-01T00:00"),
        ends_at=local("2026-06-01T00:00"),
    )
    budget = setup.create_budget(db, process, title="Budget", ballot_kind="knapsack")
    wide = setup.add_envelope(db, budget, title="Tout le territoire", amount=300_000)
    zone = setup.add_envelope(
        db, budget, title=zones[0].name, amount=100_000, geozone_id=zones[0].id
    )
    first = setup.add_project(db, budget, wide, title="Piste", cost=120_000)
    second = setup.add_project(db, budget, zone, title="Bancs", cost=9_000, geozone_id=zones[0].id)
    assert (first.position, second.position) == (0, 0)
    assert setup.add_project(db, budget, wide, title="Parc", cost=1).position == 1
    # Updates change what they name and keep the rest.
    setup.update_budget(db, budget, process, title="Budget 2026")
    assert (budget.title, budget.ballot_kind) == ("Budget 2026", "knapsack")
    service.update_process(db, process, title="Autre titre")
    assert (process.title, process.scope, process.published) == (
        "Autre titre",
        [zones[0].slug],
        True,
    )
    with pytest.raises(InvalidInput):
        setup.add_envelope(db, budget, title="Doublon", amount=5)
    with pytest.raises(InvalidInput):
        setup.create_budget(db, process, title="Incohérent", min_projects=3, max_projects=2)


def test_agents_without_the_permission_cannot_set_budgets_up(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    process = make_process(db, slug="bp")
    budget, wide, _zone = make_budget(db, process)
    token = signed_in(client, db, settings, roles["agent"])
    for path in (
        f"/processus/{process.id}/budgets/nouveau",
        f"/budgets/{budget.id}",
        f"/budgets/{budget.id}/projets",
        f"/budgets/{budget.id}/enveloppes/{wide.id}",
    ):
        assert client.get(BASE + path, headers=HTML).status_code == 403, path
    assert post(client, f"{BASE}/budgets/{budget.id}/suppression", token).status_code == 403
    assert db.get(Budget, budget.id) is not None


def test_an_envelope_cannot_shrink_below_one_of_its_projects(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = make_process(db, slug="bp")
    budget, wide, _zone = make_budget(db, process, zone_amount=None)
    token = admin(client, db, settings)
    url = f"{BASE}/budgets/{budget.id}/enveloppes/{wide.id}"
    shrunk = post(client, url, token, title=wide.title, amount="35000", geozone_id="")
    assert shrunk.status_code == 422
    assert 'id="envelope-amount-error"' in shrunk.text
    assert "40" in shrunk.text
    db.refresh(wide)
    assert wide.amount == 100_000
    enough = post(client, url, token, title=wide.title, amount="40000", geozone_id="")
    assert enough.status_code == 303
    page = client.get(f"{BASE}/budgets/{budget.id}", headers=HTML)
    assert '<td class="num">4</td>' in page.text  # its projects, counted in one query
