"""The framework commits successful requests and rolls back failed ones."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import LoginAttempt
from servicielle.core.territory.models import Organisation
from tests.accounts.test_api import _auth
from tests.conftest import token_for


def _organisations(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Organisation)) or 0


def test_successful_write_is_committed(
    client: TestClient, db: Session, roles: dict[str, Any]
) -> None:
    secret = token_for(db, roles["administrator"].id, roles["department"].id)
    before = _organisations(db)
    response = client.post(
        "/api/v1/territory/organisations",
        headers=_auth(secret),
        json={"slug": "regie-eau", "name": "Régie de l'eau", "kind": "operator"},
    )
    assert response.status_code == 201
    assert _organisations(db) == before + 1


def test_conflict_is_409_and_leaves_data_intact(
    client: TestClient, db: Session, roles: dict[str, Any]
) -> None:
    secret = token_for(db, roles["administrator"].id, roles["department"].id)
    before = _organisations(db)
    response = client.post(
        "/api/v1/territory/organisations",
        headers=_auth(secret),
        json={"slug": "voirie-test", "name": "Doublon", "kind": "department"},
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "slug"
    assert _organisations(db) == before
    assert (
        db.scalar(select(Organisation.name).where(Organisation.slug == "voirie-test"))
        == "Voirie Test"
    )


def test_failed_login_is_recorded_despite_the_refusal(client: TestClient, db: Session) -> None:
    from tests.conftest import csrf_token

    token = csrf_token(client)
    client.post(
        "/compte/connexion", data={"csrf_token": token, "email": "x@example.fr", "password": "nope"}
    )
    assert (
        db.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.email == "x@example.fr")
        )
        == 1
    )
