"""Open311 GeoReport v2 reads: discovery, services, requests, tokens and their errors."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.permissions import ANONYMOUS, Principal
from servicielle.reports import lifecycle
from servicielle.reports.models import Report, ReportCategory
from servicielle.reports.repository import ReportRepository
from tests.reports.conftest import FOURAS, ROCHEFORT, Territory, photo_bytes, report, staff
from tests.reports.open311_schemas import validate_json, validate_xml

V2 = "/open311/v2"
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"


@pytest.fixture
def agent(db: Session, territory: Territory) -> Principal:
    """An agent of the roads department."""
    return staff(db, "agent.open311@example.fr", territory.voirie)


def get_json(client: TestClient, path: str, **params: Any) -> Any:
    """GET a .json path, checking its content type."""
    response = client.get(V2 + path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    return response.json()


def get_xml(client: TestClient, path: str, root: str, **params: Any) -> ET.Element:
    """GET a .xml path, validated against the XSD."""
    response = client.get(V2 + path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XML
    validate_xml(response.content, root)
    return ET.fromstring(response.content)


def assert_error(response: httpx.Response, status: int, fmt: str, *names: str) -> str:
    """An Open311 error of ``status`` in ``fmt`` whose description names ``names``."""
    assert response.status_code == status, response.text
    if fmt == "json":
        assert response.headers["content-type"] == JSON
        validate_json("errors.json", response.json())
        text = " ".join(error["description"] for error in response.json())
        assert all(error["code"] == status for error in response.json())
    else:
        assert response.headers["content-type"] == XML
        validate_xml(response.content, "errors")
        root = ET.fromstring(response.content)
        assert [code.text for code in root.iter("code")] == [str(status)] * len(root)
        text = " ".join(d.text or "" for d in root.iter("description"))
    for name in names:
        assert name in text, f"{name!r} not in {text!r}"
    return text


def test_discovery_in_both_formats(client: TestClient) -> None:
    document = get_json(client, "/discovery.json")
    validate_json("discovery.json", document)
    (endpoint,) = document["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    changeset = dt.datetime.fromisoformat(document["changeset"])
    assert changeset < dt.datetime.now(dt.UTC)
    root = get_xml(client, "/discovery.xml", "discovery")
    assert root.findtext("contact") == document["contact"]
    assert root.findtext("key_service") == document["key_service"]
    assert [f.text for f in root.iter("format")] == endpoint["formats"]
    # Without a suffix: XML, the format every Open311 server must speak.
    bare = client.get(V2 + "/discovery")
    assert bare.headers["content-type"] == XML
    assert bare.content == client.get(V2 + "/discovery.xml").content


def test_services_list_every_active_category(
    client: TestClient, db: Session, territory: Territory
) -> None:
    db.add(ReportCategory(code="archive", name="Ancienne catégorie", active=False))
    territory.dumping.keywords = "déchets, encombrants"
    db.flush()
    services = get_json(client, "/services.json")
    validate_json("services.json", services)
    by_code = {service["service_code"]: service for service in services}
    assert set(by_code) == {"nid-de-poule", "depot-sauvage", "eclairage-panne"}
    assert by_code["nid-de-poule"]["metadata"] is True
    assert by_code["depot-sauvage"]["metadata"] is False
    assert by_code["depot-sauvage"]["keywords"] == "déchets, encombrants"
    assert by_code["eclairage-panne"]["group"] == "Éclairage"
    assert {service["type"] for service in services} == {"realtime"}
    root = get_xml(client, "/services.xml", "services")
    assert [s.findtext("service_code") for s in root] == [s["service_code"] for s in services]
    assert root.find("service/metadata") is not None
    assert {m.text for m in root.iter("metadata")} == {"true", "false"}


def test_service_definition_and_the_singular_alias(
    client: TestClient, territory: Territory
) -> None:
    definition = get_json(client, "/services/nid-de-poule.json")
    validate_json("service-definition.json", definition)
    assert definition["service_code"] == "nid-de-poule"
    size, notice = definition["attributes"]
    assert size == {
        "variable": True,
        "code": "taille",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "Taille du trou",
        "values": [
            {"key": "petit", "name": "Moins de 20 cm"},
            {"key": "grand", "name": "Plus de 20 cm"},
        ],
    }
    assert notice["variable"] is False
    assert notice["values"] == []
    assert get_json(client, "/service/nid-de-poule.json") == definition
    root = get_xml(client, "/service/nid-de-poule.xml", "service_definition")
    assert [v.findtext("key") for v in root.iter("value")] == ["petit", "grand"]
    assert (
        get_xml(client, "/services/depot-sauvage.xml", "service_definition").find("attributes")
        is not None
    )
    assert_error(client.get(V2 + "/services/inconnu.json"), 404, "json", "inconnu")
    assert_error(client.get(V2 + "/service/inconnu.xml"), 404, "xml", "inconnu")


def _report_at(db: Session, created: dt.datetime, item: Report) -> None:
    db.execute(update(Report).where(Report.id == item.id).values(created_at=created))
    db.flush()
    db.refresh(item)


def test_requests_show_public_fields_and_never_the_reporter(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    territory.pothole.notice = "Intervention sous 15 jours."
    with_photo = report(
        db,
        settings,
        agent,
        reporter_name="Marcelline Secrète",
        reporter_email="marcelline.secrete@example.fr",
        reporter_phone="06 39 98 12 34",
        address_string="12 rue Audry de Puyravault",
        photos=[photo_bytes()],
    )
    linked = report(
        db,
        settings,
        agent,
        category="depot-sauvage",
        at=FOURAS,
        media_url="https://photos.example.org/depot.jpg",
        reporter_email="autre.personne@example.fr",
    )
    moderated = report(db, settings, agent, description="Appelez Marcelline au 06 39 98 12 34")
    lifecycle.moderate(db, moderated, agent, public_description="Trou dangereux.")
    hidden = report(db, settings, agent)
    lifecycle.moderate(db, hidden, agent, hide_report=True)
    waiting = report(db, settings, ANONYMOUS, reporter_email="attente@example.fr")
    db.flush()

    for fmt in ("json", "xml"):
        body = client.get(f"{V2}/requests.{fmt}").text
        for secret in ("Marcelline", "Secrète", "marcelline", "06 39 98", "@example.fr"):
            assert secret not in body, f"{secret} leaked in {fmt}"
    found = get_json(client, "/requests.json")
    validate_json("requests.json", found)
    ids = [item["service_request_id"] for item in found]
    assert ids == [str(moderated.id), str(linked.id), str(with_photo.id)]
    assert str(hidden.id) not in ids
    assert str(waiting.id) not in ids
    by_id = {item["service_request_id"]: item for item in found}
    first = by_id[str(with_photo.id)]
    photo_id = ReportRepository(db).photos(with_photo.id)[0].id
    assert first == {
        "service_request_id": str(with_photo.id),
        "status": "open",
        "status_notes": None,
        "service_name": "Nid-de-poule",
        "service_code": "nid-de-poule",
        "description": "Un trou profond devant l'école.",
        "agency_responsible": territory.voirie.name,
        "service_notice": "Intervention sous 15 jours.",
        "requested_datetime": first["requested_datetime"],
        "updated_datetime": first["updated_datetime"],
        "expected_datetime": first["expected_datetime"],
        "address": "12 rue Audry de Puyravault",
        "address_id": None,
        "zipcode": None,
        "lat": ROCHEFORT[0],
        "long": ROCHEFORT[1],
        "media_url": f"http://testserver/signalements/photos/{photo_id}.jpg",
    }
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert first[key].endswith("Z"), first[key]
        assert dt.datetime.fromisoformat(first[key]).tzinfo is not None
    assert by_id[str(linked.id)]["media_url"] == "https://photos.example.org/depot.jpg"
    assert by_id[str(linked.id)]["agency_responsible"] == territory.agglomeration.name
    assert by_id[str(moderated.id)]["description"] == "Trou dangereux."
    root = get_xml(client, "/requests.xml", "service_requests")
    assert [r.findtext("service_request_id") for r in root] == ids
    assert root.find("request/lat") is not None
    assert (
        float(root.findtext(f"request[service_request_id='{with_photo.id}']/lat") or 0)
        == (ROCHEFORT[0])
    )


def test_one_request_is_an_array_of_one(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    item = report(db, settings, agent)
    waiting = report(db, settings, ANONYMOUS, reporter_email="attente@example.fr")
    hidden = report(db, settings, agent)
    lifecycle.moderate(db, hidden, agent, hide_report=True)
    db.flush()
    (found,) = get_json(client, f"/requests/{item.id}.json")
    assert found["service_request_id"] == str(item.id)
    root = get_xml(client, f"/requests/{item.id}.xml", "service_requests")
    assert [r.findtext("service_request_id") for r in root] == [str(item.id)]
    assert client.get(f"{V2}/requests/{item.id}").content == root_bytes(client, item.id)
    for missing in (waiting.id, hidden.id, 987654321, "abc", "9" * 30):
        assert_error(client.get(f"{V2}/requests/{missing}.json"), 404, "json", str(missing)[:12])
        assert_error(client.get(f"{V2}/requests/{missing}.xml"), 404, "xml")


def root_bytes(client: TestClient, report_id: int) -> bytes:
    """The XML of one request, asked with its suffix."""
    return client.get(f"{V2}/requests/{report_id}.xml").content


def test_filters_of_get_requests(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    pothole = report(db, settings, agent)
    dumping = report(db, settings, agent, category="depot-sauvage", at=FOURAS)
    light = report(db, settings, agent, category="eclairage-panne")
    old = report(db, settings, agent)
    _report_at(db, dt.datetime.now(dt.UTC) - dt.timedelta(days=120), old)
    lifecycle.change_status(
        db, settings, light, agent_of(db, territory), status="fixed", note="Lampe changée."
    )
    db.flush()

    def ids(**params: Any) -> list[str]:
        found = get_json(client, "/requests.json", **params)
        validate_json("requests.json", found)
        return [item["service_request_id"] for item in found]

    everything = ids()
    assert str(old.id) not in everything  # the last 90 days by default
    assert set(everything) == {str(pothole.id), str(dumping.id), str(light.id)}
    assert ids(service_code="depot-sauvage,eclairage-panne") == [str(light.id), str(dumping.id)]
    assert ids(status="closed") == [str(light.id)]
    assert set(ids(status="open")) == {str(pothole.id), str(dumping.id)}
    assert ids(status="open,closed") == everything
    # A list of ids overrides every other filter, the 90 days included.
    assert ids(service_request_id=f"{old.id},{dumping.id}", status="closed") == [
        str(dumping.id),
        str(old.id),
    ]
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(old.id) in ids(start_date=start)
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(days=100)).isoformat()
    assert ids(end_date=end) == [str(old.id)]
    assert ids(start_date="2000-01-01", end_date="2000-02-01T00:00:00+01:00") == []
    assert ids(updated_after=start, service_code="nid-de-poule") == [str(pothole.id), str(old.id)]
    # Within 2 km of Fouras: the dumping only.
    assert ids(lat=FOURAS[0], long=FOURAS[1], radius=2000) == [str(dumping.id)]
    assert ids(page_size=2) == everything[:2]
    assert ids(page_size=2, page=2) == everything[2:]
    assert ids(page=5) == []
    # Empty parameters are the same as none (GeoReport v2).
    assert ids(service_code="", status="", start_date="", jurisdiction_id="") == everything


def agent_of(db: Session, territory: Territory) -> Principal:
    """An agent of the lighting department."""
    return staff(db, "eclairage.open311@example.fr", territory.eclairage)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"start_date": "hier"}, "start_date"),
        ({"end_date": "2026-13-45T00:00:00Z"}, "end_date"),
        ({"updated_after": "2026-01-01T25:00"}, "updated_after"),
        ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "12,abc"}, "service_request_id"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"lat": "45.9"}, "lat"),
        ({"lat": "95", "long": "-1"}, "lat"),
        ({"lat": "45.9", "long": "nan"}, "long"),
        ({"lat": "45.9", "long": "-1", "radius": "-5"}, "radius"),
        ({"extensions": "maybe"}, "extensions"),
    ],
)
def test_bad_search_parameters_are_400(
    client: TestClient, params: dict[str, str], name: str
) -> None:
    assert_error(client.get(V2 + "/requests.json", params=params), 400, "json", name)
    assert_error(client.get(V2 + "/requests.xml", params=params), 400, "xml", name)


def test_extensions_add_detailed_status_photos_and_public_notes(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    item = report(db, settings, agent, photos=[photo_bytes(), photo_bytes("PNG")])
    lifecycle.change_status(
        db, settings, item, agent, status="planned", note="Réparation prévue lundi."
    )
    lifecycle.add_note(db, settings, item, agent, internal_note="Voir avec l'équipe B")
    lifecycle.change_status(
        db,
        settings,
        item,
        agent,
        status="closed",
        close_reason="not_responsible",
        note="Voie départementale.",
    )
    db.flush()
    plain = get_json(client, f"/requests/{item.id}.json")[0]
    assert "extended_attributes" not in plain
    assert "notes" not in plain
    assert plain["status"] == "closed"
    assert plain["status_notes"] == "Voie départementale."
    (found,) = get_json(client, f"/requests/{item.id}.json", extensions="true")
    validate_json("request.json", found)
    extended = found["extended_attributes"]
    assert extended["detailed_status"] == "NOT_COUNCILS_RESPONSIBILITY"
    assert len(extended["photos"]) == 2
    assert extended["photos"][0]["media_url"] == found["media_url"]
    assert [note["description"] for note in found["notes"]][1:] == [
        "Réparation prévue lundi.",
        "Voie départementale.",
    ]
    assert "équipe B" not in json.dumps(found)
    listed = get_json(client, "/requests.json", extensions="true")
    assert listed[0]["extended_attributes"] == extended
    root = get_xml(client, "/requests.xml", "service_requests", extensions="true")
    assert [p.findtext("media_url") for p in root.iter("photo")] == [
        p["media_url"] for p in extended["photos"]
    ]
    assert (
        root.findtext("request/extended_attributes/detailed_status")
        == "NOT_COUNCILS_RESPONSIBILITY"
    )


def test_photos_hidden_by_a_moderator_are_never_linked(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    item = report(db, settings, agent, photos=[photo_bytes(), photo_bytes("PNG")])
    first, second = ReportRepository(db).photos(item.id)
    lifecycle.moderate(db, item, agent, hidden_photo_ids=[first.id])
    db.flush()
    (found,) = get_json(client, f"/requests/{item.id}.json", extensions="true")
    assert found["media_url"] == f"http://testserver/signalements/photos/{second.id}.jpg"
    assert [p["media_url"] for p in found["extended_attributes"]["photos"]] == [found["media_url"]]
    lifecycle.moderate(db, item, agent, hidden_photo_ids=[first.id, second.id])
    db.flush()
    (found,) = get_json(client, f"/requests/{item.id}.json", extensions="true")
    assert found["media_url"] is None
    assert found["extended_attributes"]["photos"] == []


def test_tokens_give_the_request_id(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    item = report(db, settings, agent)
    found = get_json(client, f"/tokens/{item.token}.json")
    validate_json("tokens.json", found)
    assert found == [{"service_request_id": str(item.id), "token": item.token}]
    root = get_xml(client, f"/tokens/{item.token}.xml", "service_requests")
    assert root.findtext("request/service_request_id") == str(item.id)
    assert_error(client.get(V2 + "/tokens/inconnu.json"), 404, "json", "inconnu")


def test_jurisdiction_id_empty_ours_or_unknown(client: TestClient, territory: Territory) -> None:
    for value in ("", "testserver", "TESTSERVER"):
        assert client.get(V2 + "/services.json", params={"jurisdiction_id": value}).is_success
    for path in ("/services.json", "/requests.json", "/services/nid-de-poule.json"):
        response = client.get(V2 + path, params={"jurisdiction_id": "paris.fr"})
        assert_error(response, 404, "json", "paris.fr")
    assert_error(
        client.get(V2 + "/services.xml", params={"jurisdiction_id": "paris.fr"}), 404, "xml"
    )


def test_every_error_under_open311_is_an_open311_error(client: TestClient) -> None:
    assert_error(client.get(V2 + "/nothing.json"), 404, "json", "/open311/v2/nothing.json")
    assert_error(client.get(V2 + "/nothing"), 404, "xml", "/open311/v2/nothing")
    assert_error(client.get("/open311/"), 404, "xml")
    assert_error(client.get(V2 + "/services.csv"), 404, "xml", ".csv")
    # GeoReport v2 answers 400 for anything but a missing resource or a bad key.
    assert_error(client.delete(V2 + "/requests.json"), 400, "json", "DELETE")
    assert_error(client.put(V2 + "/services.xml"), 400, "xml", "PUT")


def test_repeated_slashes_are_one(client: TestClient, territory: Territory) -> None:
    response = client.get(V2 + "//services.xml", params={"jurisdiction_id": ""})
    assert response.status_code == 200
    assert response.content == client.get(V2 + "/services.xml").content
    assert client.get("/open311//v2//services/nid-de-poule.json").json()["service_code"] == (
        "nid-de-poule"
    )


def test_control_characters_never_break_the_xml(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    # PostgreSQL stores no NUL, but other control characters reach the database.
    item = report(db, settings, agent, description="Trou <profond> & \x07dangereux\x1b ]]>")
    db.flush()
    root = get_xml(client, f"/requests/{item.id}.xml", "service_requests")
    assert root.findtext("request/description") == "Trou <profond> & dangereux ]]>"
