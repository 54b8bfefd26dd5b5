"""Sensors pages and their JSON: the live map, health, entity page with its chart, admin."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.sensors.freshness import SILENCE_FACTOR, FreshnessRepository
from servicielle.sensors.models import DeadLetter, Notification, SensorEntity, Subscription
from tests.conftest import sign_in_client
from tests.sensors.conftest import Ngsi, at, parking

HTML = {"Accept": "text/html"}
GARE = "urn:ngsi-ld:OffStreetParking:gare"


def air(name: str, no2: float, minutes_ago: float | None) -> dict[str, Any]:
    """An AirQualityObserved; without ``minutes_ago`` its value carries no observedAt."""
    value: dict[str, Any] = {"type": "Property", "value": no2}
    if minutes_ago is not None:
        value["observedAt"] = at(minutes_ago)
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:{name}",
        "type": "AirQualityObserved",
        "name": {"type": "Property", "value": f"Station {name}"},
        "no2": value,
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [-0.9, 45.9]},
        },
    }


def stale_parking(name: str, free: int, minutes_ago: float) -> dict[str, Any]:
    """A parking whose only observation is ``minutes_ago`` old."""
    entity = parking(name, free)
    entity["availableSpotNumber"]["observedAt"] = at(minutes_ago)
    return entity


def _create(ngsi: Ngsi, *entities: dict[str, Any]) -> None:
    for entity in entities:
        response = ngsi.create(entity)
        assert response.status_code == 201, response.text


def test_map_json_carries_states_and_silent_flags(operator: Ngsi, client: TestClient) -> None:
    _create(
        operator,
        parking("gare", 120),  # 60 % free, reported 30 min ago: fine
        parking("plein", 3),  # 1.5 % free: alert
        stale_parking("vieux", 120, 60),  # 60 min > 3 × 15 min: silent
        air("centre", 150, None),  # never reported
    )
    response = client.get("/api/sensors/map")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in body["features"]}
    gare = by_id[GARE]
    assert gare["geometry"] == {"type": "Point", "coordinates": [-0.96, 45.94]}
    assert gare["properties"] | {"observedAt": None} == {
        "id": GARE,
        "type": "OffStreetParking",
        "typeLabel": "Parking",
        "name": "Parking gare",
        "organisation": "Operateur Test",
        "state": "ok",
        "headline": "availableSpotNumber",
        "headlineLabel": "Places libres",
        "value": 120,
        "unit": None,
        "unitCode": None,
        "observedAt": None,
        "silent": False,
        "url": "/capteurs/urn:ngsi-ld:OffStreetParking:gare",
    }
    assert gare["properties"]["observedAt"].endswith("Z")
    assert by_id["urn:ngsi-ld:OffStreetParking:plein"]["properties"]["state"] == "alert"
    vieux = by_id["urn:ngsi-ld:OffStreetParking:vieux"]["properties"]
    assert (vieux["state"], vieux["silent"]) == ("ok", True)
    station = by_id["urn:ngsi-ld:AirQualityObserved:centre"]["properties"]
    assert (station["state"], station["silent"], station["observedAt"]) == ("warning", True, None)
    assert station["unit"] == "µg/m³"

    only_air = client.get("/api/sensors/map", params={"type": "AirQualityObserved"}).json()
    assert [f["id"] for f in only_air["features"]] == ["urn:ngsi-ld:AirQualityObserved:centre"]


def test_map_follows_new_values(operator: Ngsi, client: TestClient) -> None:
    _create(operator, parking("gare", 120))
    path = f"/entities/{GARE}/attrs"
    body = {"availableSpotNumber": {"type": "Property", "value": 2, "observedAt": at(1)}}
    assert operator.request("PATCH", path, body).status_code == 204
    feature = client.get("/api/sensors/map").json()["features"][0]
    assert (feature["properties"]["state"], feature["properties"]["value"]) == ("alert", 2)


def test_freshness_marks_exactly_the_silent_ones(
    operator: Ngsi, client: TestClient, db: Session
) -> None:
    _create(
        operator,
        parking("frais", 100),  # 30 min, period 15 min
        stale_parking("muet", 100, 50),  # 50 min > 45 min
        stale_parking("lent", 100, 50),  # the same, but this one reports every 2 hours
        air("ok", 20, 150),  # 2 h 30 < 3 h
        air("perdue", 20, 200),  # 3 h 20 > 3 h
        air("jamais", 20, None),
    )
    slow = db.scalars(
        select(SensorEntity).where(SensorEntity.id == "urn:ngsi-ld:OffStreetParking:lent")
    ).one()
    slow.expected_period_s = 7200
    db.flush()

    repository = FreshnessRepository(db)
    silent = [e.id.rsplit(":", 1)[1] for e in repository.silent()]
    # Never reported first, then the longest silent.
    assert silent == ["jamais", "perdue", "muet"]
    counts = {t.type: (t.entities, t.silent) for t in repository.counts_by_type()}
    assert counts == {"AirQualityObserved": (3, 2), "OffStreetParking": (3, 1)}
    muet = next(e for e in repository.silent() if e.id.endswith("muet"))
    assert muet.expected_period == dt.timedelta(minutes=15)
    assert muet.organisation == "Operateur Test"
    assert muet.silent_for is not None
    assert dt.timedelta(minutes=49) < muet.silent_for < dt.timedelta(minutes=52)

    # The factor is the boundary: one second either side of 3 × the period.
    frais = next(e for e in repository.entities() if e.id.endswith("frais"))
    assert frais.last_report is not None
    limit = frais.last_report + SILENCE_FACTOR * frais.expected_period
    before = FreshnessRepository(db, limit - dt.timedelta(seconds=1)).entities("OffStreetParking")
    after = FreshnessRepository(db, limit + dt.timedelta(seconds=1)).entities("OffStreetParking")
    assert not next(e for e in before if e.id.endswith("frais")).silent
    assert next(e for e in after if e.id.endswith("frais")).silent

    health = client.get("/api/sensors/health").json()
    assert (health["entities"], health["silent"]) == (6, 3)
    assert [e["id"].rsplit(":", 1)[1] for e in health["silent_entities"]] == silent
    never = health["silent_entities"][0]
    assert (never["last_report"], never["silent_for_s"]) == (None, None)
    assert never["expected_period_s"] == 3600
    assert {t["type"]: t["silent"] for t in health["by_type"]} == {
        "AirQualityObserved": 2,
        "OffStreetParking": 1,
    }

    page = client.get("/capteurs/sante", headers=HTML)
    assert page.status_code == 200
    assert "Capteurs silencieux" in page.text
    for name in ("Station jamais", "Station perdue", "Parking muet"):
        assert name in page.text
    for name in ("Parking frais", "Parking lent", "Station ok"):
        assert name not in page.text
    assert "jamais" in page.text.lower()


def test_map_page_shows_entities_in_a_table_with_a_type_filter(
    operator: Ngsi, client: TestClient
) -> None:
    _create(operator, parking("gare", 120), parking("plein", 3), air("centre", 20, 10))
    page = client.get("/capteurs", headers=HTML)
    assert page.status_code == 200
    assert "<h1>Données en temps réel</h1>" in page.text
    assert 'data-map-url="/api/sensors/map"' in page.text
    rows = re.findall(r'<tr data-entity="([^"]+)"', page.text)
    assert sorted(rows) == sorted(
        [GARE, "urn:ngsi-ld:OffStreetParking:plein", "urn:ngsi-ld:AirQualityObserved:centre"]
    )
    # The state in words next to its symbol, and a summary for screen readers.
    assert "Alerte" in page.text
    assert "Normal" in page.text
    assert re.search(r'id="sensor-summary"[^>]*role="status"', page.text)
    assert "Capteurs affichés : 3" in page.text

    filtered = client.get("/capteurs", params={"type": "OffStreetParking"}, headers=HTML)
    assert re.findall(r'<tr data-entity="([^"]+)"', filtered.text) == [
        GARE,
        "urn:ngsi-ld:OffStreetParking:plein",
    ]
    assert 'data-map-url="/api/sensors/map?type=OffStreetParking"' in filtered.text

    english = client.get("/capteurs", headers={**HTML, "Cookie": "sv_lang=en"})
    assert "<h1>Real-time data</h1>" in english.text


def _series(entity: str, values: Sequence[tuple[float, float]]) -> list[dict[str, Any]]:
    return [
        {"entity": entity, "attribute": "availableSpotNumber", "value": v, "observedAt": at(m)}
        for v, m in values
    ]


def test_entity_page_shows_values_and_a_chart(operator: Ngsi, client: TestClient) -> None:
    _create(operator, parking("gare", 120))
    # Every 15 minutes for 30 hours: 24 h of them in the default chart.
    readings = [(100 + i % 7, 31 + 15 * i) for i in range(120)]
    assert operator.ingest(_series(GARE, readings)).json()["stored"] == 120
    page = client.get(f"/capteurs/{GARE}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert '<h1 class="sensor-title">Parking gare</h1>' in text
    assert "Places libres" in text
    assert "Operateur Test" in text
    assert "latitude 45.94000, longitude -0.96000" in text
    assert '<svg role="img" aria-labelledby="chart-svg-title chart-svg-desc"' in text
    assert '<title id="chart-svg-title">Places libres de Parking gare</title>' in text
    assert 'class="series-line"' in text
    assert 'class="series-band"' not in text
    # The readings of the last 24 hours (plus the creation value) in the data table.
    chart_rows = re.findall(r"<tr><th scope=\"row\">", text.split('class="chart-data"')[1])
    assert 90 <= len(chart_rows) <= 97

    hourly = client.get(
        f"/capteurs/{GARE}",
        params={"attribut": "availableSpotNumber", "periode": "7j", "mode": "horaire"},
        headers=HTML,
    ).text
    assert 'class="series-band"' in hourly
    assert "Moyenne" in hourly
    assert "Minimum" in hourly
    band_rows = re.findall(r"<tr><th scope=\"row\">", hourly.split('class="chart-data"')[1])
    assert 30 <= len(band_rows) <= 32
    assert 'value="7j" checked' in hourly
    assert 'value="horaire" checked' in hourly

    # Unknown choices fall back to the defaults rather than failing.
    odd = client.get(f"/capteurs/{GARE}", params={"periode": "1an", "mode": "x"}, headers=HTML)
    assert odd.status_code == 200
    assert 'value="24h" checked' in odd.text


def test_raw_chart_is_thinned_to_a_few_hundred_points(operator: Ngsi, client: TestClient) -> None:
    _create(operator, parking("gare", 120))
    readings = [(i % 50, 60 + i) for i in range(1000)]
    assert operator.ingest(_series(GARE, readings)).json()["stored"] == 1000
    text = client.get(f"/capteurs/{GARE}", headers=HTML).text
    table = text.split('class="chart-data"')[1]
    drawn = len(re.findall(r"<tr><th scope=\"row\">", table))
    assert 300 <= drawn <= 400
    assert "Un relevé sur 3 est tracé." in text


def test_unknown_entity_is_a_french_404(client: TestClient) -> None:
    response = client.get("/capteurs/urn:ngsi-ld:OffStreetParking:nulle-part", headers=HTML)
    assert response.status_code == 404
    assert "Page introuvable" in response.text
    assert "Ce capteur est inconnu ou a été supprimé." in response.text


def test_deleted_entity_has_no_page(operator: Ngsi, client: TestClient) -> None:
    _create(operator, parking("gare", 120))
    assert operator.request("DELETE", f"/entities/{GARE}").status_code == 204
    assert client.get(f"/capteurs/{GARE}", headers=HTML).status_code == 404
    assert client.get("/api/sensors/map").json()["features"] == []


def test_admin_page_is_for_administrators(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    anonymous = client.get("/admin/capteurs", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/compte/connexion")
    sign_in_client(client, db, settings, roles["agent"])
    assert client.get("/admin/capteurs", headers=HTML).status_code == 403


def test_admin_page_lists_dead_letters_subscriptions_and_outbox(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    db.add(DeadLetter(source="mqtt:capteurs/gare", reason="unknown entity", payload="x" * 500))
    subscription = Subscription(
        id="urn:ngsi-ld:Subscription:alerte",
        organisation_id=roles["operator_org"].id,
        body={"type": "Subscription"},
        times_sent=12,
        times_failed=3,
        consecutive_errors=1,
        last_error_reason="HTTP 503 from the receiver",
    )
    db.add(subscription)
    db.flush()
    now = dt.datetime.now(dt.UTC)
    db.add_all(
        [
            Notification(subscription_pk=subscription.pk, payload={}),
            Notification(subscription_pk=subscription.pk, payload={}, delivered_at=now),
            Notification(subscription_pk=subscription.pk, payload={}, failed_at=now),
            Notification(subscription_pk=subscription.pk, payload={}, failed_at=now),
        ]
    )
    db.flush()
    sign_in_client(client, db, settings, roles["administrator"])
    page = client.get("/admin/capteurs", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "mqtt:capteurs/gare" in text
    assert "unknown entity" in text
    assert "x" * 200 + "…" in text
    assert "x" * 201 not in text
    assert "urn:ngsi-ld:Subscription:alerte" in text
    assert "Operateur Test" in text
    assert "HTTP 503 from the receiver" in text
    assert "En échec" in text
    stats = re.findall(r'<dd class="stat-value">(\d+)</dd>', text)
    assert stats == ["1", "2", "1"]  # to deliver, given up, delivered
