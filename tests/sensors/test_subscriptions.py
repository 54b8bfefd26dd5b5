"""NGSI-LD subscriptions: the API, which changes notify, and what a receiver gets."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.sensors.models import Notification, Subscription
from servicielle.sensors.worker import deliver_due
from tests.sensors.conftest import CORE, Ngsi, at, parking

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
GARE = "urn:ngsi-ld:OffStreetParking:gare"


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records the notifications POSTed to it."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append((dict(self.headers), json.loads(raw)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """Where to send notifications."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    @property
    def bodies(self) -> list[Any]:
        """The notifications received, in order."""
        return [body for _headers, body in self.received]

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver, stopped after the test."""
    running = Receiver()
    yield running
    running.close()


def subscription(uri: str, **members: Any) -> dict[str, Any]:
    """A subscription body as ngsildclient's SubscriptionBuilder makes it."""
    body: dict[str, Any] = {
        "type": "Subscription",
        "entities": [{"type": "OffStreetParking"}],
        "watchedAttributes": ["availableSpotNumber"],
        "isActive": True,
        "notification": {
            "format": "normalized",
            "endpoint": {"uri": uri, "accept": "application/ld+json"},
        },
        "@context": CORE,
    }
    body.update(members)
    return body


def deliver(db: Session, now: dt.datetime | None = None) -> int:
    """Run the worker's delivery until nothing is due at ``now``; returns how many were tried."""
    db.expire_all()
    total = 0
    with httpx.Client(timeout=5) as client:
        while tried := deliver_due(db, client, now or utcnow()):
            total += tried
    return total


def spots(ngsi: Ngsi, entity: str, value: int, minutes_ago: float = 1) -> None:
    """PATCH availableSpotNumber as a car park's counter does."""
    body = {
        "availableSpotNumber": {"type": "Property", "value": value, "observedAt": at(minutes_ago)}
    }
    response = ngsi.request("PATCH", f"/entities/{entity}/attrs", body)
    assert response.status_code == 204, response.text


