"""Sensors pages in a real browser: live map that updates itself, health, entity chart, admin."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.browser.test_pages import (
    MODULE_LOCALES,
    assert_accessible,
    new_page,
    sign_in,
    submit,
    visit,
)
from tests.conftest import LiveSite

pytestmark = pytest.mark.xdist_group("browser")
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
LD = {"Content-Type": "application/ld+json", "Accept": "application/ld+json"}


def _at(minutes_ago: float) -> str:
    instant = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return instant.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


@dataclass
class SensorSite:
    """The live site with a few entities of the car-park operator, and its token."""

    base_url: str
    token: str
    suffix: str

    def urn(self, kind: str, name: str) -> str:
        """The id of one of the entities created here."""
        return f"urn:ngsi-ld:{kind}:{self.suffix}-{name}"

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """An NGSI-LD or ingest call with the operator's token."""
        headers = {**LD, "Authorization": f"Bearer {self.token}"}
        if path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, self.base_url + path, json=body, headers=headers, timeout=30)


def _operator_token(browser: Browser, base: str) -> str:
    page = new_page(browser, base, "fr")
    sign_in(page, "operateur.stationnement@demo.servicielle.fr")
    page.goto("/compte/jetons")
    page.fill("#name", "Passerelle capteurs")
    submit(page)
    token = page.locator("#new-token").inner_text().strip()
    page.context.close()
    return token


@pytest.fixture(scope="session")
def sensor_site(browser: Browser, live_site: LiveSite) -> SensorSite:
    """Three car parks (one nearly full), an air station that never reported, a history."""
    suffix = "essai-" + uuid.uuid4().hex[:6]
    site = SensorSite(live_site.base_url, _operator_token(browser, live_site.base_url), suffix)
    parks = (("gare", 120, -0.9631, 45.9367), ("plein", 3, -0.9712, 45.9421))
    for name, free, lon, lat in parks:
        entity = {
            "id": site.urn("OffStreetParking", name),
            "type": "OffStreetParking",
            "name": {"type": "Property", "value": f"Parking {name} {site.suffix}"},
            "availableSpotNumber": {"type": "Property", "value": free, "observedAt": _at(5)},
            "totalSpotNumber": {"type": "Property", "value": 200},
            "location": _point(lon, lat),
            "@context": [CORE],
        }
        assert site.call("POST", "/ngsi-ld/v1/entities/", entity).status_code == 201
    station = {
        "id": site.urn("AirQualityObserved", "muette"),
        "type": "AirQualityObserved",
        "name": {"type": "Property", "value": f"Station muette {site.suffix}"},
        "no2": {"type": "Property", "value": 30},
        "location": _point(-0.95, 45.93),
        "@context": [CORE],
    }
    assert site.call("POST", "/ngsi-ld/v1/entities/", station).status_code == 201
    rows = [
        {
            "entity": site.urn("OffStreetParking", "gare"),
            "attribute": "availableSpotNumber",
            "value": 80 + (i * 7) % 60,
            "observedAt": _at(10 + 15 * i),
        }
        for i in range(3 * 96)
    ]
    stored = site.call("POST", "/api/sensors/observations", rows)
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] == len(rows)
    return site


def _marker_state(page: Page, name: str) -> str | None:
    return page.locator(f'.sensor-marker[title^="{name} "]').get_attribute("data-state")


@pytest.mark.parametrize("locale", MODULE_LOCALES)
def test_sensors_pages_are_accessible(
    browser: Browser, sensor_site: SensorSite, locale: str
) -> None:
    page = new_page(browser, sensor_site.base_url, locale)
    page.goto("/capteurs")
    page.wait_for_selector(".sensor-marker")
    assert_accessible(page, "live map")
    assert page.locator(".sensor-marker").count() >= 3
    assert _marker_state(page, f"Parking plein {sensor_site.suffix}") == "alert"
    assert _marker_state(page, f"Station muette {sensor_site.suffix}") == "silent"
    # A marker opens a popup with a link to the sensor's page, from the keyboard too.
    page.locator(f'.sensor-marker[title^="Parking gare {sensor_site.suffix} "]').focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".sensor-popup a")
    # Leaflet fades the popup in: axe must read its colours once it is opaque.
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    assert_accessible(page, "live map with a popup")
    visit(page, "/capteurs?type=AirQualityObserved", "live map filtered")
    assert page.locator("tr[data-entity]").count() >= 1
    assert page.locator('tr[data-entity*="OffStreetParking"]').count() == 0

    visit(page, "/capteurs/sante", "health")
    assert page.get_by_text(f"Station muette {sensor_site.suffix}").count() == 1

    gare = sensor_site.urn("OffStreetParking", "gare")
    visit(page, f"/capteurs/{gare}", "entity with its raw chart")
    assert page.locator("svg[role=img] .series-line").count() == 1
    # The period picker is a plain form: it works the same with or without JavaScript.
    page.locator("input[name=periode][value='7j']").check()
    page.locator("input[name=mode][value=horaire]").check()
    submit(page, "form.chart-form button[type=submit]")
    assert "mode=horaire" in page.url
    assert page.locator("svg[role=img] .series-band").count() == 1
    page.locator("details.chart-data summary").click()
    assert_accessible(page, "entity with its hourly chart and data table")
    visit(page, "/capteurs/urn:ngsi-ld:OffStreetParking:inexistant", "unknown sensor", 404)

    admin = new_page(browser, sensor_site.base_url, locale)
    sign_in(admin, "admin@demo.servicielle.fr")
    visit(admin, "/admin/capteurs", "sensors back office")
    inhabitant = new_page(browser, sensor_site.base_url, locale)
    sign_in(inhabitant, "habitant@demo.servicielle.fr")
    assert inhabitant.goto("/admin/capteurs").status == 403  # type: ignore[union-attr]


def test_map_updates_without_reload(browser: Browser, sensor_site: SensorSite) -> None:
    page = new_page(browser, sensor_site.base_url, "fr")
    # A controllable clock: the 30-second refresh is run on demand instead of waited for.
    page.clock.install()
    page.goto("/capteurs?type=OffStreetParking")
    name = f"Parking gare {sensor_site.suffix}"
    page.wait_for_selector(f'.sensor-marker[title^="{name} "]')
    assert _marker_state(page, name) == "ok"
    summary = page.locator("#sensor-summary").inner_text()
    page.evaluate("window.notReloaded = true")

    body = {"availableSpotNumber": {"type": "Property", "value": 1, "observedAt": _at(0)}}
    gare = sensor_site.urn("OffStreetParking", "gare")
    assert sensor_site.call("PATCH", f"/ngsi-ld/v1/entities/{gare}/attrs", body).status_code == 204
    page.clock.fast_forward(31_000)
    page.wait_for_function(
        "text => document.querySelector('#sensor-summary').innerText !== text", arg=summary
    )
    page.wait_for_selector(f'.sensor-marker[title^="{name} "][data-state="alert"]')
    row = page.locator(f'tr[data-entity="{gare}"]')
    assert row.locator('[data-field="state"]').get_attribute("data-state") == "alert"
    assert row.locator('[data-field="value"] .value').inner_text() == "1"
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#sensor-summary").get_attribute("role") == "status"
    assert_accessible(page, "live map after an update")


def test_sensors_pages_on_a_phone(browser: Browser, sensor_site: SensorSite) -> None:
    page = new_page(browser, sensor_site.base_url, "fr", width=320)
    gare = sensor_site.urn("OffStreetParking", "gare")
    for path in ("/capteurs", "/capteurs/sante", f"/capteurs/{gare}?periode=30j&mode=horaire"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
