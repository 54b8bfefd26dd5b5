"""The back office against odd input: Unicode digits, numbers no row can have, NUL bytes,
line breaks in one-line fields, and reports their reporter has not confirmed yet."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.permissions import ANONYMOUS
from servicielle.reports.models import (
    CategoryQuestion,
    ReplyTemplate,
    ReportCategory,
    ReportStatus,
    RoutingRule,
)
from tests.reports import test_backoffice as queue_tests
from tests.reports.conftest import Territory, report
from tests.reports.test_backoffice import HTML, Desk, queue_ids, signed_in, status_counts, user_of
from tests.reports.test_backoffice_report import post
from tests.reports.test_backoffice_settings import BASE, admin_client

desk = queue_tests.desk  # the fixture, shared with the queue's tests
# Past PostgreSQL's INTEGER ("integer out of range"), and past SQLite's 64 bits.
TOO_LARGE = ("2147483648", "9223372036854775808", "9" * 40)


def test_unicode_digits_and_huge_numbers_are_ignored_never_a_server_error(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    mine = {desk.pothole.id, desk.pothole_fouras.id}
    base = f"/admin/signalements/{desk.pothole.id}"
    for value in ("²", "١٢", "1²", *TOO_LARGE):
        for name in ("category", "organisation", "q"):
            page = client.get("/admin/signalements", params={name: value}, headers=HTML)
            assert page.status_code == 200, (name, value)
            assert queue_ids(page.text) == (set() if name == "q" else mine), (name, value)
        done = client.get("/admin/signalements", params={"done": "status", "n": value})
        assert done.status_code == 200, value
        assert re.search(r'role="status">\s*1 ', done.text), value
        # Ticked boxes and choices that no report or person can be: nothing ticked.
        ticked = post(
            client, "/admin/signalements/lot", token, ids=value, action="assign", assignee="me"
        )
        assert ticked.status_code == 422, value
        assign = post(client, f"{base}/attribution", token, assignee=value)
        assert assign.status_code == 422, value
        assert 'id="assign-assignee-error"' in assign.text
        reroute = post(
            client,
            f"/admin/signalements/{desk.pothole.id}/reorientation",
            token,
            organisation=value,
        )
        assert reroute.status_code == 422, value
        merge = post(client, f"{base}/fusion", token, original_number=value)
        assert merge.status_code == 422, value
    # A number typed in the search finds its report; a NUL byte finds nothing, no 500.
    found = client.get("/admin/signalements", params={"q": f"#{desk.pothole.id}"})
    assert queue_ids(found.text) == {desk.pothole.id}
    nul = client.get("/admin/signalements", params={"q": "trou\x00"}, headers=HTML)
    assert nul.status_code == 200
    assert queue_ids(nul.text) == {desk.pothole.id}


def test_ids_no_row_can_have_are_404(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    token = admin_client(client, db, settings)
    question = db.query(CategoryQuestion).filter_by(category_id=territory.pothole.id).first()
    assert question is not None
    rule = db.query(RoutingRule).first()
    assert rule is not None
    for number in TOO_LARGE:
        reports = f"/admin/signalements/{number}"
        category = f"{BASE}/categories/{number}"
        for path in (
            reports,
            f"/admin/signalements/photos/{number}.jpg",
            f"/admin/signalements/photos/{number}/vignette.jpg",
            category,
            f"{category}/questions/nouvelle",
            f"{BASE}/categories/{territory.pothole.id}/questions/{number}",
            f"{BASE}/orientation/{number}",
            f"{BASE}/modeles/{number}",
        ):
            assert client.get(path, headers=HTML).status_code == 404, path
        for path in (
            f"{reports}/statut",
            f"{reports}/note",
            f"{reports}/moderation",
            f"{category}/suppression",
            f"{BASE}/categories/{territory.pothole.id}/questions/{number}/suppression",
            f"{BASE}/orientation/{number}/suppression",
            f"{BASE}/modeles/{number}/suppression",
        ):
            assert post(client, path, token, note="x").status_code == 404, path


def test_unconfirmed_reports_stay_out_of_the_back_office(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    waiting = report(
        db, settings, ANONYMOUS, reporter_email="pas.encore@example.fr", reporter_name="Secret"
    )
    assert waiting.status == ReportStatus.UNCONFIRMED
    db.flush()
    # Not even an administrator: the reporter was told nobody sees it until confirmed.
    token = signed_in(client, db, settings, desk.admin)
    for status in ("", "all", "unconfirmed"):
        page = client.get("/admin/signalements", params={"status": status}, headers=HTML)
        assert waiting.id not in queue_ids(page.text), status
        assert "Secret" not in page.text
    page = client.get("/admin/signalements", params={"status": "all"}, headers=HTML)
    counts = status_counts(page.text)
    assert "unconfirmed" not in counts
    assert counts["all"] == "3"
    assert 'value="unconfirmed"' not in page.text
    assert client.get(f"/admin/signalements/{waiting.id}", headers=HTML).status_code == 404
    ticked = post(
        client,
        "/admin/signalements/lot",
        token,
        ids=str(waiting.id),
        action="status",
        status="acknowledged",
        note="Vu",
    )
    assert ticked.status_code == 404
    merged = post(
        client,
        f"/admin/signalements/{desk.pothole.id}/fusion",
        token,
        original_number=str(waiting.id),
    )
    assert merged.status_code == 422
    assert "Secret" not in merged.text


def test_settings_refuse_line_breaks_and_drop_nul_bytes(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    token = admin_client(client, db, settings)
    new = f"{BASE}/categories/nouvelle"
    broken = post(
        client, new, token, code="tag", name="Tag\r\nBcc: x@example.fr", group="Pro\npreté"
    )
    assert broken.status_code == 422
    for field in ("name", "group"):
        assert f'id="category-{field}-error"' in broken.text, field
    assert db.query(ReportCategory).filter_by(code="tag").count() == 0
    created = post(
        client,
        new,
        token,
        code="tag\x00",
        name="Tag\x00 mural",
        description="Première ligne\r\nSeconde\x00 ligne",
        active="1",
    )
    assert created.status_code == 303, created.text[:2000]
    category = db.query(ReportCategory).filter_by(code="tag").one()
    assert (category.name, category.description) == ("Tag mural", "Première ligne\nSeconde ligne")
    question = post(
        client,
        f"{BASE}/categories/{category.id}/questions/nouvelle",
        token,
        code="surface\x00",
        datatype="singlevaluelist",
        order="1",
        description="Surface\x00 ?",
        values="petite=Petite\x00\ngrande=Grande",
    )
    assert question.status_code == 303, question.text[:2000]
    stored = db.query(CategoryQuestion).filter_by(category_id=category.id).one()
    assert stored.values == [
        {"key": "petite", "name": "Petite"},
        {"key": "grande", "name": "Grande"},
    ]
    rule = post(
        client,
        f"{BASE}/orientation",
        token,
        category=str(category.id),
        commune="17299\x00",
        geozone="\x00",
        organisation=str(territory.voirie.id),
    )
    assert rule.status_code == 303, rule.text[:2000]
    template = post(
        client, f"{BASE}/modeles/nouveau", token, title="Merci\r\nà vous", body="Merci\x00 !"
    )
    assert template.status_code == 422
    assert 'id="template-title-error"' in template.text
    assert db.query(ReplyTemplate).count() == 0
    numbers = post(client, new, token, code="x", name="X", target_days="²", position="-²")
    assert numbers.status_code == 422
    assert 'id="category-target_days-error"' in numbers.text
    assert 'id="category-position-error"' in numbers.text
