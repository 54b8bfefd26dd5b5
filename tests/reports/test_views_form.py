"""The report form: step 1 (where, what), step 2 (who receives it, similar ones, details)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.permissions import ANONYMOUS
from servicielle.reports import lifecycle
from servicielle.reports.models import Report, ReportPhoto, ReportStatus
from tests.conftest import make_user, sign_in_client
from tests.reports.conftest import OCEAN, Territory, photo_bytes, report, staff
from tests.reports.test_views import HTML, post_form

POINT = {"category": "nid-de-poule", "lat": "45.93700", "lon": "-0.96140", "located_by": "map"}
BY_COMMUNE = {
    "category": "nid-de-poule",
    "commune": "17299",
    "address_string": "Avenue Charles de Gaulle, devant la poste",
}
DETAILS = "/signalements/nouveau/details"


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of step 2's form (where and what, carried over)."""
    form = html[html.index('id="report-form"') :]
    found = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', form))
    found.pop("csrf_token", None)  # sent (or not) by the test itself
    return found


def submit(
    client: TestClient,
    where: dict[str, str],
    fields: dict[str, Any],
    *,
    photos: list[tuple[str, bytes, str]] | None = None,
    token: str | None = None,
) -> Any:
    """Post step 2 as a browser does: multipart, with the CSRF token of step 2's page."""
    step_two = client.get(DETAILS, params=where, headers=HTML)
    assert step_two.status_code == 200, step_two.text[:2000]
    data = {**hidden_fields(step_two.text), **fields}
    if token is None:
        token = client.cookies.get("sv_csrf")
    if token:
        data["csrf_token"] = token
    files = [("photos", photo) for photo in (photos or [("", b"", "application/octet-stream")])]
    return client.post(DETAILS, data=data, files=files, headers=HTML, follow_redirects=False)


def text_of(response: Any) -> str:
    """A page's text with its entities decoded (apostrophes are escaped in HTML)."""
    return html.unescape(response.text)


def count(db: Session) -> int:
    """How many reports are stored."""
    return db.query(Report).count()


