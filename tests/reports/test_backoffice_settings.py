"""Settings of reports through their pages: categories, questions, routing, reply templates."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.reports.models import (
    CategoryQuestion,
    ReplyTemplate,
    ReportCategory,
    RoutingRule,
)
from tests.conftest import make_user
from tests.reports import test_backoffice as queue_tests
from tests.reports.conftest import FOURAS, OCEAN, ROCHEFORT, Territory, staff
from tests.reports.test_backoffice import HTML, Desk, signed_in, user_of

desk = queue_tests.desk  # the fixture, shared with the queue's tests
BASE = "/admin/signalements"


def post(client: TestClient, path: str, token: str, **form: Any) -> httpx.Response:
    """Post a settings form without following the redirect."""
    answer: httpx.Response = client.post(
        path, data={"csrf_token": token, **form}, headers=HTML, follow_redirects=False
    )
    return answer


def admin_client(client: TestClient, db: Session, settings: Settings) -> str:
    """Sign in an administrator; return the CSRF token."""
    return signed_in(client, db, settings, make_user(db, "reglages@example.fr", admin=True))


def test_only_administrators_configure_categories_and_routing(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@voirie.example.fr", territory.voirie)
    token = signed_in(client, db, settings, user_of(db, agent))
    for path in ("/categories", "/categories/nouvelle", "/orientation"):
        assert client.get(BASE + path, headers=HTML).status_code == 403, path
    assert post(client, f"{BASE}/categories/nouvelle", token, code="x").status_code == 403
    assert client.get(f"{BASE}/modeles", headers=HTML).status_code == 200


def test_category_crud_with_validation(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    token = admin_client(client, db, settings)
    listing = client.get(f"{BASE}/categories", headers=HTML)
    assert listing.status_code == 200
    assert "nid-de-poule" in listing.text
    bad = post(
        client,
        f"{BASE}/categories/nouvelle",
        token,
        code="tag sauvage!",
        name="",
        target_days="bientôt",
    )
    assert bad.status_code == 422
    for field in ("code", "name", "target_days"):
        assert f'id="category-{field}-error"' in bad.text, field
    assert 'value="tag sauvage!"' in bad.text  # what was typed stays
    taken = post(client, f"{BASE}/categories/nouvelle", token, code="nid-de-poule", name="X")
    assert taken.status_code == 422
    assert 'id="category-code-error"' in taken.text
    created = post(
        client,
        f"{BASE}/categories/nouvelle",
        token,
        code="tag",
        name="Tag",
        group="Propreté",
        target_days="10",
        active="1",
    )
    assert created.status_code == 303
    category = db.query(ReportCategory).filter_by(code="tag").one()
    assert (category.name, category.target_days, category.active) == ("Tag", 10, True)
    edit = f"{BASE}/categories/{category.id}"
    assert client.get(edit, headers=HTML).status_code == 200
    saved = post(client, edit, token, code="tag", name="Tag ou graffiti", position="3")
    assert saved.status_code == 303
    db.expire_all()
    assert (category.name, category.position, category.active) == ("Tag ou graffiti", 3, False)
    # Unused: deleted. Used: only deactivated, its reports keep their category.
    assert post(client, f"{edit}/suppression", token).status_code == 303
    assert db.query(ReportCategory).filter_by(code="tag").count() == 0
    used = post(client, f"{BASE}/categories/{territory.pothole.id}/suppression", token)
    assert used.status_code == 303
    assert "deactivated" in used.headers["location"]
    db.expire_all()
    assert territory.pothole.active is False
    assert client.get(f"{BASE}/categories/999999", headers=HTML).status_code == 404


def test_question_crud_with_validation(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    token = admin_client(client, db, settings)
    new = f"{BASE}/categories/{territory.pothole.id}/questions/nouvelle"
    form = client.get(new, headers=HTML)
    assert form.status_code == 200
    assert re.search(r'id="question-order"[^>]*value="3"', form.text)  # after 1 and 2
    bad = post(
        client,
        new,
        token,
        code="profondeur",
        datatype="singlevaluelist",
        order="1",
        description="Profondeur",
        values="peu=Peu profond\nsans égal",
    )
    assert bad.status_code == 422
    assert 'id="question-order-error"' in bad.text  # order 1 is taken
    assert 'id="question-values-error"' in bad.text  # line 2 has no "="
    not_a_list = post(
        client, new, token, code="x", datatype="number", order="4", description="X", values="a=A"
    )
    assert not_a_list.status_code == 422
    assert 'id="question-values-error"' in not_a_list.text
    unknown_type = post(client, new, token, code="y", datatype="photo", order="5", description="Y")
    assert unknown_type.status_code == 422
    assert 'id="question-datatype-error"' in unknown_type.text
    created = post(
        client,
        new,
        token,
        code="profondeur",
        datatype="singlevaluelist",
        order="3",
        description="Profondeur",
        values="peu=Peu profond\r\nbeaucoup=Très profond",
        required="1",
        variable="1",
    )
    assert created.status_code == 303
    question = db.query(CategoryQuestion).filter_by(code="profondeur").one()
    assert question.values == [
        {"key": "peu", "name": "Peu profond"},
        {"key": "beaucoup", "name": "Très profond"},
    ]
    assert question.required
    assert question.variable
    edit = f"{BASE}/categories/{territory.pothole.id}/questions/{question.id}"
    page = client.get(edit, headers=HTML)
    assert "peu=Peu profond\nbeaucoup=Très profond" in page.text
    clash = post(client, edit, token, code="taille", datatype="string", order="3", description="Z")
    assert clash.status_code == 422
    assert 'id="question-code-error"' in clash.text
    assert post(client, f"{edit}/suppression", token).status_code == 303
    assert db.query(CategoryQuestion).filter_by(code="profondeur").count() == 0
    other = f"{BASE}/categories/{territory.dumping.id}/questions/{question.id}"
    assert client.get(other, headers=HTML).status_code == 404


def test_routing_rules_ranked_edited_and_tested(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    token = admin_client(client, db, settings)
    page = client.get(f"{BASE}/orientation", headers=HTML)
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td class=\"num\">(\d+)</td>\s*<td>([^<]*)</td>", page.text)
    # The geozone rule for dumping outranks the plain category rules; the fallback comes last.
    assert [name for _n, name in rows][0] == "Dépôt sauvage"
    names = {territory.pothole.name, territory.dumping.name, territory.lighting.name}
    assert rows[-1][1] not in names
    assert len(rows) == 5
    bad = post(client, f"{BASE}/orientation", token, category="abc", commune="99999")
    assert bad.status_code == 422
    for field in ("category", "commune", "organisation"):
        assert f'id="rule-{field}-error"' in bad.text, field
    same = post(
        client,
        f"{BASE}/orientation",
        token,
        category=str(territory.pothole.id),
        organisation=str(territory.proprete.id),
    )
    assert same.status_code == 409  # voirie's rule already has these criteria
    created = post(
        client,
        f"{BASE}/orientation",
        token,
        category=str(territory.pothole.id),
        commune="17168",
        organisation=str(territory.agglomeration.id),
    )
    assert created.status_code == 303
    rule = db.query(RoutingRule).filter_by(commune_code="17168").one()

    def tested(at: tuple[float, float], category: ReportCategory) -> httpx.Response:
        answer: httpx.Response = client.get(
            f"{BASE}/orientation",
            params={"test": "1", "category": category.id, "lat": at[0], "lon": at[1]},
            headers=HTML,
        )
        return answer

    fouras = tested(FOURAS, territory.pothole)
    assert fouras.status_code == 200
    assert re.search(r'role="status">\s*<p>[^<]*agglomération', fouras.text, re.I)
    rochefort = tested(ROCHEFORT, territory.pothole)
    assert re.search(r"role=\"status\">\s*<p>[^<]*voirie", rochefort.text, re.I)
    ocean = tested(OCEAN, territory.pothole)
    assert ocean.status_code == 422
    assert 'href="#test-lat"' in ocean.text
    nonsense = client.get(
        f"{BASE}/orientation", params={"test": "1", "lat": "nord", "lon": ""}, headers=HTML
    )
    assert nonsense.status_code == 422
    assert 'href="#test-category"' in nonsense.text
    assert 'href="#test-lon"' in nonsense.text

    edit = f"{BASE}/orientation/{rule.id}"
    assert client.get(edit, headers=HTML).status_code == 200
    saved = post(client, edit, token, commune="17168", organisation=str(territory.voirie.id))
    assert saved.status_code == 303
    db.expire_all()
    assert (rule.category_id, rule.organisation_id) == (None, territory.voirie.id)
    assert post(client, f"{edit}/suppression", token).status_code == 303
    assert db.query(RoutingRule).filter_by(commune_code="17168").count() == 0


def test_reply_templates_per_organisation(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    shared = ReplyTemplate(title="Commun", body="Pour tous")
    theirs = ReplyTemplate(organisation_id=territory.proprete.id, title="Leur", body="Propreté")
    db.add_all([shared, theirs])
    db.flush()
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    new = f"{BASE}/modeles/nouveau"
    form = client.get(new, headers=HTML)
    assert form.status_code == 200
    assert f'<option value="{territory.proprete.id}"' not in form.text
    empty = post(client, new, token, title="", body="", organisation="", status="zzz")
    assert empty.status_code == 422
    for field in ("title", "body", "organisation", "status"):
        assert f'id="template-{field}-error"' in empty.text, field
    elsewhere = post(
        client, new, token, title="A", body="B", organisation=str(territory.proprete.id)
    )
    assert elsewhere.status_code == 422
    created = post(
        client,
        new,
        token,
        title="Planifié",
        body="Une équipe passera cette semaine.",
        status="planned",
        organisation=str(territory.voirie.id),
    )
    assert created.status_code == 303
    template = db.query(ReplyTemplate).filter_by(title="Planifié").one()
    listing = client.get(f"{BASE}/modeles", headers=HTML)
    assert "Planifié" in listing.text
    assert "Leur" not in listing.text
    # An agent edits their own organisation's templates only.
    for other in (shared, theirs):
        assert client.get(f"{BASE}/modeles/{other.id}", headers=HTML).status_code == 403
        assert post(client, f"{BASE}/modeles/{other.id}/suppression", token).status_code == 403
    saved = post(
        client,
        f"{BASE}/modeles/{template.id}",
        token,
        title="Planifié",
        body="Une équipe passera lundi.",
        status="planned",
        organisation=str(territory.voirie.id),
    )
    assert saved.status_code == 303
    db.expire_all()
    assert template.body == "Une équipe passera lundi."
    assert post(client, f"{BASE}/modeles/{template.id}/suppression", token).status_code == 303
    assert db.query(ReplyTemplate).filter_by(title="Planifié").count() == 0

    # An administrator writes templates for every organisation.
    client.cookies.clear()
    token = admin_client(client, db, settings)
    made = post(client, new, token, title="Pour tous", body="Merci.", organisation="")
    db.expire_all()
    assert made.status_code == 303
    assert db.query(ReplyTemplate).filter_by(title="Pour tous").one().organisation_id is None
