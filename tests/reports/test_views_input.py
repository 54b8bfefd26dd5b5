"""The public pages against odd input: NUL bytes (PostgreSQL refuses them in text) and bodies
over the size limit of the report form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.reports import views_submit
from servicielle.reports.models import Report, ReportSubscription
from tests.reports.conftest import Territory, photo_bytes
from tests.reports.test_views import HTML, item_ids, post_form, public_reports
from tests.reports.test_views_form import DETAILS, POINT, count, hidden_fields, submit

NUL = "\x00"


def test_nul_bytes_in_the_list_filters_are_dropped(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    made = public_reports(db, settings, territory)
    params = {"categorie": f"nid-de-poule{NUL}", "commune": NUL, "q": f"Pierre{NUL}"}
    page = client.get("/signalements", params=params, headers=HTML)
    assert page.status_code == 200
    assert item_ids(page.text) == [made["pothole"].id]
    data = client.get("/signalements/carte.json", params=params)
    assert data.status_code == 200
    assert [f["id"] for f in data.json()["features"]] == [made["pothole"].id]


def test_nul_bytes_in_the_report_form_are_dropped(
    client: TestClient, db: Session, territory: Territory
) -> None:
    by_commune = {
        "category": f"nid-de-poule{NUL}",
        "commune": f"{NUL}17299",
        "address_string": f"Place Colbert{NUL}",
    }
    step_two = client.get(DETAILS, params=by_commune, headers=HTML)
    assert step_two.status_code == 200, step_two.text[:2000]
    assert "Direction de la voirie" in step_two.text
    assert NUL not in step_two.text
    assert hidden_fields(step_two.text)["category"] == "nid-de-poule"
    # Posted as is, the way a script would: the same values, cleaned, and the report stored.
    token = client.cookies.get("sv_csrf")
    assert token
    before = count(db)
    sent = client.post(
        DETAILS,
        data={
            **by_commune,
            "csrf_token": token,
            "attribute[taille]": "petit",
            "email": "nul@example.fr",
        },
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 200, sent.text[:2000]
    assert count(db) == before + 1
    created = db.query(Report).order_by(Report.id.desc()).first()
    assert created is not None
    assert (created.commune_code, created.address_string) == ("17299", "Place Colbert")


def test_a_nul_byte_in_the_alert_area_is_dropped(
    client: TestClient, db: Session, territory: Territory
) -> None:
    url = "/signalements/alertes"
    done = post_form(client, url, {"email": "c@example.fr", "area": f"commune:17299{NUL}"}, url)
    assert done.status_code == 200, done.text[:2000]
    alert = db.query(ReportSubscription).filter_by(email="c@example.fr").one()
    assert alert.commune_code == "17299"


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """The form's size limit lowered, so that tests need not send 76 MB."""
    limit = 64 * 1024
    monkeypatch.setattr(views_submit, "MAX_FORM_BYTES", limit)
    return limit


def test_the_form_limit_is_five_photos_and_the_text() -> None:
    assert views_submit.MAX_FORM_BYTES == 5 * 15 * 1024 * 1024 + 1024 * 1024


def test_a_body_over_the_limit_is_413_before_anything_is_read(
    client: TestClient, db: Session, territory: Territory, small_limit: int
) -> None:
    before = count(db)
    photo = photo_bytes(size=(64, 64))
    fat = ("gros.jpg", photo + b"\0" * small_limit, "image/jpeg")
    # Said in Content-Length: refused before reading, even without a CSRF token.
    declared = submit(client, POINT, {"email": "a@example.fr"}, photos=[fat], token="")
    assert declared.status_code == 413
    assert "La requête ne peut pas dépasser" in declared.text
    assert count(db) == before

    # Sent in chunks, without a length: counted as it arrives.
    def chunks() -> Iterator[bytes]:
        for _i in range(4):
            yield b"-" * (small_limit // 2)

    streamed = client.post(
        DETAILS,
        content=chunks(),
        headers={**HTML, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert streamed.status_code == 413
    assert "La requête ne peut pas dépasser" in streamed.text
    # Under the limit, the form works as before.
    fine = submit(
        client,
        POINT,
        {"attribute[taille]": "petit", "email": "a@example.fr"},
        photos=[("petit.jpg", photo, "image/jpeg")],
    )
    assert fine.status_code == 200, fine.text[:2000]
    assert count(db) == before + 1


def test_too_many_files_are_refused_by_the_parser_or_the_service(
    client: TestClient, db: Session, territory: Territory
) -> None:
    before = count(db)
    photo = ("p.jpg", photo_bytes(size=(32, 32)), "image/jpeg")
    fields = {"attribute[taille]": "petit", "email": "a@example.fr"}
    six = submit(client, POINT, fields, photos=[photo] * 6)
    assert six.status_code == 422
    assert "5 photos" in six.text
    seven = submit(client, POINT, fields, photos=[photo] * 7)
    assert seven.status_code == 400
    assert count(db) == before