def test_step_one_asks_where_and_what_without_javascript(
    client: TestClient, territory: Territory
) -> None:
    page = client.get("/signalements/nouveau", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert '<form method="get" action="/signalements/nouveau/details"' in text
    # Categories as radios in one fieldset per group.
    for group in ("Voirie", "Propreté", "Éclairage"):
        assert f"<legend>{group}</legend>" in text
    assert 'type="radio" id="category-nid-de-poule" name="category" value="nid-de-poule"' in text
    # The map block is hidden until the script shows it; commune and address work without.
    assert re.search(r'class="report-pin" data-pin hidden', text)
    assert '<option value="17299">Rochefort</option>' in text
    assert 'id="address_string" name="address_string"' in text
    assert 'id="pin-status" class="report-pin-status" role="status" aria-live="polite"' in text
    assert '<input type="hidden" id="lat" name="lat" value="">' in text
    # Coming back to change the answers: they are filled in.
    back = client.get("/signalements/nouveau", params={**POINT, "commune": "17299"}, headers=HTML)
    assert 'value="nid-de-poule" checked' in back.text
    assert '<option value="17299" selected>' in back.text
    assert 'name="lat" value="45.93700"' in back.text


def test_step_one_errors_are_said_in_french(client: TestClient, territory: Territory) -> None:
    outside = client.get(
        DETAILS,
        params={"category": "nid-de-poule", "lat": OCEAN[0], "lon": OCEAN[1], "located_by": "map"},
        headers=HTML,
    )
    assert outside.status_code == 422
    assert "Ce lieu est hors du territoire" in outside.text
    assert 'href="#location"' in outside.text
    unknown = client.get(DETAILS, params={**POINT, "category": "inconnue"}, headers=HTML)
    assert unknown.status_code == 422
    assert 'href="#category"' in unknown.text
    assert "inconnue" in unknown.text
    nothing = client.get(DETAILS, params={"category": "nid-de-poule"}, headers=HTML)
    assert nothing.status_code == 422
    assert "placez l'épingle sur la carte" in text_of(nothing)
    no_address = client.get(
        DETAILS, params={"category": "nid-de-poule", "commune": "17299"}, headers=HTML
    )
    assert no_address.status_code == 422
    assert 'href="#address_string"' in no_address.text
    bad_commune = client.get(DETAILS, params={**BY_COMMUNE, "commune": "99999"}, headers=HTML)
    assert bad_commune.status_code == 422
    assert 'href="#commune"' in bad_commune.text
    no_category = client.get(DETAILS, params={**POINT, "category": ""}, headers=HTML)
    assert 'href="#category"' in no_category.text
    garbled = client.get(DETAILS, params={**POINT, "lat": "abc"}, headers=HTML)
    assert garbled.status_code == 422
    assert 'href="#location"' in garbled.text
    empty = client.get(DETAILS, headers=HTML, follow_redirects=False)
    assert empty.status_code == 303
    assert empty.headers["location"] == "/signalements/nouveau"


def test_step_two_shows_who_receives_it_and_similar_open_reports_nearby(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    near = report(db, settings, agent, description="Le même trou")
    closed = report(db, settings, agent, description="Trou réparé")
    lifecycle.change_status(db, settings, closed, agent, status="fixed", note="Rebouché")
    other_kind = report(db, settings, agent, category="depot-sauvage", description="Sacs")
    far = report(db, settings, agent, at=(45.95, -0.96), description="Loin d'ici")
    page = client.get(DETAILS, params=POINT, headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Votre signalement sera envoyé à : Direction de la voirie" in text
    assert f'action="/signalements/{near.id}/suivre"' in text
    for absent in (closed, other_kind, far):
        assert f'action="/signalements/{absent.id}/suivre"' not in text
    assert "Suivre celui-ci plutôt" in text
    assert re.search(r"à \d+ m", text)
    assert hidden_fields(text) == {
        "category": "nid-de-poule",
        "lat": "45.93700",
        "lon": "-0.96140",
        "located_by": "map",
        "commune": "",
        "address_string": "",
    }
    # The category's questions: the required list, and the information shown as such.
    assert 'name="attribute[taille]" value="petit"' in text
    assert "En cas de danger immédiat, appelez le 112." in text
    assert 'name="attribute[securite]"' not in text
    assert 'type="file" accept="image/*" multiple' in text
    assert 'enctype="multipart/form-data"' in text
    assert "Jamais publiées." in text
    # The dump in Fouras goes to the agglomeration (a geozone rule).
    fouras = client.get(
        DETAILS,
        params={"category": "depot-sauvage", "commune": "17168", "address_string": "Plage"},
        headers=HTML,
    )
    assert f"envoyé à : {territory.agglomeration.name}" in text_of(fouras)


def test_following_a_similar_report_instead(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    near = report(db, settings, agent)
    page = client.get(DETAILS, params=POINT, headers=HTML)
    assert f'id="follow-email-{near.id}"' in page.text
    followed = client.post(
        f"/signalements/{near.id}/suivre",
        data={"csrf_token": client.cookies.get("sv_csrf"), "email": "voisine@example.fr"},
        headers=HTML,
    )
    assert followed.status_code == 200
    assert db.query(OutboxMessage).filter_by(recipient="voisine@example.fr").count() == 1
    assert count(db) == 1  # following created no report


def test_no_javascript_report_by_commune_and_address_end_to_end(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    before = count(db)
    sent = submit(
        client,
        BY_COMMUNE,
        {
            "attribute[taille]": "petit",
            "description": "Trou sur la chaussée",
            "name": "Léa Privée",
            "email": "Lea@Example.fr",
            "phone": "0600000000",
        },
    )
    assert sent.status_code == 200, sent.text[:3000]
    assert "Consultez votre messagerie pour envoyer votre signalement" in sent.text
    assert "lea@example.fr" in sent.text
    assert "Direction de la voirie" in sent.text
    assert count(db) == before + 1
    created = db.query(Report).order_by(Report.id.desc()).first()
    assert created is not None
    assert created.status == ReportStatus.UNCONFIRMED
    assert created.located_by == "commune"
    assert created.commune_code == "17299"
    assert created.address_string == "Avenue Charles de Gaulle, devant la poste"
    assert created.answers == {"taille": "petit"}
    assert created.reporter_name == "Léa Privée"
    assert created.organisation_id == territory.voirie.id
    assert client.get(f"/signalements/{created.id}", headers=HTML).status_code == 404

    mail = db.query(OutboxMessage).filter_by(recipient="lea@example.fr").one()
    link = re.search(r"http://testserver(/signalements/confirmation/\S+)", mail.body)
    assert link is not None
    asked = client.get(link.group(1), headers=HTML)
    assert asked.status_code == 200
    assert client.get(f"/signalements/{created.id}", headers=HTML).status_code == 404
    confirmed = post_form(client, link.group(1), {}, link.group(1))
    assert confirmed.status_code == 200
    assert "Votre signalement est publié" in confirmed.text
    assert f'href="/signalements/{created.id}"' in confirmed.text
    shown = client.get(f"/signalements/{created.id}", headers=HTML)
    assert shown.status_code == 200
    assert "Avenue Charles de Gaulle" in shown.text
    assert "Léa" not in shown.text
    assert "lea@example.fr" not in shown.text


def test_signed_in_report_with_a_photo_opens_its_page_with_the_notice(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    territory.pothole.notice = "Les nids-de-poule sont traités sous 15 jours."
    db.flush()
    user = make_user(db, "habitant@example.fr")
    sign_in_client(client, db, settings, user)
    step_two = client.get(DETAILS, params=POINT, headers=HTML)
    assert 'value="habitant@example.fr"' in step_two.text  # prefilled
    sent = submit(
        client,
        POINT,
        {"attribute[taille]": "grand", "description": "Un trou", "email": ""},
        photos=[("trou.png", photo_bytes("PNG"), "image/png")],
    )
    assert sent.status_code == 303, sent.text[:3000]
    created = db.query(Report).order_by(Report.id.desc()).first()
    assert created is not None
    assert sent.headers["location"] == f"/signalements/{created.id}?envoye=1"
    assert created.status == ReportStatus.OPEN
    assert created.reporter_email == "habitant@example.fr"
    assert created.located_by == "map"
    assert abs((created.lat or 0) - 45.937) < 1e-9
    assert db.query(ReportPhoto).filter_by(report_id=created.id).count() == 1
    page = client.get(sent.headers["location"], headers=HTML)
    assert "Votre signalement a été envoyé à Direction de la voirie." in page.text
    assert "Les nids-de-poule sont traités sous 15 jours." in page.text
    assert "-vignette.jpg" in page.text


def test_step_two_errors_keep_the_values_and_store_nothing(
    client: TestClient, db: Session, territory: Territory
) -> None:
    before = count(db)
    missing = submit(client, POINT, {"description": "Un trou profond", "name": "Léa"})
    assert missing.status_code == 422
    text = missing.text
    assert 'id="error-summary"' in text
    assert 'href="#reporter-email"' in text  # anonymous: the email is needed
    assert 'href="#q-taille"' in text  # the required answer
    assert "Un trou profond</textarea>" in text
    assert 'value="Léa"' in text
    assert hidden_fields(text)["lat"] == "45.93700"

    too_long = submit(
        client,
        POINT,
        {"attribute[taille]": "petit", "description": "x" * 4001, "email": "a@example.fr"},
    )
    assert too_long.status_code == 422
    assert 'href="#description"' in too_long.text
    assert "4000" in too_long.text

    not_a_photo = submit(
        client,
        POINT,
        {"attribute[taille]": "petit", "description": "Trou", "email": "a@example.fr"},
        photos=[("trou.jpg", b"ceci n'est pas une image", "image/jpeg")],
    )
    assert not_a_photo.status_code == 422
    assert 'href="#photos"' in not_a_photo.text
    assert "pas une photo" in not_a_photo.text
    assert "choisissez-les à nouveau" in not_a_photo.text  # photos are not kept

    too_many = submit(
        client,
        POINT,
        {"attribute[taille]": "petit", "description": "Trou", "email": "a@example.fr"},
        photos=[(f"p{i}.jpg", photo_bytes(), "image/jpeg") for i in range(6)],
    )
    assert too_many.status_code == 422
    assert 'href="#photos"' in too_many.text

    bad_answer = submit(
        client,
        POINT,
        {"attribute[taille]": "énorme", "description": "Trou", "email": "a@example.fr"},
    )
    assert bad_answer.status_code == 422
    assert 'href="#q-taille"' in bad_answer.text
    assert count(db) == before


def test_a_tampered_step_two_goes_back_to_step_one(
    client: TestClient, db: Session, territory: Territory
) -> None:
    before = count(db)
    outside = submit(client, POINT, {"lat": str(OCEAN[0]), "lon": str(OCEAN[1])})
    assert outside.status_code == 422
    assert "Ce lieu est hors du territoire" in outside.text
    unknown = submit(client, POINT, {"category": "inconnue", "email": "a@example.fr"})
    assert unknown.status_code == 422
    assert 'href="#category"' in unknown.text
    assert count(db) == before


def test_posting_without_the_csrf_token_is_refused(
    client: TestClient, db: Session, territory: Territory
) -> None:
    before = count(db)
    answer = submit(
        client,
        POINT,
        {"attribute[taille]": "petit", "email": "a@example.fr"},
        token="",
    )
    assert answer.status_code == 403
    wrong = submit(
        client, POINT, {"attribute[taille]": "petit", "email": "a@example.fr"}, token="faux"
    )
    assert wrong.status_code == 403
    assert count(db) == before


def test_step_two_is_in_english_too(client: TestClient, territory: Territory) -> None:
    page = client.get(f"{DETAILS}?{urlencode(POINT)}", headers={**HTML, "Cookie": "sv_lang=en"})
    assert "Your report will be sent to: Direction de la voirie" in page.text
    assert "Never published." in page.text


def test_a_photo_over_the_size_limit_is_refused_with_a_message(
    client: TestClient, db: Session, territory: Territory
) -> None:
    before = count(db)
    huge = b"\xff\xd8" + b"0" * (15 * 1024 * 1024)
    answer = submit(
        client,
        POINT,
        {"attribute[taille]": "petit", "email": "a@example.fr"},
        photos=[("enorme.jpg", huge, "image/jpeg")],
    )
    assert answer.status_code == 413
    assert 'href="#photos"' in answer.text
    assert "15 Mo" in answer.text
    assert count(db) == before


def test_too_many_anonymous_reports_get_a_429_page(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    for _i in range(10):
        report(db, settings, ANONYMOUS, reporter_email="presse@example.fr")
    before = count(db)
    answer = submit(client, POINT, {"attribute[taille]": "petit", "email": "presse@example.fr"})
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "3600"
    assert "Trop de signalements pour le moment" in text_of(answer)
    assert 'href="/compte/connexion"' in answer.text
    assert count(db) == before
