"""The role × action matrix: every declared action, every role, by rule and over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts import tokens
from servicielle.core.accounts.auth import USED_ACTIONS, principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.modules import get_registry
from servicielle.core.permissions import Principal, Role
from tests.conftest import sign_in_client

ANON, INHAB, AGENT, OPER, ADM = (
    Role.ANONYMOUS,
    Role.INHABITANT,
    Role.AGENT,
    Role.OPERATOR,
    Role.ADMINISTRATOR,
)

# Who may do what: written out by hand so that a change of rule shows up in review.
EXPECTED: dict[str, set[Role]] = {
    "core.backoffice.access": {AGENT, OPER, ADM},
    "core.audit.read": {ADM},
    "core.outbox.read": {ADM},
    "accounts.profile.edit": {INHAB, AGENT, OPER, ADM},
    "accounts.token.manage": {AGENT, OPER, ADM},
    "accounts.user.manage": {ADM},
    "territory.manage": {ADM},
    "catalog.dataset.publish": {AGENT, OPER, ADM},
    "catalog.dataset.propose": {INHAB, AGENT, OPER, ADM},
    "catalog.dataset.moderate": {ADM},
    "catalog.reuse.submit": {INHAB, AGENT, OPER, ADM},
    "catalog.reuse.moderate": {ADM},
    "sensors.entity.write": {AGENT, OPER, ADM},
    "sensors.observation.write": {AGENT, OPER, ADM},
    "sensors.admin": {ADM},
    "reports.report.submit_api": {INHAB, AGENT, OPER, ADM},
    "reports.report.handle": {AGENT, OPER, ADM},
    "reports.admin": {ADM},
    "participation.admin": {ADM},
    "participation.answer": {AGENT, OPER, ADM},
    "participation.moderate": {AGENT, OPER, ADM},
    "participation.paper_ballots": {AGENT, OPER, ADM},
    "participation.accountability": {AGENT, OPER, ADM},
}

# One request per action: (method, path, json body) and whether it goes through the API.
PROBES: dict[str, tuple[str, str, Any]] = {
    "core.backoffice.access": ("GET", "/admin", None),
    "core.audit.read": ("GET", "/admin/journal", None),
    "core.outbox.read": ("GET", "/admin/courriels", None),
    "accounts.profile.edit": ("GET", "/compte", None),
    "accounts.token.manage": ("GET", "/api/v1/tokens", None),
    "accounts.user.manage": ("GET", "/admin/utilisateurs", None),
    "territory.manage": (
        "POST",
        "/api/v1/territory/organisations",
        {"slug": "nouvelle-asso", "name": "Nouvelle asso", "kind": "association"},
    ),
    "catalog.dataset.publish": ("GET", "/admin/donnees", None),
    "catalog.dataset.propose": ("GET", "/donnees/proposer", None),
    "catalog.dataset.moderate": ("GET", "/admin/donnees/moderation", None),
    "catalog.reuse.submit": ("GET", "/donnees/reutilisations/proposer", None),
    "catalog.reuse.moderate": ("GET", "/admin/donnees/reutilisations", None),
    "sensors.entity.write": ("POST", "/ngsi-ld/v1/entityOperations/create/", []),
    "sensors.observation.write": ("POST", "/api/sensors/observations", []),
    "sensors.admin": ("GET", "/admin/capteurs", None),
    # Open311 takes its key as api_key, and answers 403 without one (GeoReport v2 §2.6).
    "reports.report.submit_api": ("POST", "/open311/v2/requests.json", None),
    "reports.report.handle": ("GET", "/admin/signalements", None),
    "reports.admin": ("GET", "/admin/signalements/categories", None),
    "participation.admin": ("GET", "/admin/participation", None),
    "participation.answer": ("GET", "/admin/participation/propositions", None),
    "participation.moderate": ("GET", "/admin/participation/moderation", None),
    "participation.paper_ballots": ("GET", "/admin/participation/bulletins-papier", None),
    "participation.accountability": ("GET", "/admin/participation/realisations", None),
}


def test_every_declared_action_is_in_the_matrix() -> None:
    assert set(get_registry().permissions) == set(EXPECTED)


def test_every_action_guarding_a_route_is_declared(base_app: Any) -> None:
    assert USED_ACTIONS <= set(get_registry().permissions)
    assert set(PROBES) == set(EXPECTED)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_grants_exactly_the_expected_actions(role: Role, action: str) -> None:
    principal = Principal(roles=frozenset({role}))
    assert principal.may(get_registry().permission(action)) is (role in EXPECTED[action])


ROLE_ACCOUNTS = ("anonymous", "inhabitant", "agent", "operator", "administrator")
ROLE_OF_ACCOUNT = {
    "anonymous": ANON,
    "inhabitant": INHAB,
    "agent": AGENT,
    "operator": OPER,
    "administrator": ADM,
}


@pytest.mark.parametrize("account", ROLE_ACCOUNTS)
def test_http_matrix(
    account: str, client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    """Each role gets through exactly the doors the matrix opens, with a real account."""
    headers: dict[str, str] = {"Accept": "text/html"}
    if account != "anonymous":
        user = UserRepository(db).get(roles[account].id)
        principal = principal_for_user(user)
        organisation = (
            roles["association"]
            if account == "inhabitant"
            else next(m.organisation for m in user.memberships)
        )
        # Tokens are minted directly: the inhabitant may not create one through the API.
        _token, secret = tokens.create_token(
            db,
            Principal(
                user=user, roles=principal.roles, organisation_ids=frozenset({organisation.id})
            ),
            name="matrix",
            organisation_id=organisation.id,
        )
        db.flush()
        headers["Authorization"] = f"Bearer {secret}"
        sign_in_client(client, db, settings, user)
    role = ROLE_OF_ACCOUNT[account]
    for action, (method, path, body) in PROBES.items():
        request_headers = dict(headers)
        if not path.startswith(("/api/", "/ngsi-ld/")):
            request_headers.pop("Authorization", None)
        if path.startswith("/open311/"):
            _check_open311(
                client, path, headers, allowed=ROLE_OF_ACCOUNT[account] in EXPECTED[action]
            )
            continue
        response = client.request(
            method, path, json=body, headers=request_headers, follow_redirects=False
        )
        allowed = role in EXPECTED[action]
        if allowed:
            assert response.status_code in (200, 201), (
                action,
                account,
                response.status_code,
                response.text[:300],
            )
        elif role is ANON:
            # Pages send the visitor to the sign-in form; APIs answer 401.
            expected = 401 if path.startswith(("/api/", "/ngsi-ld/")) else 303
            assert response.status_code == expected, (action, account, response.status_code)
        else:
            assert response.status_code == 403, (action, account, response.status_code)


def _check_open311(
    client: TestClient, path: str, headers: dict[str, str], *, allowed: bool
) -> None:
    """The key opens the door (then the empty form fails on service_code), or 403."""
    secret = headers.get("Authorization", "").removeprefix("Bearer ")
    response = client.post(path, params={"api_key": secret} if secret else {}, data={})
    if allowed:
        assert response.status_code == 400, response.text
        assert "service_code" in response.json()[0]["description"]
    else:
        assert response.status_code == 403, response.text
