"""Bad input never produces a 500: problem details for APIs, French pages for browsers."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session


def test_malformed_json_is_400_problem(
    client: TestClient, db: Session, roles: dict[str, Any]
) -> None:
    from tests.accounts.test_api import _auth
    from tests.conftest import token_for

    secret = token_for(db, roles["agent"].id, roles["department"].id)
    response = client.post(
        "/api/v1/tokens",
        content=b"{not json",
        headers={**_auth(secret), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["status"] == 400
    assert body["title"] == "Bad request"


def test_wrong_type_names_the_field(client: TestClient, db: Session, roles: dict[str, Any]) -> None:
    from tests.accounts.test_api import _auth
    from tests.conftest import token_for

    secret = token_for(db, roles["agent"].id, roles["department"].id)
    response = client.post(
        "/api/v1/tokens", json={"name": "x", "organisation_id": "abc"}, headers=_auth(secret)
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["organisation_id"]


def test_unknown_api_route_is_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/does-not-exist", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_page_is_an_html_404_in_french(client: TestClient) -> None:
    response = client.get("/page-inexistante", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Cette page n" in response.text
    assert '<html lang="fr">' in response.text


def test_unknown_page_in_english(client: TestClient) -> None:
    client.cookies.set("sv_lang", "en")
    response = client.get("/page-inexistante", headers={"Accept": "text/html"})
    assert "This page does not exist" in response.text
    assert '<html lang="en">' in response.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lon=st.text(max_size=30), lat=st.one_of(st.floats(allow_nan=True), st.text(max_size=10)))
def test_lookup_never_fails_on_junk(client: TestClient, lon: str, lat: Any) -> None:
    response = client.get("/api/v1/territory/lookup", params={"lon": lon, "lat": str(lat)})
    assert response.status_code in (200, 422)
