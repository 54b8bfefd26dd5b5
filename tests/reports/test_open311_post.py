"""Open311 POST requests: form-encoded and multipart, as real clients send them, and bad input."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import ApiToken, Membership
from servicielle.core.db import utcnow
from servicielle.core.territory.models import Organisation
from servicielle.reports.models import CategoryQuestion, Report, ReportPhoto
from servicielle.reports.open311 import forms
from tests.conftest import make_user, token_for
from tests.reports.conftest import OCEAN, ROCHEFORT, Territory, photo_bytes
from tests.reports.open311_schemas import validate_json, validate_xml
from tests.reports.test_open311_api import V2, assert_error

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def api_key(db: Session, territory: Territory) -> str:
    """An API token of a roads department agent."""
    user = make_user(db, "appli.open311@example.fr", organisation=territory.voirie)
    return token_for(db, user.id, territory.voirie.id)


def pothole(**extra: Any) -> dict[str, Any]:
    """A valid pothole request's form fields."""
    return {
        "service_code": "nid-de-poule",
        "lat": str(ROCHEFORT[0]),
        "long": str(ROCHEFORT[1]),
        "attribute[taille]": "grand",
        "description": "Trou de 30 cm devant la poste.",
        **extra,
    }


def counts(db: Session) -> tuple[int, int]:
    """How many reports and photos are stored."""
    return (
        db.scalar(select(func.count()).select_from(Report)) or 0,
        db.scalar(select(func.count()).select_from(ReportPhoto)) or 0,
    )


def stored(db: Session, answer: httpx.Response) -> Report:
    """The report a successful JSON answer names."""
    (created,) = answer.json()
    report = db.get(Report, int(created["service_request_id"]))
    assert report is not None
    db.refresh(report)
    return report