def test_create_sends_nothing_then_one_notification_per_change(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    created = operator.request("POST", "/subscriptions/", subscription(receiver.url))
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:")
    subscription_id = location.rsplit("/", 1)[1]
    assert deliver(db) == 0
    assert receiver.received == []  # no initial notification

    spots(operator, GARE, 7)
    assert deliver(db) == 1
    headers, body = receiver.received[0]
    assert headers["Content-Type"] == "application/ld+json"
    assert body["type"] == "Notification"
    assert body["id"].startswith("urn:ngsi-ld:Notification:")
    assert body["subscriptionId"] == subscription_id
    assert body["@context"] == [CORE]
    notified = dt.datetime.fromisoformat(body["notifiedAt"])
    assert abs(notified - utcnow()) < dt.timedelta(minutes=1)
    [entity] = body["data"]
    assert entity["id"] == GARE
    assert entity["availableSpotNumber"]["type"] == "Property"
    assert entity["availableSpotNumber"]["value"] == 7
    assert entity["status"]["value"] == "open"  # no attributes listed: the whole entity
    assert deliver(db) == 0  # delivered once

    shown = operator.request("GET", f"/subscriptions/{subscription_id}").json()
    assert shown["status"] == "active"
    assert shown["@context"] == [CORE]
    assert shown["notification"]["timesSent"] == 1
    assert shown["notification"]["status"] == "ok"
    assert "lastSuccess" in shown["notification"]


def test_key_values_json_with_listed_attributes(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    body = subscription(receiver.url)
    body["notification"] = {
        "format": "keyValues",
        "attributes": ["availableSpotNumber"],
        "endpoint": {
            "uri": receiver.url,
            "accept": "application/json",
            "receiverInfo": [{"key": "X-Auth-Token", "value": "s3cret"}],
        },
    }
    assert operator.request("POST", "/subscriptions", body).status_code == 201
    spots(operator, GARE, 3)
    deliver(db)
    [(headers, notification)] = receiver.received
    assert headers["Content-Type"] == "application/json"
    assert "ngsi-ld-core-context" in headers["Link"]
    assert headers["X-Auth-Token"] == "s3cret"
    assert "@context" not in notification
    assert notification["data"] == [
        {"id": GARE, "type": "OffStreetParking", "availableSpotNumber": 3}
    ]


def test_changes_outside_the_criteria_notify_nothing(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 4))
    operator.create(
        {
            "id": "urn:ngsi-ld:WeatherObserved:port",
            "type": "WeatherObserved",
            "temperature": {"type": "Property", "value": 12.5, "observedAt": at(10)},
            "availableSpotNumber": {"type": "Property", "value": 1},
        }
    )
    body = subscription(receiver.url, q="availableSpotNumber<10")
    assert operator.request("POST", "/subscriptions/", body).status_code == 201
    # Another type (q true, attribute watched).
    spots(operator, "urn:ngsi-ld:WeatherObserved:port", 2)
    assert deliver(db) == 0
    # An attribute not watched (q true).
    status = {"status": {"type": "Property", "value": "full"}}
    assert operator.request("PATCH", f"/entities/{GARE}/attrs", status).status_code == 204
    assert deliver(db) == 0
    # A watched attribute for which q is false.
    spots(operator, GARE, 50, minutes_ago=2)
    assert deliver(db) == 0
    assert receiver.received == []
    spots(operator, GARE, 5)
    assert deliver(db) == 1
    assert receiver.bodies[0]["data"][0]["availableSpotNumber"]["value"] == 5


def test_selectors_by_id_pattern_and_geo_query(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42, lon=-0.9600, lat=45.9400))
    operator.create(parking("fouras", 90, lon=-1.0900, lat=45.9900))
    operator.create(parking("corderie", 150, lon=-0.9590, lat=45.9410))
    by_id = subscription(receiver.url, entities=[{"id": "urn:ngsi-ld:OffStreetParking:fouras"}])
    near = subscription(
        receiver.url,
        entities=[{"idPattern": "^urn:ngsi-ld:OffStreetParking:"}],
        geoQ={
            "georel": "near;maxDistance==500",
            "geometry": "Point",
            "coordinates": [-0.96, 45.94],
        },
    )
    ids = []
    for body in (by_id, near):
        created = operator.request("POST", "/subscriptions/", body)
        ids.append(created.headers["location"].rsplit("/", 1)[1])
    for name, value in (("gare", 1), ("fouras", 2), ("corderie", 3)):
        spots(operator, f"urn:ngsi-ld:OffStreetParking:{name}", value)
    deliver(db)
    got = sorted(
        (b["subscriptionId"] == ids[0], b["data"][0]["id"].rsplit(":", 1)[1])
        for b in receiver.bodies
    )
    assert got == [(False, "corderie"), (False, "gare"), (True, "fouras")]


