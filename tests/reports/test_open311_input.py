"""Open311 against odd input: Unicode digits, ids no row can have, NUL bytes in paths, dates
near year 1. Each is a 400 or a 404 in Open311's format, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.permissions import Principal
from tests.reports import test_open311_api as api_tests
from tests.reports.conftest import Territory, report
from tests.reports.test_open311_api import V2, assert_error, get_json

agent = api_tests.agent  # the fixture, shared with the API's tests
TOO_LARGE = ("2147483648", "9223372036854775807", "9223372036854775808")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unicode_digits_are_a_bad_request_or_not_found(client: TestClient, fmt: str) -> None:
    for name in ("page", "page_size", "service_request_id"):
        answer = client.get(f"{V2}/requests.{fmt}", params={name: "²"})
        assert_error(answer, 400, fmt, name)
    assert_error(client.get(f"{V2}/requests/².{fmt}"), 404, fmt)
    assert_error(client.get(f"{V2}/requests/١٢.{fmt}"), 404, fmt)


def test_ids_beyond_the_database_are_not_found(
    client: TestClient, db: Session, settings: Settings, territory: Territory, agent: Principal
) -> None:
    item = report(db, settings, agent)
    db.flush()
    for number in TOO_LARGE:
        assert_error(client.get(f"{V2}/requests/{number}.json"), 404, "json", number[:12])
        # In a list, an id no request can have is skipped; alone, it finds nothing.
        assert get_json(client, "/requests.json", service_request_id=number) == []
        found = get_json(client, "/requests.json", service_request_id=f"{number},{item.id}")
        assert [r["service_request_id"] for r in found] == [str(item.id)]


def test_nul_bytes_in_path_segments_are_not_found(client: TestClient, territory: Territory) -> None:
    assert get_json(client, "/services/nid-de-poule%00.json")["service_code"] == "nid-de-poule"
    assert_error(client.get(f"{V2}/services/%00.json"), 404, "json")
    assert_error(client.get(f"{V2}/tokens/abc%00def.json"), 404, "json", "abcdef")
    assert_error(client.get(f"{V2}/requests/%00.xml"), 404, "xml")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("end_date", "0001-01-01"),
        ("start_date", "0001-01-01T00:00:00+01:00"),
        ("updated_after", "0001"),
        ("updated_before", "9999-12-31T23:59:59-14:00"),
        ("end_date", "1899-12-31"),
        ("start_date", "9001-01-01"),
    ],
)
def test_dates_out_of_any_sensible_range_are_400_naming_them(
    client: TestClient, name: str, value: str
) -> None:
    assert_error(client.get(f"{V2}/requests.json", params={name: value}), 400, "json", name)
    assert_error(client.get(f"{V2}/requests.xml", params={name: value}), 400, "xml", name)
