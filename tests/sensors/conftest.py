"""Sensors fixtures: an operator and a department with tokens, and NGSI-LD helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts import tokens
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import create_db_engine
from servicielle.core.session import AuditContext
from servicielle.core.territory.models import Organisation
from tests.conftest import token_for

OPERATOR = "operateur.stationnement@demo.servicielle.fr"
OPERATOR_ORG = "rochefort-stationnement"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
LD = {"Content-Type": "application/ld+json", "Accept": "application/ld+json"}


@dataclass
class Ngsi:
    """Calls the NGSI-LD API and the ingest endpoint as one organisation's system."""

    client: TestClient
    token: str | None

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Auth and JSON-LD headers."""
        headers = dict(LD)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        """Any NGSI-LD call; ``path`` is relative to /ngsi-ld/v1."""
        return self.client.request(
            method,
            "/ngsi-ld/v1" + path,
            json=body,
            headers=self.headers(kw.pop("headers", None)),
            **kw,
        )

    def create(self, entity: dict[str, Any]) -> httpx.Response:
        """POST /entities/ with the core context, as ngsildclient does."""
        return self.request("POST", "/entities/", {**entity, "@context": [CORE]})

    def ingest(self, rows: Any, **kw: Any) -> httpx.Response:
        """POST /api/sensors/observations."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(kw.pop("headers", {}))
        if isinstance(rows, str | bytes):
            return self.client.post(
                "/api/sensors/observations", content=rows, headers=headers, **kw
            )
        return self.client.post("/api/sensors/observations", json=rows, headers=headers, **kw)


@pytest.fixture
def operator(client: TestClient, db: Session, roles: dict[str, Any]) -> Ngsi:
    """The operator organisation's system."""
    return Ngsi(client, token_for(db, roles["operator"].id, roles["operator_org"].id))


@pytest.fixture
def department(client: TestClient, db: Session, roles: dict[str, Any]) -> Ngsi:
    """The department's system (another organisation)."""
    return Ngsi(client, token_for(db, roles["agent"].id, roles["department"].id))


@pytest.fixture
def public(client: TestClient) -> Ngsi:
    """Anyone, without a token."""
    return Ngsi(client, None)


def at(minutes_ago: float) -> str:
    """An observedAt ``minutes_ago`` minutes before now, in UTC with a Z."""
    instant = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return instant.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parking(
    name: str, free: int, *, lon: float = -0.96, lat: float = 45.94, total: int = 200
) -> dict[str, Any]:
    """An OffStreetParking in normalized form."""
    return {
        "id": f"urn:ngsi-ld:OffStreetParking:{name}",
        "type": "OffStreetParking",
        "name": {"type": "Property", "value": f"Parking {name}"},
        "availableSpotNumber": {"type": "Property", "value": free, "observedAt": at(30)},
        "totalSpotNumber": {"type": "Property", "value": total},
        "status": {"type": "Property", "value": "open"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
    }


def operator_token(database_url: str) -> str:
    """An API token of the demo parking operator, minted in the live database."""
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            user = UserRepository(session).by_email(OPERATOR)
            assert user is not None, f"the demo has no {OPERATOR}"
            organisation = session.scalars(
                select(Organisation).where(Organisation.slug == OPERATOR_ORG)
            ).one()
            _token, secret = tokens.create_token(
                session,
                principal_for_user(user),
                name="ngsildclient",
                organisation_id=organisation.id,
            )
            session.commit()
    finally:
        engine.dispose()
    return secret
