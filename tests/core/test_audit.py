"""Every write leaves an audit entry: who, what, when, from where; secrets masked."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.audit.models import AuditEntry
from servicielle.core.territory.models import Organisation, OrganisationKind
from tests.accounts.test_api import _auth
from tests.conftest import make_user, token_for


def test_api_write_records_actor_address_and_values(
    client: TestClient, db: Session, roles: dict[str, Any]
) -> None:
    admin = roles["administrator"]
    secret = token_for(db, admin.id, roles["department"].id)
    client.post(
        "/api/v1/territory/organisations",
        headers=_auth(secret),
        json={"slug": "regie", "name": "Régie", "kind": "operator"},
    )
    entry = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "organisations", AuditEntry.action == "create")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.actor_id == admin.id
    assert entry.via == "api"
    assert entry.ip == "testclient"
    assert entry.changes["slug"] == "regie"


def test_update_and_delete_keep_old_values(db: Session) -> None:
    organisation = Organisation(slug="a", name="Avant", kind=OrganisationKind.ASSOCIATION)
    db.add(organisation)
    db.flush()
    organisation.name = "Après"
    db.flush()
    db.delete(organisation)
    db.flush()
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "organisations", AuditEntry.entity_id == str(organisation.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[1].changes == {"name": ["Avant", "Après"]}
    assert entries[2].changes["name"] == "Après"


def test_password_hash_never_reaches_the_log(db: Session) -> None:
    user = make_user(db, "secret@example.fr")
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.entity_id == str(user.id))
    ).one()
    assert entry.changes["password_hash"] == "***"