def test_observations_ingested_in_bulk_notify_too(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    assert (
        operator.request("POST", "/subscriptions/", subscription(receiver.url)).status_code == 201
    )
    rows = [
        {"entity": GARE, "attribute": "availableSpotNumber", "value": v, "observedAt": at(m)}
        for v, m in ((20, 3), (21, 2))
    ]
    assert operator.ingest(rows).json()["stored"] == 2
    deliver(db)
    [notification] = receiver.bodies
    assert notification["data"][0]["availableSpotNumber"]["value"] == 21


def test_percent_encoded_q_is_decoded(operator: Ngsi, receiver: Receiver, db: Session) -> None:
    operator.create(parking("gare", 42))
    body = subscription(receiver.url, q="status%3D%3D%22full%22", watchedAttributes=["status"])
    created = operator.request("POST", "/subscriptions/", body)
    assert created.status_code == 201, created.text
    shown = operator.request("GET", created.headers["location"].removeprefix("/ngsi-ld/v1"))
    assert shown.json()["q"] == 'status=="full"'
    for value in ("closed", "full"):
        change = {"status": {"type": "Property", "value": value}}
        operator.request("PATCH", f"/entities/{GARE}/attrs", change)
    deliver(db)
    assert [b["data"][0]["status"]["value"] for b in receiver.bodies] == ["full"]


def test_throttling_delays_and_never_drops(operator: Ngsi, receiver: Receiver, db: Session) -> None:
    operator.create(parking("gare", 42))
    assert (
        operator.request(
            "POST", "/subscriptions/", subscription(receiver.url, throttling=60)
        ).status_code
        == 201
    )
    for value, minutes_ago in ((10, 3), (11, 2), (12, 1)):
        spots(operator, GARE, value, minutes_ago)
    now = utcnow()
    assert deliver(db, now) == 1
    assert deliver(db, now + dt.timedelta(seconds=30)) == 0
    assert deliver(db, now + dt.timedelta(seconds=61)) == 1
    assert deliver(db, now + dt.timedelta(seconds=121)) == 1
    values = [b["data"][0]["availableSpotNumber"]["value"] for b in receiver.bodies]
    assert values == [10, 11, 12]


def test_paused_and_expired_subscriptions_queue_nothing(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    created = operator.request("POST", "/subscriptions/", subscription(receiver.url))
    path = created.headers["location"].removeprefix("/ngsi-ld/v1")
    paused = operator.request("PATCH", path, {"isActive": False})
    assert paused.status_code == 204, paused.text
    assert operator.request("GET", path).json()["status"] == "paused"
    spots(operator, GARE, 1, minutes_ago=3)
    operator.request("PATCH", path, {"isActive": True})
    stored = db.scalars(select(Subscription)).one()
    stored.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.flush()
    assert operator.request("GET", path).json()["status"] == "expired"
    spots(operator, GARE, 2, minutes_ago=2)
    assert db.scalars(select(Notification)).all() == []
    later = (utcnow() + dt.timedelta(days=1)).isoformat()
    assert operator.request("PATCH", path, {"expiresAt": later}).status_code == 204
    spots(operator, GARE, 3, minutes_ago=1)
    deliver(db)
    assert [b["data"][0]["availableSpotNumber"]["value"] for b in receiver.bodies] == [3]


def test_patch_keeps_what_it_does_not_mention_and_delete_removes(
    operator: Ngsi, receiver: Receiver
) -> None:
    created = operator.request(
        "POST", "/subscriptions/", subscription(receiver.url, id="urn:ngsi-ld:Subscription:s1")
    )
    assert created.headers["location"] == "/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:s1"
    path = "/subscriptions/urn:ngsi-ld:Subscription:s1"
    changed = operator.request("PATCH", path, {"notification": {"format": "keyValues"}})
    assert changed.status_code == 204, changed.text
    shown = operator.request("GET", path).json()
    assert shown["notification"]["format"] == "keyValues"
    assert shown["notification"]["endpoint"]["uri"] == receiver.url
    assert shown["watchedAttributes"] == ["availableSpotNumber"]
    bad = operator.request("PATCH", path, {"notification": {"endpoint": {"uri": "ftp://x"}}})
    assert bad.status_code == 400
    assert operator.request("DELETE", path).status_code == 204
    gone = operator.request("GET", path)
    assert gone.status_code == 404
    assert gone.json()["type"] == ERRORS + "ResourceNotFound"


def test_an_id_taken_is_already_exists(operator: Ngsi, receiver: Receiver) -> None:
    body = subscription(receiver.url, id="urn:ngsi-ld:Subscription:s1")
    assert operator.request("POST", "/subscriptions/", body).status_code == 201
    again = operator.request("POST", "/subscriptions/", body)
    assert again.status_code == 409
    assert again.json()["type"] == ERRORS + "AlreadyExists"


def test_list_pages_and_counts(operator: Ngsi, receiver: Receiver) -> None:
    for number in range(3):
        body = subscription(receiver.url, id=f"urn:ngsi-ld:Subscription:s{number}")
        operator.request("POST", "/subscriptions/", body)
    page = operator.request("GET", "/subscriptions", params={"limit": "2", "count": "true"})
    assert page.status_code == 200
    assert page.headers["NGSILD-Results-Count"] == "3"
    assert [s["id"] for s in page.json()] == [
        "urn:ngsi-ld:Subscription:s0",
        "urn:ngsi-ld:Subscription:s1",
    ]
    rest = operator.request("GET", "/subscriptions/", params={"offset": "2"}).json()
    assert [s["id"] for s in rest] == ["urn:ngsi-ld:Subscription:s2"]
    assert all(s["@context"] == [CORE] for s in page.json())


def test_other_organisations_see_nothing(
    operator: Ngsi, department: Ngsi, public: Ngsi, receiver: Receiver
) -> None:
    body = subscription(receiver.url, id="urn:ngsi-ld:Subscription:s1")
    assert public.request("POST", "/subscriptions/", body).status_code == 401
    assert operator.request("POST", "/subscriptions/", body).status_code == 201
    path = "/subscriptions/urn:ngsi-ld:Subscription:s1"
    assert department.request("GET", "/subscriptions").json() == []
    assert public.request("GET", "/subscriptions").json() == []
    for method, fragment in (("GET", None), ("PATCH", {"isActive": False}), ("DELETE", None)):
        response = department.request(method, path, fragment)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["type"] == ERRORS + "ResourceNotFound"
    assert public.request("GET", path).status_code == 404
    assert operator.request("GET", path).json()["isActive"] is True


def test_a_subscription_made_for_a_tenant_hears_only_its_entities(
    operator: Ngsi, department: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    department.create(parking("fouras", 10))
    tenant = {"NGSILD-Tenant": "operateur-test"}
    scoped = operator.request("POST", "/subscriptions/", subscription(receiver.url), headers=tenant)
    assert scoped.status_code == 201, scoped.text
    assert (
        operator.request("POST", "/subscriptions/", subscription(receiver.url)).status_code == 201
    )
    spots(department, "urn:ngsi-ld:OffStreetParking:fouras", 1)
    spots(operator, GARE, 2)
    deliver(db)
    scoped_id = scoped.headers["location"].rsplit("/", 1)[1]
    heard = sorted(
        (b["subscriptionId"] == scoped_id, b["data"][0]["id"].rsplit(":", 1)[1])
        for b in receiver.bodies
    )
    # Without the header, a subscription hears the whole territory, as GET /entities shows it.
    assert heard == [(False, "fouras"), (False, "gare"), (True, "gare")]
    listed = operator.request("GET", "/subscriptions", headers=tenant).json()
    assert len(listed) == 2
    assert "_tenant" not in listed[0]
    other = department.request("GET", "/subscriptions", headers={"NGSILD-Tenant": "voirie-test"})
    assert other.json() == []


# (members changed in a valid body, status, NGSI-LD error type, words of the detail)
INVALID: list[tuple[dict[str, Any], int, str, str]] = [
    ({"type": "Subscriptions"}, 400, "BadRequestData", 'type must be "Subscription"'),
    ({"type": None}, 400, "BadRequestData", 'type must be "Subscription"'),
    (
        {"entities": None, "watchedAttributes": None},
        400,
        "BadRequestData",
        "entities or watchedAttributes",
    ),
    ({"entities": [{"name": "x"}]}, 400, "BadRequestData", "type, id or idPattern"),
    ({"notification": {"format": "normalized"}}, 400, "BadRequestData", "endpoint.uri"),
    (
        {"notification": {"endpoint": {"uri": "mqtt://broker/topic"}}},
        400,
        "BadRequestData",
        "http(s)",
    ),
    (
        {"notification": {"endpoint": {"uri": "http://127.0.0.1:9/", "accept": "text/csv"}}},
        400,
        "BadRequestData",
        "endpoint.accept",
    ),
    ({"q": "availableSpotNumber>>1"}, 400, "BadRequestData", "q: "),
    ({"expiresAt": "demain"}, 400, "BadRequestData", "expiresAt is not"),
    ({"expiresAt": "2020-01-01T00:00:00Z"}, 400, "BadRequestData", "in the past"),
    ({"throttling": -1}, 400, "BadRequestData", "throttling"),
    ({"timeInterval": 60}, 422, "OperationNotSupported", "timeInterval"),
    ({"id": "not a uri"}, 400, "BadRequestData", "URI"),
]


def test_invalid_bodies_name_the_problem(operator: Ngsi, db: Session) -> None:
    for change, status, error, detail in INVALID:
        body = {k: v for k, v in {**subscription("http://127.0.0.1:9/n"), **change}.items() if v}
        response = operator.request("POST", "/subscriptions/", body)
        assert response.status_code == status, (change, response.text)
        assert response.json()["type"] == ERRORS + error, change
        assert detail in response.json()["detail"], (change, response.json()["detail"])
    not_json = operator.client.post(
        "/ngsi-ld/v1/subscriptions/", content=b"{nope", headers=operator.headers()
    )
    assert not_json.status_code == 400
    assert not_json.json()["type"] == ERRORS + "InvalidRequest"
    assert db.scalars(select(Subscription)).all() == []
