"""Catalog fixtures: publishers with API tokens, and a helper to call CKAN actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import token_for


@dataclass
class Ckan:
    """Calls CKAN actions through the test client, as ckanapi would (POST JSON)."""

    client: TestClient
    key: str | None = None

    def call(self, action: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        """POST ``data`` to ``/api/action/{action}``."""
        headers = {"Authorization": self.key} if self.key else {}
        return self.client.post(f"/api/action/{action}", json=data or {}, headers=headers, **kw)

    def ok(self, action: str, data: dict[str, Any] | None = None) -> Any:
        """The result of a call that must succeed."""
        response = self.call(action, data)
        body = response.json()
        assert response.status_code == 200, response.text
        assert body["success"] is True, response.text
        return body["result"]

    def upload(self, package_id: str, name: str, content: bytes, **data: Any) -> httpx.Response:
        """``resource_create`` with a multipart file."""
        headers = {"X-CKAN-API-Key": self.key} if self.key else {}
        return self.client.post(
            "/api/3/action/resource_create",
            data={"package_id": package_id, "name": name, **data},
            files={"upload": (name, content)},
            headers=headers,
        )


@pytest.fixture
def publisher(client: TestClient, db: Session, roles: dict[str, Any]) -> Ckan:
    """An agent of the department ``voirie-test``, with a token."""
    return Ckan(client, token_for(db, roles["agent"].id, roles["department"].id))


@pytest.fixture
def anonymous(client: TestClient) -> Ckan:
    """Nobody in particular."""
    return Ckan(client)


def new_package(ckan: Ckan, name: str, **extra: Any) -> dict[str, Any]:
    """Create a dataset of the department and return it."""
    data = {
        "name": name,
        "title": extra.pop("title", name.replace("-", " ").capitalize()),
        "owner_org": "voirie-test",
        "notes": extra.pop("notes", "Jeu de données de test."),
        **extra,
    }
    result: dict[str, Any] = ckan.ok("package_create", data)
    return result