def test_form_encoded_post_stores_a_confirmed_report(
    client: TestClient, db: Session, territory: Territory, api_key: str
) -> None:
    territory.pothole.notice = "Intervention sous 15 jours."
    db.flush()
    answer = client.post(
        V2 + "/requests.json",
        data=pothole(
            api_key=api_key,
            jurisdiction_id="testserver",
            email="Jean.Dupont@Example.fr",
            first_name="Jean",
            last_name="Dupont",
            phone="06 39 98 11 22",
            device_id="abc-123",
            account_id="42",
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    validate_json("created.json", answer.json())
    (created,) = answer.json()
    assert created["service_notice"] == "Intervention sous 15 jours."
    assert created["account_id"] is None
    report = stored(db, answer)
    assert report.status == "open"
    assert report.channel == "open311"
    assert report.reporter_name == "Jean Dupont"
    assert report.reporter_email == "jean.dupont@example.fr"
    assert report.reporter_phone == "06 39 98 11 22"
    assert report.answers == {"taille": "grand"}
    assert report.organisation_id == territory.voirie.id
    shown = client.get(f"{V2}/requests/{report.id}.json").json()[0]
    assert shown["description"] == "Trou de 30 cm devant la poste."
    assert "Dupont" not in client.get(f"{V2}/requests/{report.id}.xml").text


def test_the_open311_client_post_replayed(
    client: TestClient, db: Session, territory: Territory, api_key: str
) -> None:
    """open311 1.1 (Python 2): api_key and an empty jurisdiction_id in the query string,
    the kwargs form-encoded in the body, ``//requests.xml`` from a trailing-slash endpoint."""
    endpoint = "http://testserver/open311/v2/"
    url = endpoint + "/requests.xml?" + urlencode({"api_key": api_key, "jurisdiction_id": ""})
    body = urlencode(pothole(email="usager@example.fr"))
    answer = client.post(
        url,
        content=body.encode(),
        headers={"Content-Type": FORM, "User-Agent": "Python-urllib/2.7"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    validate_xml(answer.content, "service_requests")
    request = ET.fromstring(answer.content).find("request")
    assert request is not None
    assert [child.tag for child in request] == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert db.get(Report, int(request.findtext("service_request_id") or 0)) is not None


def test_list_answers_address_only_and_media_url(
    client: TestClient, db: Session, territory: Territory, api_key: str
) -> None:
    db.add(
        CategoryQuestion(
            category_id=territory.lighting.id,
            code="couleur",
            datatype="multivaluelist",
            order=1,
            description="Couleur de la lumière",
            values=[{"key": "blanc", "name": "Blanche"}, {"key": "orange", "name": "Orange"}],
        )
    )
    db.flush()
    answer = client.post(
        V2 + "/requests.json",
        data={
            "api_key": api_key,
            "service_code": "eclairage-panne",
            "address_string": "Place Colbert, Rochefort",
            "attribute[couleur][]": ["blanc", "orange"],
            "media_url": "https://photos.example.org/lampadaire.jpg",
        },
    )
    assert answer.status_code == 200, answer.text
    report = stored(db, answer)
    assert report.answers == {"couleur": ["blanc", "orange"]}
    assert report.lat is None
    assert report.address_string == "Place Colbert, Rochefort"
    shown = client.get(f"{V2}/requests/{report.id}.json").json()[0]
    assert shown["address"] == "Place Colbert, Rochefort"
    assert shown["media_url"] == "https://photos.example.org/lampadaire.jpg"
    assert shown["lat"] is None


def test_multipart_photos_are_stored_and_linked(
    client: TestClient, db: Session, territory: Territory, api_key: str
) -> None:
    answer = client.post(
        V2 + "/requests.xml",
        params={"api_key": api_key},
        data=pothole(),
        files=[
            ("media", ("trou.jpg", photo_bytes(), "image/jpeg")),
            ("media[]", ("trou.png", photo_bytes("PNG", (300, 200)), "image/png")),
        ],
    )
    assert answer.status_code == 200, answer.text
    validate_xml(answer.content, "service_requests")
    report_id = int(ET.fromstring(answer.content).findtext("request/service_request_id") or 0)
    photos = db.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report_id)).all()
    assert [(p.width, p.height) for p in photos] == [(640, 480), (300, 200)]
    shown = client.get(f"{V2}/requests/{report_id}.json").json()[0]
    assert shown["media_url"] == f"http://testserver/signalements/photos/{photos[0].id}.jpg"


def test_control_characters_are_dropped_not_a_500(
    client: TestClient, db: Session, territory: Territory, api_key: str
) -> None:
    answer = client.post(
        V2 + "/requests.json",
        data=pothole(api_key=api_key, description="Trou\x00 profond\x07", first_name="A\x00B"),
    )
    assert answer.status_code == 200, answer.text
    report = stored(db, answer)
    assert report.description == "Trou profond"
    assert report.reporter_name == "AB"
    found = client.get(V2 + "/requests.json", params={"service_code": "\x00inconnu"})
    assert found.json() == []


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _files(*contents: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("media[]", (f"photo{i}.jpg", data, "image/jpeg")) for i, data in enumerate(contents)]


Case = tuple[int, str, dict[str, Any], Callable[[], list[Any]] | None, tuple[str, ...]]
BAD_INPUT: dict[str, Case] = {
    "not an image": (
        400,
        "json",
        pothole(),
        lambda: _files(b"GIF89a but not really"),
        ("media[0]",),
    ),
    "decompression bomb": (
        400,
        "xml",
        pothole(),
        lambda: _files(photo_bytes(), png_declaring(20000, 20000)),
        ("media[1]",),
    ),
    "oversized photo": (
        400,
        "json",
        pothole(),
        lambda: _files(photo_bytes(), b"\xff" * (16 * 1024 * 1024)),
        ("media[1]", "15"),
    ),
    "six photos": (400, "json", pothole(), lambda: _files(*[photo_bytes()] * 6), ("media",)),
    "empty file": (400, "json", pothole(), lambda: _files(b""), ("media[0]",)),
    "outside the territory": (
        400,
        "xml",
        pothole(lat=str(OCEAN[0]), long=str(OCEAN[1])),
        None,
        ("lat",),
    ),
    "latitude out of range": (400, "json", pothole(lat="91"), None, ("lat",)),
    "longitude out of range": (400, "json", pothole(long="-200"), None, ("long",)),
    "latitude not a number": (400, "json", pothole(lat="quarante-cinq"), None, ("lat",)),
    "only a latitude": (400, "json", pothole(long=""), None, ("lat",)),
    "no location": (400, "json", pothole(lat="", long=""), None, ("lat",)),
    "unknown service_code": (404, "json", pothole(service_code="inconnu"), None, ("inconnu",)),
    "no service_code": (400, "xml", pothole(service_code=""), None, ("service_code",)),
    "missing required attribute": (
        400,
        "json",
        pothole(**{"attribute[taille]": ""}),
        None,
        ("attribute[taille]",),
    ),
    "attribute out of its list": (
        400,
        "json",
        pothole(**{"attribute[taille]": "immense"}),
        None,
        ("attribute[taille]", "immense"),
    ),
    "description of 4001 characters": (
        400,
        "json",
        pothole(description="x" * 4001),
        None,
        ("description", "4000"),
    ),
    "bad email": (400, "json", pothole(email="pas-une-adresse"), None, ("email",)),
    "media_url not on the web": (
        400,
        "json",
        pothole(media_url="ftp://example.org/a.jpg"),
        None,
        ("media_url",),
    ),
    "unknown jurisdiction": (404, "json", pothole(jurisdiction_id="paris.fr"), None, ("paris.fr",)),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_is_an_open311_error_and_stores_nothing(
    client: TestClient, db: Session, api_key: str, case: str
) -> None:
    status, fmt, data, files, names = BAD_INPUT[case]
    before = counts(db)
    answer = client.post(
        f"{V2}/requests.{fmt}",
        data={**data, "api_key": api_key},
        files=files() if files else None,
    )
    assert_error(answer, status, fmt, *names)
    assert counts(db) == before


def test_bad_or_missing_api_key_is_403(
    client: TestClient, db: Session, territory: Territory, api_key: str
) -> None:
    before = counts(db)
    for key in (None, "", "svc_inconnue", "pas-un-jeton", "x" * 500):
        data = pothole() if key is None else pothole(api_key=key)
        assert_error(client.post(V2 + "/requests.json", data=data), 403, "json", "api_key")
        assert_error(client.post(V2 + "/requests.xml", data=data), 403, "xml", "api_key")
    token = db.scalars(select(ApiToken)).one()
    token.revoked_at = utcnow()
    db.flush()
    assert_error(client.post(V2 + "/requests.json", data=pothole(api_key=api_key)), 403, "json")
    assert counts(db) == before


def test_an_api_key_works_without_its_organisation_too(
    client: TestClient, db: Session, territory: Territory
) -> None:
    """A token whose membership was withdrawn still speaks for a signed-in inhabitant."""
    other = Organisation(slug="ancienne-appli", name="Ancienne appli", kind="association")
    db.add(other)
    db.flush()
    user = make_user(db, "ancien@example.fr", organisation=other)
    key = token_for(db, user.id, other.id)
    db.execute(delete(Membership).where(Membership.user_id == user.id))
    db.flush()
    db.expire_all()
    answer = client.post(V2 + "/requests.json", data=pothole(api_key=key))
    assert answer.status_code == 200, answer.text


def test_the_body_is_read_within_its_limit(
    client: TestClient, territory: Territory, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "MAX_BODY_BYTES", 2000)
    answer = client.post(
        V2 + "/requests.json", data=pothole(api_key=api_key, description="x" * 3000)
    )
    assert_error(answer, 400, "json")

    def chunks() -> Iterator[bytes]:
        yield urlencode(pothole(api_key=api_key)).encode()
        yield b"&description=" + b"x" * 3000

    # Without a Content-Length (chunked), the limit holds while reading.
    streamed = client.post(V2 + "/requests.xml", content=chunks(), headers={"Content-Type": FORM})
    assert_error(streamed, 400, "xml")


@pytest.mark.parametrize(
    ("content_type", "body", "name"),
    [
        ("application/json", b'{"service_code": "nid-de-poule"}', "Content-Type"),
        (FORM, b"service_code=%FF%FE", "UTF-8"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nnot a part", "multipart"),
        ("multipart/form-data", b"--zz\r\n", "multipart"),
    ],
)
def test_unreadable_bodies_are_400(
    client: TestClient, api_key: str, content_type: str, body: bytes, name: str
) -> None:
    answer = client.post(
        V2 + "/requests.json",
        params={"api_key": api_key},
        content=body,
        headers={"Content-Type": content_type},
    )
    assert_error(answer, 400, "json", name)
