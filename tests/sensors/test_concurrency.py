"""Concurrent writers on a live server: none fails, on SQLite as on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import LiveSite
from tests.sensors.conftest import CORE, at, operator_token, parking

pytestmark = pytest.mark.xdist_group("browser")


def test_concurrent_creates_and_ingests_all_succeed(live_site: LiveSite) -> None:
    headers = {
        "Authorization": f"Bearer {operator_token(live_site.database_url)}",
        "Content-Type": "application/ld+json",
    }
    prefix = "concurrent"

    def create(n: int) -> int:
        entity = {**parking(f"{prefix}{n}", n), "@context": [CORE]}
        with httpx.Client(base_url=live_site.base_url, headers=headers, timeout=60) as client:
            return client.post("/ngsi-ld/v1/entities/", json=entity).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(40)))
    assert statuses == [201] * 40

    def ingest(n: int) -> int:
        rows = [
            {
                "entity": f"urn:ngsi-ld:OffStreetParking:{prefix}{(n + k) % 40}",
                "attribute": "availableSpotNumber",
                "value": k,
                "observedAt": at(10 + n / 60),
            }
            for k in range(40)
        ]
        with httpx.Client(base_url=live_site.base_url, headers=headers, timeout=60) as client:
            response = client.post(
                "/api/sensors/observations",
                json=rows,
                headers={"Content-Type": "application/json"},
            )
            body = response.json()
            return response.status_code if body.get("rejected") == 0 else body  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(ingest, range(24))) == [200] * 24
