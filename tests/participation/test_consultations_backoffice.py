"""The consultations back office through HTTP: permissions, settings, questions, observations,
synthesis and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.participation.consultations import observations as obs
from servicielle.participation.consultations.models import Consultation, ConsultationQuestion
from tests.conftest import make_user
from tests.participation.test_consultations import answers, make_consultation, questions_of
from tests.participation.test_consultations_views import HTML, post, signed_in

BASE = "/admin/participation/consultations"


def admin(client: TestClient, db: Session, settings: Settings) -> str:
    """Sign in an administrator; return a CSRF token."""
    return signed_in(client, db, settings, make_user(db, "admin.consult@example.fr", admin=True))


def consultation_form(**changes: Any) -> dict[str, Any]:
    """A valid consultation form."""
    return {
        "title": "Plan climat",
        "slug": "plan-climat",
        "summary": "Le plan climat du territoire.",
        "document": "Article 1.\n\nArticle 2.",
        "opens_at": "2026-07-01T09:00",
        "closes_at": "2026-08-01T18:00",
        "observations_public": "1",
        "published": "1",
        **changes,
    }


def test_inhabitants_and_agents_get_403(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    consultation = make_consultation(db)
    paths = ["", "/nouvelle", f"/{consultation.id}", f"/{consultation.id}/observations"]
    paths += [f"/{consultation.id}/synthese", f"/{consultation.id}/export.csv"]
    assert client.get(BASE, headers=HTML, follow_redirects=False).status_code == 303  # sign in
    for who in ("inhabitant", "agent"):
        token = signed_in(client, db, settings, roles[who])
        for path in paths:
            assert client.get(BASE + path, headers=HTML).status_code == 403, (who, path)
        refused = post(client, f"{BASE}/nouvelle", {"csrf_token": token, **consultation_form()})
        assert refused.status_code == 403
    token = signed_in(client, db, settings, roles["administrator"])
    for path in paths:
        assert client.get(BASE + path, headers=HTML).status_code == 200, path


def test_create_and_edit_a_consultation(
    client: TestClient, db: Session, settings: Settings
) -> None:
    token = admin(client, db, settings)
    bad = post(
        client,
        f"{BASE}/nouvelle",
        {
            "csrf_token": token,
            **consultation_form(slug="Plan Climat!", title="", closes_at="2026-06-01T09:00"),
        },
    )
    assert bad.status_code == 422
    for name in ("slug", "title", "closes_at"):
        assert f'id="consultation-{name}-error"' in bad.text, name
    assert 'value="Plan Climat!"' in bad.text
    created = post(client, f"{BASE}/nouvelle", {"csrf_token": token, **consultation_form()})
    assert created.status_code == 303
    consultation = db.scalars(select(Consultation).where(Consultation.slug == "plan-climat")).one()
    assert created.headers["location"] == f"{BASE}/{consultation.id}?done=created"
    # Paris summer time is UTC+2: typed wall-clock times are stored in UTC.
    assert consultation.opens_at == dt.datetime(2026, 7, 1, 7, 0, tzinfo=dt.UTC)
    assert consultation.published
    assert consultation.observations_public
    taken = post(client, f"{BASE}/nouvelle", {"csrf_token": token, **consultation_form()})
    assert taken.status_code == 422
    assert 'id="consultation-slug-error"' in taken.text
    edited = post(
        client,
        f"{BASE}/{consultation.id}",
        {"csrf_token": token, **consultation_form(title="Plan climat 2030", published="")},
    )
    assert edited.status_code == 303
    db.expire_all()
    assert consultation.title == "Plan climat 2030"
    assert not consultation.published
    page = client.get(f"{BASE}/{consultation.id}", headers=HTML)
    assert 'value="2026-07-01T09:00"' in page.text  # shown back in Paris time
    assert client.get(f"{BASE}/999999", headers=HTML).status_code == 404


def test_observations_cannot_be_made_public_afterwards(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db, observations_public=False, questions=())
    obs.submit_observation(db, consultation, make_user(db, "x@example.fr"), body="Privé")
    token = admin(client, db, settings)
    form = consultation_form(slug=consultation.slug, opens_at="2026-01-01T09:00")
    refused = post(client, f"{BASE}/{consultation.id}", {"csrf_token": token, **form})
    assert refused.status_code == 422
    assert 'id="consultation-observations_public-error"' in refused.text


def test_questions_are_added_edited_moved_and_deleted(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db, questions=())
    token = admin(client, db, settings)
    path = f"{BASE}/{consultation.id}/questions/nouvelle"
    bad = post(
        client,
        path,
        {"csrf_token": token, "text": "Quel tracé ?", "kind": "choice", "choices": "A"},
    )
    assert bad.status_code == 422
    assert 'id="question-choices-error"' in bad.text
    for text in ("Quel tracé ?", "Quel calendrier ?"):
        sent = {
            "csrf_token": token,
            "text": text,
            "kind": "choice",
            "choices": "A\r\nB\r\n\r\nB",
            "required": "1",
        }
        assert post(client, path, sent).status_code == 303
    first, second = questions_of(db, consultation)
    assert first.choices == ["A", "B"]
    assert first.required
    moved = post(
        client,
        f"{BASE}/{consultation.id}/questions/{second.id}/deplacer",
        {"csrf_token": token, "direction": "up"},
    )
    assert moved.status_code == 303
    assert moved.headers["location"].endswith("?done=moved#questions")
    assert [q.id for q in questions_of(db, consultation)] == [second.id, first.id]
    edit = f"{BASE}/{consultation.id}/questions/{first.id}"
    assert (
        post(client, edit, {"csrf_token": token, "text": "Tracé ?", "kind": "text"}).status_code
        == 303
    )
    deleted = post(client, f"{edit}/suppression", {"csrf_token": token})
    assert deleted.status_code == 303
    assert [q.id for q in questions_of(db, consultation)] == [second.id]
    other = make_consultation(db, slug="autre", questions=())
    assert client.get(f"{BASE}/{other.id}/questions/{second.id}", headers=HTML).status_code == 404


def test_questions_lock_once_observations_exist(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db)
    obs.submit_observation(
        db,
        consultation,
        make_user(db, "y@example.fr"),
        answers=answers(db, consultation, "", "Oui"),
    )
    token = admin(client, db, settings)
    choice = questions_of(db, consultation)[1]
    edit = f"{BASE}/{consultation.id}/questions/{choice.id}"
    page = client.get(edit, headers=HTML)
    assert "/suppression" not in page.text  # no delete button, and the reason is given
    kind = post(
        client,
        edit,
        {
            "csrf_token": token,
            "text": choice.text,
            "kind": "choices",
            "choices": "Oui\nNon\nSans avis",
        },
    )
    assert kind.status_code == 422
    assert 'id="question-kind-error"' in kind.text
    deleted = post(client, f"{edit}/suppression", {"csrf_token": token})
    assert deleted.status_code == 409
    assert 'id="question-delete-error"' in deleted.text
    assert db.get(ConsultationQuestion, choice.id) is not None


def test_observations_page_shows_everything_with_filters_and_moderation(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db, observations_public=False)
    for index, (body, choice) in enumerate(
        [("Très bien", "Oui"), ("Trop cher", "Non"), ("Bof", "Oui")]
    ):
        author = make_user(db, f"o{index}@example.fr")
        obs.submit_observation(
            db, consultation, author, body=body, answers=answers(db, consultation, "", choice)
        )
    hidden = db.scalars(select(obs.Observation).where(obs.Observation.body == "Bof")).one()
    hidden.hidden = True
    db.flush()
    token = admin(client, db, settings)
    path = f"{BASE}/{consultation.id}/observations"
    page = client.get(path, headers=HTML)
    assert all(body in page.text for body in ("Très bien", "Trop cher", "Bof"))
    # Counts per choice, hidden observations left out.
    assert '<th scope="row">Oui</th><td class="num">1</td>' in page.text
    only_hidden = client.get(f"{path}?visibilite=hidden", headers=HTML)
    assert "Bof" in only_hidden.text
    assert "Très bien" not in only_hidden.text
    searched = client.get(f"{path}?q=CHER", headers=HTML)
    assert "Trop cher" in searched.text
    assert "Très bien" not in searched.text
    assert client.get(f"{path}?visibilite=%00&page=2", headers=HTML).status_code == 200
    shown = post(
        client,
        f"{path}/{hidden.id}/moderation",
        {"csrf_token": token, "action": "show", "back": "?visibilite=hidden&page=1"},
    )
    assert shown.status_code == 303
    assert (
        shown.headers["location"]
        == f"{path}?visibilite=hidden&page=1&done=shown#observation-{hidden.id}"
    )
    db.expire_all()
    assert not hidden.hidden


def test_synthesis_is_published_only_after_closing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    consultation = make_consultation(db)
    token = admin(client, db, settings)
    path = f"{BASE}/{consultation.id}/synthese"
    early = post(
        client, path, {"csrf_token": token, "synthesis": "Le tracé B.", "action": "publish"}
    )
    assert early.status_code == 409
    assert str(consultation.closes_at.year) in early.text  # says when it will be possible
    assert 'id="synthesis-synthesis-error"' in early.text
    draft = post(client, path, {"csrf_token": token, "synthesis": "Le tracé B.", "action": "save"})
    assert draft.status_code == 303
    assert "Le tracé B." not in client.get(f"/consultations/{consultation.slug}", headers=HTML).text
    consultation.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.flush()
    published = post(
        client,
        path,
        {"csrf_token": token, "synthesis": "Le tracé B est retenu.", "action": "publish"},
    )
    assert published.status_code == 303
    public = client.get(f"/consultations/{consultation.slug}", headers=HTML)
    assert 'id="synthese"' in public.text
    assert "Le tracé B est retenu." in public.text


def _csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_csv_and_json_exports(client: TestClient, db: Session, settings: Settings) -> None:
    consultation = make_consultation(db)
    author = make_user(db, "zoe@example.fr")
    obs.submit_observation(
        db,
        consultation,
        author,
        body='=HYPERLINK("x"); et "guillemets"',
        answers=answers(db, consultation, "Oui; vite", "Non", ["Vélo", "Bus"]),
    )
    admin(client, db, settings)
    path = f"{BASE}/{consultation.id}/export"
    response = client.get(f"{path}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    header, row = _csv_rows(response)
    questions = [q.text for q in questions_of(db, consultation)]
    assert header[4:7] == questions
    assert len(header) == 8
    assert row[2] == "zoe"
    # A cell a spreadsheet would run as a formula is neutralised.
    assert row[3] == '\'=HYPERLINK("x"); et "guillemets"'
    assert row[4:7] == ["Oui; vite", "Non", "Vélo | Bus"]
    anonymous_header, anonymous_row = _csv_rows(client.get(f"{path}.csv?noms=0"))
    assert len(anonymous_header) == 7
    assert "zoe" not in anonymous_row
    data = json.loads(client.get(f"{path}.json").content)
    assert data["observations"][0]["author"] == "zoe"
    assert [q["text"] for q in data["questions"]] == questions
    anonymous = json.loads(client.get(f"{path}.json?noms=0").content)
    assert "author" not in anonymous["observations"][0]
