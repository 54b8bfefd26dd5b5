"""Token API: creation scoped to one's organisations, revocation, expiry, last use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import ApiToken
from servicielle.core.accounts.security import digest
from tests.conftest import token_for


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class TestTokens:
    def test_create_use_and_revoke(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        agent, department = roles["agent"], roles["department"]
        bootstrap = token_for(db, agent.id, department.id)
        response = client.post(
            "/api/v1/tokens",
            headers=_auth(bootstrap),
            json={"name": "Passerelle capteurs", "organisation_id": department.id},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        secret = created["token"]
        assert secret.startswith("svc_")
        assert created["prefix"] == secret[:10]
        # Only the digest is stored.
        stored = db.get(ApiToken, created["id"])
        assert stored is not None
        assert stored.token_digest == digest(secret)

        me = client.get("/api/v1/me", headers=_auth(secret)).json()
        assert me["email"] == "agent@example.fr"
        assert me["token_organisation_id"] == department.id
        assert "agent" in me["roles"]
        listed = client.get("/api/v1/tokens", headers=_auth(secret)).json()
        assert all("token" not in t for t in listed)
        assert next(t for t in listed if t["id"] == created["id"])["last_used_at"] is not None

        assert (
            client.delete(f"/api/v1/tokens/{created['id']}", headers=_auth(bootstrap)).status_code
            == 204
        )
        response = client.get("/api/v1/me", headers=_auth(secret))
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert "révoqué" in response.json()["detail"]

    def test_no_token_for_another_organisation(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        secret = token_for(db, roles["operator"].id, roles["operator_org"].id)
        response = client.post(
            "/api/v1/tokens",
            headers=_auth(secret),
            json={"name": "intrus", "organisation_id": roles["department"].id},
        )
        assert response.status_code == 403

    def test_expired_token_is_401(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        secret = token_for(db, roles["agent"].id, roles["department"].id)
        token = db.query(ApiToken).filter_by(token_digest=digest(secret)).one()
        token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.flush()
        assert client.get("/api/v1/me", headers=_auth(secret)).status_code == 401

    def test_garbage_credentials_are_401_not_500(self, client: TestClient) -> None:
        headers: tuple[str | bytes, ...] = (
            "Bearer ",
            "Bearer svc_" + "x" * 500,
            "Basic Zm9vOmJhcg==",
            "Bearer \u00e9".encode("latin-1"),
        )
        for header in headers:
            assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401

    def test_unknown_field_is_named(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        secret = token_for(db, roles["agent"].id, roles["department"].id)
        response = client.post(
            "/api/v1/tokens",
            headers=_auth(secret),
            json={"name": "x", "organisation_id": roles["department"].id, "scope": "all"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "scope"

    def test_browser_session_cannot_write_through_the_api(
        self, client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
    ) -> None:
        from tests.conftest import sign_in_client

        sign_in_client(client, db, settings, roles["agent"])
        assert client.get("/api/v1/me").status_code == 200
        response = client.post(
            "/api/v1/tokens", json={"name": "csrf", "organisation_id": roles["department"].id}
        )
        assert response.status_code == 401
