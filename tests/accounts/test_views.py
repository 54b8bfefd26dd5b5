"""Account pages: registration, confirmation, sign-in, rate limit, reset, profile."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.auth import SESSION_COOKIE
from servicielle.core.accounts.models import User, UserSession
from servicielle.core.mail.models import OutboxMessage
from tests.conftest import PASSWORD, csrf_token, make_user

HTML = {"Accept": "text/html"}


def _link(db: Session, email: str, pattern: str) -> str:
    body = db.scalars(
        select(OutboxMessage.body)
        .where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert body is not None, f"no email to {email}"
    match = re.search(pattern, body)
    assert match, body
    return match.group(0).replace("http://testserver", "")


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


class TestRegistration:
    def test_register_confirm_then_sign_in(self, client: TestClient, db: Session) -> None:
        token = csrf_token(client, "/compte/inscription")
        response = client.post(
            "/compte/inscription",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "Marie@Example.fr",
                "display_name": "Marie",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
        assert response.status_code == 200
        assert "marie@example.fr" in response.text

        # Before confirming, signing in is refused and a new link is sent.
        response = client.post(
            "/compte/connexion",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "marie@example.fr",
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert response.status_code == 401
        assert "Confirmez" in response.text

        link = _link(db, "marie@example.fr", r"http://testserver/compte/confirmation/\S+")
        assert client.get(link, headers=HTML).status_code == 200
        response = client.post(
            "/compte/connexion",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "marie@example.fr",
                "password": PASSWORD,
                "next": "/compte",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/compte"
        assert SESSION_COOKIE in response.cookies
        assert "marie@example.fr" in client.get("/compte", headers=HTML).text

    def test_invalid_email_and_weak_password_store_nothing(
        self, client: TestClient, db: Session
    ) -> None:
        before = _users(db)
        token = csrf_token(client, "/compte/inscription")
        response = client.post(
            "/compte/inscription",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "pas-une-adresse",
                "display_name": "X",
                "password": "court",
                "password_again": "court",
            },
        )
        assert response.status_code == 422
        assert "Saisissez une adresse électronique valide" in response.text
        assert "12 caractères" in response.text
        assert 'aria-invalid="true"' in response.text
        assert _users(db) == before

    def test_duplicate_email_is_refused_next_to_the_field(
        self, client: TestClient, db: Session
    ) -> None:
        make_user(db, "pris@example.fr")
        token = csrf_token(client, "/compte/inscription")
        response = client.post(
            "/compte/inscription",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "PRIS@example.fr",
                "display_name": "Y",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
        assert response.status_code == 409
        assert "Un compte utilise déjà cette adresse" in response.text

    def test_form_without_csrf_token_is_refused(self, client: TestClient, db: Session) -> None:
        before = _users(db)
        csrf_token(client, "/compte/inscription")
        response = client.post(
            "/compte/inscription",
            headers=HTML,
            data={
                "csrf_token": "forged",
                "email": "a@example.fr",
                "display_name": "A",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
        assert response.status_code == 403
        assert _users(db) == before

    def test_forged_confirmation_link_is_a_french_404_page(self, client: TestClient) -> None:
        response = client.get("/compte/confirmation/forged.token", headers=HTML)
        assert response.status_code == 404
        assert "lien de confirmation" in response.text


class TestSignIn:
    def test_wrong_password_then_rate_limit(
        self, client: TestClient, db: Session, settings: Settings
    ) -> None:
        make_user(db, "cible@example.fr")
        token = csrf_token(client)
        for _ in range(settings.login_max_failures):
            response = client.post(
                "/compte/connexion",
                headers=HTML,
                data={
                    "csrf_token": token,
                    "email": "cible@example.fr",
                    "password": "wrong-password-123",
                },
            )
            assert response.status_code == 401
            assert "Adresse électronique ou mot de passe incorrect" in response.text
        # Even the right password is refused while the limit holds.
        response = client.post(
            "/compte/connexion",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "cible@example.fr",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0

    def test_next_never_leaves_the_site(self, client: TestClient, db: Session) -> None:
        make_user(db, "nav@example.fr")
        token = csrf_token(client)
        response = client.post(
            "/compte/connexion",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "nav@example.fr",
                "password": PASSWORD,
                "next": "//evil.example/phish",
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"

    def test_sign_out_closes_the_session(self, client: TestClient, db: Session) -> None:
        make_user(db, "sortie@example.fr")
        token = csrf_token(client)
        client.post(
            "/compte/connexion",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "sortie@example.fr",
                "password": PASSWORD,
            },
        )
        assert db.scalar(select(func.count()).select_from(UserSession)) == 1
        client.post("/compte/deconnexion", headers=HTML, data={"csrf_token": token})
        assert db.scalar(select(func.count()).select_from(UserSession)) == 0
        assert client.get("/compte", headers=HTML, follow_redirects=False).status_code == 303


class TestPasswordReset:
    def test_reset_link_works_once(self, client: TestClient, db: Session) -> None:
        make_user(db, "oubli@example.fr")
        token = csrf_token(client, "/compte/mot-de-passe/oubli")
        client.post(
            "/compte/mot-de-passe/oubli",
            headers=HTML,
            data={"csrf_token": token, "email": "oubli@example.fr"},
        )
        link = _link(db, "oubli@example.fr", r"http://testserver/compte/mot-de-passe/nouveau/\S+")
        new_password = "Another-Secret-77-words"
        response = client.post(
            link,
            headers=HTML,
            data={
                "csrf_token": token,
                "password": new_password,
                "password_again": new_password,
            },
        )
        assert response.status_code == 200
        assert client.get(link, headers=HTML).status_code == 404
        response = client.post(
            "/compte/connexion",
            headers=HTML,
            data={
                "csrf_token": token,
                "email": "oubli@example.fr",
                "password": new_password,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303

    def test_unknown_email_gets_the_same_answer_and_no_mail(
        self, client: TestClient, db: Session
    ) -> None:
        token = csrf_token(client, "/compte/mot-de-passe/oubli")
        response = client.post(
            "/compte/mot-de-passe/oubli",
            headers=HTML,
            data={"csrf_token": token, "email": "inconnu@example.fr"},
        )
        assert response.status_code == 200
        assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


class TestProfile:
    def test_language_preference_switches_the_interface(
        self, client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
    ) -> None:
        from tests.conftest import sign_in_client

        sign_in_client(client, db, settings, roles["inhabitant"])
        token = csrf_token(client, "/compte")
        response = client.post(
            "/compte",
            headers=HTML,
            data={
                "csrf_token": token,
                "display_name": "Jeanne",
                "locale": "en",
            },
        )
        assert response.status_code == 200
        assert "My account" in response.text
        db.expire_all()
        assert db.get(User, roles["inhabitant"].id).locale == "en"
