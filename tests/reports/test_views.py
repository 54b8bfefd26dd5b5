"""The public pages of reports: list and map, one report, its photos, following and flagging."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.permissions import ANONYMOUS, Principal
from servicielle.reports import lifecycle
from servicielle.reports.models import Report, ReportFlag, ReportPhoto, ReportSubscription
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.reports.conftest import FOURAS, ROCHEFORT, Territory, photo_bytes, report, staff

HTML = {"Accept": "text/html"}
ENGLISH = {**HTML, "Cookie": "sv_lang=en"}
SECRET_NAME = "Jeanne Discrète"
SECRET_EMAIL = "jeanne.discrete@example.fr"
SECRET_PHONE = "06 11 22 33 44"


def item_ids(html: str) -> list[int]:
    """The ids of the reports a list page shows, in order."""
    return [
        int(i) for i in re.findall(r'class="report-item-title"><a href="/signalements/(\d+)"', html)
    ]


def post_form(client: TestClient, url: str, data: dict[str, Any], page: str) -> Any:
    """Post a form the way the browser does, with the CSRF token of ``page``."""
    token = csrf_token(client, page)
    return client.post(
        url, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )


def public_reports(db: Session, settings: Settings, territory: Territory) -> dict[str, Report]:
    """A pothole in Rochefort, a dump in Fouras (both public) and an unconfirmed one."""
    agent = staff(db, "agent@example.fr", territory.voirie)
    pothole = report(
        db,
        settings,
        agent,
        description="Trou profond rue Pierre Loti",
        address_string="12 rue Pierre Loti",
        reporter_name=SECRET_NAME,
        reporter_email=SECRET_EMAIL,
        reporter_phone=SECRET_PHONE,
    )
    dump = report(
        db, settings, agent, category="depot-sauvage", at=FOURAS, description="Gravats en forêt"
    )
    hidden = report(
        db, settings, ANONYMOUS, description="Pas encore confirmé", reporter_email="x@example.fr"
    )
    return {"pothole": pothole, "dump": dump, "unconfirmed": hidden}


def test_list_shows_public_reports_and_filters_them(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    made = public_reports(db, settings, territory)
    page = client.get("/signalements", headers=HTML)
    assert page.status_code == 200
    assert "<h1>Signalements</h1>" in page.text
    assert item_ids(page.text) == [made["dump"].id, made["pothole"].id]
    assert "Pas encore confirmé" not in page.text
    assert "Trou profond rue Pierre Loti" in page.text
    assert "Rochefort — 12 rue Pierre Loti" in page.text
    assert "Fouras" in page.text
    assert "Ouvert" in page.text  # the status label
    assert "Abonnés : 1" in page.text  # the reporter follows their own report
    for link in ('href="/signalements/nouveau"', 'href="/signalements/alertes"'):
        assert link in page.text
    assert 'href="/signalements/statistiques"' in page.text
    assert 'data-map-url="/signalements/carte.json"' in page.text

    def ids(**params: str) -> list[int]:
        return item_ids(client.get("/signalements", params=params, headers=HTML).text)

    assert ids(categorie="depot-sauvage") == [made["dump"].id]
    assert ids(commune="17299") == [made["pothole"].id]
    assert ids(q="pierre loti") == [made["pothole"].id]
    assert ids(statut="closed") == []
    assert ids(statut="open") == [made["dump"].id, made["pothole"].id]
    assert ids(statut="nonsense") == [made["dump"].id, made["pothole"].id]
    filtered = client.get("/signalements", params={"categorie": "depot-sauvage"}, headers=HTML)
    assert 'data-map-url="/signalements/carte.json?categorie=depot-sauvage"' in filtered.text

    english = client.get("/signalements", headers=ENGLISH)
    assert "<h1>Reports</h1>" in english.text


def test_list_pages_through_reports(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    made = [report(db, settings, agent, description=f"Trou {i}") for i in range(23)]
    first = client.get("/signalements", headers=HTML)
    assert len(item_ids(first.text)) == 20
    assert "Page 1 sur 2" in first.text
    second = client.get("/signalements", params={"page": 2}, headers=HTML)
    assert sorted(item_ids(second.text)) == sorted(r.id for r in made[:3])
    assert client.get("/signalements", params={"page": 0}, headers=HTML).status_code == 422


def test_map_data_is_public_geojson_with_the_same_filters(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    made = public_reports(db, settings, territory)
    answer = client.get("/signalements/carte.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    data = answer.json()
    assert data["type"] == "FeatureCollection"
    by_id = {f["properties"]["id"]: f for f in data["features"]}
    assert set(by_id) == {made["pothole"].id, made["dump"].id}
    pothole = by_id[made["pothole"].id]
    assert pothole["geometry"] == {"type": "Point", "coordinates": [ROCHEFORT[1], ROCHEFORT[0]]}
    assert set(pothole["properties"]) == {
        "id",
        "category",
        "status",
        "open311_status",
        "status_label",
        "url",
    }
    assert pothole["properties"]["category"] == "Nid-de-poule"
    assert pothole["properties"]["status_label"] == "Ouvert"
    only_dump = client.get("/signalements/carte.json", params={"categorie": "depot-sauvage"})
    assert [f["properties"]["id"] for f in only_dump.json()["features"]] == [made["dump"].id]


def test_reporter_details_are_never_public(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    made = public_reports(db, settings, territory)
    pothole = made["pothole"]
    assert pothole.reporter_email == SECRET_EMAIL  # stored, for the organisation
    neighbour = make_user(db, "voisin@example.fr")
    for viewer in ("anonymous", "signed in"):
        if viewer == "signed in":
            sign_in_client(client, db, settings, neighbour)
        pages = [
            client.get(f"/signalements/{pothole.id}", headers=HTML).text,
            client.get("/signalements", headers=HTML).text,
            client.get("/signalements/carte.json").text,
        ]
        for text in pages:
            for secret in (SECRET_NAME, SECRET_EMAIL, SECRET_PHONE, "jeanne", "Discr"):
                assert secret.lower() not in text.lower(), (viewer, secret)


def test_report_page_tells_what_where_who_and_the_public_timeline(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent.voirie@example.fr", territory.voirie)
    created = report(db, settings, agent, address_string="Place Colbert", description="Un trou")
    lifecycle.change_status(
        db,
        settings,
        created,
        agent,
        status="acknowledged",
        note="Nous passons jeudi.",
        internal_note="Équipe B, note interne",
    )
    lifecycle.reroute(db, settings, created, agent, organisation_id=territory.agglomeration.id)
    page = client.get(f"/signalements/{created.id}", headers=HTML)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<h1>Nid-de-poule</h1>" in text
    assert f"Signalement n° {created.id}" in text
    assert "Place Colbert" in text
    assert "Rochefort" in text
    assert "Un trou" in text
    assert "Taille du trou" in text
    assert "Plus de 20 cm" in text
    assert "En cas de danger" not in text  # information, not an answer
    assert "Pris en compte" in text  # the status label
    assert "Nous passons jeudi." in text
    assert "Direction de la voirie" in text  # who wrote the note
    assert "note interne" not in text
    assert "Équipe B" not in text
    assert f"Transmis à {territory.agglomeration.name}" in text
    assert "agent.voirie" not in text  # never a person
    assert "Prévu pour le" in text  # expected date of the category's 15 days
    assert 'data-lat="45.9369"' in text
    assert f'action="/signalements/{created.id}/suivre"' in text
    assert f'action="/signalements/{created.id}/abus"' in text


def test_merged_reports_link_to_each_other(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    original = report(db, settings, agent)
    duplicate = report(db, settings, agent)
    lifecycle.merge(db, settings, duplicate, original, agent)
    page = client.get(f"/signalements/{duplicate.id}", headers=HTML).text
    assert "Fermé : doublon d&#39;un autre signalement" in page
    assert f"Doublon du signalement n° {original.id}" in page
    assert f'href="/signalements/{original.id}"' in page
    merged = client.get(f"/signalements/{original.id}", headers=HTML).text
    assert "Signalements fusionnés dans celui-ci" in merged
    assert f'href="/signalements/{duplicate.id}"' in merged


def test_unknown_unconfirmed_and_hidden_reports_are_404(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    made = public_reports(db, settings, territory)
    agent = staff(db, "moderateur@example.fr", territory.voirie)
    lifecycle.moderate(db, made["pothole"], agent, hide_report=True, reason="Données personnelles")
    for report_id in (999_999, made["unconfirmed"].id, made["pothole"].id):
        page = client.get(f"/signalements/{report_id}", headers=HTML)
        assert page.status_code == 404, report_id
        assert "Aucun signalement n°" in page.text
    assert item_ids(client.get("/signalements", headers=HTML).text) == [made["dump"].id]


def _photo_report(db: Session, settings: Settings, who: Principal, **fields: Any) -> Report:
    return report(db, settings, who, photos=[photo_bytes(size=(1200, 900))], **fields)


def test_photos_are_served_while_public(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = _photo_report(db, settings, agent)
    photo = db.query(ReportPhoto).filter_by(report_id=created.id).one()
    page = client.get(f"/signalements/{created.id}", headers=HTML).text
    assert f'href="/signalements/photos/{photo.id}.jpg"' in page
    assert f'src="/signalements/photos/{photo.id}-vignette.jpg"' in page

    full = client.get(f"/signalements/photos/{photo.id}.jpg")
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert "max-age" in full.headers["cache-control"]
    assert full.content == photo.content
    thumb = client.get(f"/signalements/photos/{photo.id}-vignette.jpg")
    assert thumb.status_code == 200
    assert thumb.content == photo.thumbnail
    assert len(thumb.content) < len(full.content)
    again = client.get(
        f"/signalements/photos/{photo.id}.jpg", headers={"If-None-Match": full.headers["etag"]}
    )
    assert again.status_code == 304

    lifecycle.moderate(db, created, agent, hidden_photo_ids=[photo.id])
    assert client.get(f"/signalements/photos/{photo.id}.jpg").status_code == 404
    assert client.get(f"/signalements/photos/{photo.id}-vignette.jpg").status_code == 404
    assert (
        f"/signalements/photos/{photo.id}"
        not in client.get(f"/signalements/{created.id}", headers=HTML).text
    )
    assert client.get("/signalements/photos/999999.jpg").status_code == 404


def test_photos_of_an_unconfirmed_report_are_not_served(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    created = _photo_report(db, settings, ANONYMOUS, reporter_email="a@example.fr")
    photo = db.query(ReportPhoto).filter_by(report_id=created.id).one()
    assert client.get(f"/signalements/photos/{photo.id}.jpg").status_code == 404
    assert client.get(f"/signalements/photos/{photo.id}-vignette.jpg").status_code == 404


def test_following_a_report(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = report(db, settings, agent)
    url, page = f"/signalements/{created.id}/suivre", f"/signalements/{created.id}"

    bad = post_form(client, url, {"email": "pas-une-adresse"}, page)
    assert bad.status_code == 422
    assert (
        "Cette adresse e-mail n’est pas valide." in bad.text
        or 'id="follow-email-error"' in bad.text
    )
    assert 'aria-invalid="true"' in bad.text
    assert 'value="pas-une-adresse"' in bad.text

    anonymous = post_form(client, url, {"email": "Paul@Example.fr"}, page)
    assert anonymous.status_code == 200
    assert "Consultez votre messagerie" in anonymous.text
    mail = db.query(OutboxMessage).filter_by(recipient="paul@example.fr").one()
    assert "/signalements/abonnements/" in mail.body
    pending = db.query(ReportSubscription).filter_by(email="paul@example.fr").one()
    assert pending.confirmed_at is None

    inhabitant = make_user(db, "habitante@example.fr")
    sign_in_client(client, db, settings, inhabitant)
    one_click = post_form(client, url, {}, page)
    assert one_click.status_code == 303
    assert one_click.headers["location"] == f"/signalements/{created.id}?suivi=1"
    db.refresh(created)
    assert created.follower_count == 2  # the agent who reported it, and her
    shown = client.get(one_click.headers["location"], headers=HTML)
    assert "Vous suivez ce signalement" in shown.text

    no_csrf = client.post(url, data={"email": "x@example.fr"}, headers=HTML)
    assert no_csrf.status_code == 403


def test_flagging_a_report(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = report(db, settings, agent)
    url, page = f"/signalements/{created.id}/abus", f"/signalements/{created.id}"
    empty = post_form(client, url, {"reason": "  "}, page)
    assert empty.status_code == 422
    assert 'id="flag-reason-error"' in empty.text
    assert "<details open>" in empty.text
    done = post_form(client, url, {"reason": "Il y a un nom de famille."}, page)
    assert done.status_code == 303
    assert done.headers["location"] == f"/signalements/{created.id}?signale=1"
    flag = db.query(ReportFlag).filter_by(report_id=created.id).one()
    assert flag.reason == "Il y a un nom de famille."
    again = post_form(client, url, {"reason": "Encore"}, page)
    assert again.status_code == 409
    assert db.query(ReportFlag).filter_by(report_id=created.id).count() == 1
    assert client.post(url, data={"reason": "x"}, headers=HTML).status_code == 403
    unknown = post_form(client, "/signalements/999999/abus", {"reason": "x"}, page)
    assert unknown.status_code == 404


def test_ids_too_large_for_the_database_are_404(client: TestClient, territory: Territory) -> None:
    huge = 2**63
    for path in (
        f"/signalements/{huge}",
        f"/signalements/photos/{huge}.jpg",
        f"/signalements/photos/{huge}-vignette.jpg",
        f"/signalements/{huge}/resolu/faux",
    ):
        assert client.get(path, headers=HTML).status_code == 404, path
    assert (
        post_form(
            client,
            f"/signalements/{huge}/suivre",
            {"email": "a@example.fr"},
            "/signalements/alertes",
        ).status_code
        == 404
    )
