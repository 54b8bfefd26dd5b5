"""The public pages of consultations through HTTP: list, page, observation form, flags."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.participation.consultations import observations as obs
from servicielle.participation.consultations import service
from servicielle.participation.consultations.models import Consultation, Observation
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_process
from tests.participation.test_consultations import make_consultation, questions_of

HTML = {"Accept": "text/html"}


def signed_in(client: TestClient, db: Session, settings: Settings, user: User) -> str:
    """Sign ``client`` in as ``user``; return a CSRF token."""
    sign_in_client(client, db, settings, user)
    return csrf_token(client, "/consultations")


def post(client: TestClient, path: str, data: dict[str, Any]) -> httpx.Response:
    """Post a form without following the redirect."""
    answer: httpx.Response = client.post(path, data=data, headers=HTML, follow_redirects=False)
    return answer


def section(html: str, heading_id: str) -> str:
    """The HTML of the list's section whose heading has this id."""
    match = re.search(rf'id="{heading_id}".*?</section>', html, re.S)
    assert match, heading_id
    return match.group(0)


def stored(db: Session, consultation: Consultation) -> list[Observation]:
    """The consultation's observations as stored now."""
    db.expire_all()
    return list(
        db.scalars(select(Observation).where(Observation.consultation_id == consultation.id))
    )


def test_list_groups_consultations_by_state(client: TestClient, db: Session) -> None:
    make_consultation(db, slug="ouverte", title="Plan vélo")
    make_consultation(db, slug="bientot", title="Cantines", state="upcoming")
    closed = make_consultation(db, slug="close", title="Marché couvert", state="closed")
    make_consultation(db, slug="cachee", title="Brouillon secret", published=False)
    service.save_synthesis(db, closed, "Nous retenons la halle.", publish=True)
    page = client.get("/consultations", headers=HTML)
    assert page.status_code == 200
    assert "Plan vélo" in section(page.text, "consultations-open")
    assert "Cantines" in section(page.text, "consultations-upcoming")
    closed_html = section(page.text, "consultations-closed")
    assert "Marché couvert" in closed_html
    assert 'href="/consultations/close#synthese"' in closed_html
    assert "Brouillon secret" not in page.text
    assert client.get("/consultations/cachee", headers=HTML).status_code == 404
    assert client.get("/consultations/n%C3%A9ant", headers=HTML).status_code == 404


def test_page_shows_numbered_paragraphs_and_a_sign_in_link(client: TestClient, db: Session) -> None:
    make_consultation(db)
    page = client.get("/consultations/plan-velo", headers=HTML)
    assert page.status_code == 200
    for number in (1, 2, 3):
        assert f'id="paragraphe-{number}"' in page.text
    assert "/compte/connexion?next=%2Fconsultations%2Fplan-velo" in page.text
    assert 'action="/consultations/plan-velo/observations"' not in page.text


def test_signed_in_people_send_observations(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db)
    token = signed_in(client, db, settings, make_user(db, "anne@example.fr"))
    page = client.get("/consultations/plan-velo", headers=HTML)
    text_q, choice_q, choices_q = questions_of(db, consultation)
    # Choices are grouped in a fieldset with its legend; the single choice is required.
    assert f'<fieldset class="field consultation-choices" id="q-{choice_q.id}"' in page.text
    assert 'type="radio"' in page.text
    assert 'type="checkbox"' in page.text
    path = "/consultations/plan-velo/observations"
    sent = post(
        client,
        path,
        {
            "csrf_token": token,
            "body": "Voir le § 2 : le tracé longe l'école.",
            f"q-{text_q.id}": "Oui, vite",
            f"q-{choice_q.id}": "Oui",
            f"q-{choices_q.id}": ["Vélo", "Bus"],
        },
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/consultations/plan-velo?envoye=1")
    [observation] = stored(db, consultation)
    assert observation.answers[str(choices_q.id)] == ["Vélo", "Bus"]
    page = client.get("/consultations/plan-velo", headers=HTML)
    assert "le tracé longe l&#39;école" in page.text
    assert 'href="#paragraphe-2"' in page.text  # "§ 2" links to the paragraph
    assert ">anne<" in page.text  # the author's display name


def test_bad_observations_are_refused_next_to_their_field(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db)
    token = signed_in(client, db, settings, make_user(db, "bob@example.fr"))
    text_q, choice_q, choices_q = questions_of(db, consultation)
    path = "/consultations/plan-velo/observations"
    missing = post(client, path, {"csrf_token": token, "body": "Mon avis"})
    assert missing.status_code == 422
    assert f'id="q-{choice_q.id}-error"' in missing.text
    assert ">Mon avis</textarea>" in missing.text  # what was typed stays
    foreign = post(
        client,
        path,
        {"csrf_token": token, f"q-{choice_q.id}": "Oui", f"q-{choices_q.id}": "Trottinette"},
    )
    assert foreign.status_code == 422
    assert f'id="q-{choices_q.id}-error"' in foreign.text
    too_long = post(
        client, path, {"csrf_token": token, f"q-{choice_q.id}": "Non", "body": "a" * 6001}
    )
    assert too_long.status_code == 422
    assert 'id="body-error"' in too_long.text
    assert stored(db, consultation) == []


def test_anonymous_and_out_of_dates_observations_are_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    upcoming = make_consultation(db, slug="bientot", state="upcoming", questions=())
    closed = make_consultation(db, slug="close", state="closed", questions=())
    open_ = make_consultation(db, slug="ouverte", questions=())
    token = csrf_token(client, "/consultations")
    anonymous = post(
        client, "/consultations/ouverte/observations", {"csrf_token": token, "body": "x"}
    )
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/compte/connexion?next=")
    assert stored(db, open_) == []
    token = signed_in(client, db, settings, make_user(db, "carl@example.fr"))
    for consultation in (upcoming, closed):
        answer = post(
            client,
            f"/consultations/{consultation.slug}/observations",
            {"csrf_token": token, "body": "Mon avis"},
        )
        assert answer.status_code == 409
        # The dates are named, in the visitor's language (French by default).
        assert str(consultation.opens_at.year) in answer.text
        assert stored(db, consultation) == []


def test_the_eleventh_observation_of_the_hour_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db, questions=())
    token = signed_in(client, db, settings, make_user(db, "dora@example.fr"))
    path = "/consultations/plan-velo/observations"
    for index in range(10):
        assert post(client, path, {"csrf_token": token, "body": f"n°{index}"}).status_code == 303
    refused = post(client, path, {"csrf_token": token, "body": "une de trop"})
    assert refused.status_code == 429
    assert len(stored(db, consultation)) == 10


def test_non_public_observations_stay_with_the_authority(client: TestClient, db: Session) -> None:
    consultation = make_consultation(db, observations_public=False, questions=())
    obs.submit_observation(
        db, consultation, make_user(db, "eve@example.fr"), body="Mon adresse personnelle"
    )
    page = client.get("/consultations/plan-velo", headers=HTML)
    assert "Mon adresse personnelle" not in page.text
    assert 'id="observations-title"' in page.text
    assert "/signaler" not in page.text


def test_flagged_observations_are_hidden_after_three_flags(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db, questions=())
    spam = obs.submit_observation(db, consultation, make_user(db, "spam@example.fr"), body="PUB")
    obs.submit_observation(db, consultation, make_user(db, "ok@example.fr"), body="Avis utile")
    path = f"/consultations/plan-velo/observations/{spam.id}/signaler"
    for index in range(3):
        token = signed_in(client, db, settings, make_user(db, f"flag{index}@example.fr"))
        page = client.get("/consultations/plan-velo", headers=HTML)
        assert f'action="{path}"' in page.text
        assert post(client, path, {"csrf_token": token, "reason": "spam"}).status_code == 303
        if index == 0:
            again = post(client, path, {"csrf_token": token, "reason": "spam"})
            assert again.status_code == 409
            bad = post(client, path.replace(str(spam.id), "99999999999"), {"csrf_token": token})
            assert bad.status_code == 404
    page = client.get("/consultations/plan-velo", headers=HTML)
    assert "PUB" not in page.text
    assert "Avis utile" in page.text
    assert post(client, path, {"csrf_token": token, "reason": "spam"}).status_code == 404


def test_the_published_synthesis_and_observations_are_paged(
    client: TestClient, db: Session
) -> None:
    consultation = make_consultation(db, questions=())
    for index in range(21):
        author = make_user(db, f"p{index}@example.fr")
        obs.submit_observation(db, consultation, author, body=f"Observation numéro {index:02d}")
    first = client.get("/consultations/plan-velo", headers=HTML)
    assert "Observation numéro 20" in first.text
    assert "Observation numéro 00" not in first.text
    second = client.get("/consultations/plan-velo?page=2", headers=HTML)
    assert "Observation numéro 00" in second.text
    consultation.closes_at = utcnow() - dt.timedelta(minutes=1)
    service.save_synthesis(db, consultation, "Synthèse : le tracé B est retenu.", publish=True)
    page = client.get("/consultations/plan-velo", headers=HTML)
    assert 'id="synthese"' in page.text
    assert "le tracé B est retenu" in page.text
    assert 'action="/consultations/plan-velo/observations"' not in page.text


def test_consultations_of_an_unpublished_process_stay_hidden(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = make_process(db, slug="brouillon", published=False)
    make_consultation(db, slug="dans-brouillon", title="Projet confidentiel", process_id=process.id)
    make_consultation(db, slug="visible", title="Plan vélo")
    listing = client.get("/consultations", headers=HTML).text
    assert "Plan vélo" in listing
    assert "Projet confidentiel" not in listing
    assert client.get("/consultations/dans-brouillon", headers=HTML).status_code == 404
    token = signed_in(client, db, settings, make_user(db, "curieux@example.fr"))
    answer = post(
        client, "/consultations/dans-brouillon/observations", {"csrf_token": token, "body": "Vu"}
    )
    assert answer.status_code == 404
    process.published = True
    db.flush()
    assert client.get("/consultations/dans-brouillon", headers=HTML).status_code == 200
