"""Processes through their pages: the public list and page, following, and the back office of
processes, phases and categories."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.i18n import LOCALE_COOKIE
from servicielle.participation.models import (
    Feature,
    Follow,
    Phase,
    PhaseKind,
    Process,
)
from servicielle.participation.processes import service
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import load_territory, make_category, make_process

HTML = {"Accept": "text/html"}
BASE = "/admin/participation"
UTC = dt.UTC


def english(client: TestClient) -> TestClient:
    """Read pages in English: the messages of this area then do not depend on catalogues."""
    client.cookies.set(LOCALE_COOKIE, "en")
    return client


def signed_in(client: TestClient, db: Session, settings: Settings, user: User) -> str:
    """Sign ``client`` in as ``user``; the CSRF token."""
    sign_in_client(english(client), db, settings, user)
    return csrf_token(client, "/participation")


def post(client: TestClient, path: str, token: str, **form: Any) -> httpx.Response:
    """Post a form without following the redirect."""
    answer: httpx.Response = client.post(
        path, data={"csrf_token": token, **form}, headers=HTML, follow_redirects=False
    )
    return answer


def admin(client: TestClient, db: Session, settings: Settings) -> str:
    """Sign in an administrator; the CSRF token."""
    return signed_in(client, db, settings, make_user(db, "config@example.fr", admin=True))


def links(html: str, slug: str) -> set[str]:
    """Which of the process's action pages the page links to."""
    pages = ("propositions", "budget", "resultats", "realisations")
    return {page for page in pages if f'href="/participation/{slug}/{page}"' in html}


# ---------- Public pages ----------


def test_list_shows_published_processes_with_their_running_phase(
    client: TestClient, db: Session
) -> None:
    zones = load_territory(db)
    make_process(db, slug="budget-2026", phase=PhaseKind.VOTE, scope=[zones[0].slug])
    make_process(db, slug="brouillon", title="Brouillon secret", published=False)
    page = english(client).get("/participation", headers=HTML)
    assert page.status_code == 200
    assert "/participation/budget-2026" in page.text
    assert "Brouillon secret" not in page.text
    assert zones[0].name in page.text
    assert "Current phase" in page.text


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (PhaseKind.INFORMATION, set()),
        (PhaseKind.PROPOSALS, {"propositions"}),
        (PhaseKind.VOTE, {"propositions", "budget"}),
        (PhaseKind.RESULTS, {"propositions", "resultats"}),
        (PhaseKind.IMPLEMENTATION, {"propositions", "resultats", "realisations"}),
    ],
)
def test_process_page_links_what_the_running_phase_allows(
    client: TestClient, db: Session, phase: PhaseKind, expected: set[str]
) -> None:
    make_process(db, slug="bp", phase=phase)
    page = english(client).get("/participation/bp", headers=HTML)
    assert page.status_code == 200
    assert links(page.text, "bp") == expected
    # The running phase is said in words in the timeline, not only by a colour.
    assert page.text.count('aria-current="step"') == 1
    assert "(In progress)" in page.text
    assert "the whole territory" in page.text


def test_phase_features_decide_the_links_not_its_kind(client: TestClient, db: Session) -> None:
    process = make_process(db, slug="bp", phase=PhaseKind.VOTE)
    running = db.scalars(
        select(Phase).where(Phase.process_id == process.id, Phase.kind == PhaseKind.VOTE)
    ).one()
    running.features = [Feature.VOTE]
    db.flush()
    assert links(client.get("/participation/bp", headers=HTML).text, "bp") == {"budget"}


def test_between_phases_nothing_is_open(client: TestClient, db: Session) -> None:
    process = Process(slug="plus-tard", title="Plus tard", published=True)
    db.add(process)
    db.flush()
    start = dt.datetime.now(UTC) + dt.timedelta(days=3)
    db.add(
        Phase(
            process_id=process.id,
            kind=PhaseKind.PROPOSALS,
            starts_at=start,
            ends_at=start + dt.timedelta(days=10),
            features=[Feature.PROPOSE],
        )
    )
    db.flush()
    page = english(client).get("/participation/plus-tard", headers=HTML)
    assert links(page.text, "plus-tard") == set()
    assert "Nothing is open at the moment" in page.text
    assert "(To come)" in page.text


def test_unpublished_process_is_hidden_but_administrators_preview_it(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    make_process(db, slug="brouillon", published=False)
    assert client.get("/participation/brouillon", headers=HTML).status_code == 404
    for unknown in ("inconnu", "a%00b", "%C3%A9t%C3%A9", "x" * 500):
        assert client.get(f"/participation/{unknown}", headers=HTML).status_code == 404
    signed_in(client, db, settings, roles["agent"])
    assert client.get("/participation/brouillon", headers=HTML).status_code == 404
    signed_in(client, db, settings, roles["administrator"])
    preview = client.get("/participation/brouillon", headers=HTML)
    assert preview.status_code == 200
    assert "Preview" in preview.text


def test_follow_and_unfollow_a_process(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    process = make_process(db, slug="bp")
    anonymous = english(client).get("/participation/bp", headers=HTML)
    assert "/compte/connexion?next=" in anonymous.text
    assert post(client, "/participation/bp/suivre", csrf_token(client)).status_code == 303
    assert db.scalars(select(Follow)).first() is None  # sent to sign in, nothing stored
    user = roles["inhabitant"]
    token = signed_in(client, db, settings, user)
    for _twice in range(2):
        answer = post(client, "/participation/bp/suivre", token, action="follow")
        assert answer.status_code == 303
    follows = db.scalars(select(Follow).where(Follow.user_id == user.id)).all()
    assert [(f.target, f.target_id) for f in follows] == [("process", process.id)]
    page = client.get("/participation/bp?done=followed", headers=HTML)
    assert "You follow this process" in page.text
    assert post(client, "/participation/bp/suivre", token, action="unfollow").status_code == 303
    db.expire_all()
    assert db.scalars(select(Follow).where(Follow.user_id == user.id)).all() == []
    assert post(client, "/participation/bp/suivre", "wrong", action="follow").status_code == 403


# ---------- Back office: processes ----------


def test_agents_without_the_permission_are_refused(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    process = make_process(db, slug="bp")
    make_category(db)
    token = signed_in(client, db, settings, roles["agent"])
    for path in (
        "",
        "/processus/nouveau",
        f"/processus/{process.id}",
        f"/processus/{process.id}/phases/nouvelle",
        "/categories",
    ):
        assert client.get(BASE + path, headers=HTML).status_code == 403, path
    assert post(client, f"{BASE}/processus/nouveau", token, slug="x").status_code == 403
    assert post(client, f"{BASE}/categories", token, name="X").status_code == 403
    client.cookies.clear()
    answer = client.get(BASE, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert "/compte/connexion" in answer.headers["location"]


def test_landing_page_lists_every_process_and_links_the_module(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_process(db, slug="bp")
    make_process(db, slug="brouillon", title="Brouillon", published=False)
    admin(client, db, settings)
    page = client.get(BASE, headers=HTML)
    assert page.status_code == 200
    assert "/participation/bp" in page.text
    assert "Brouillon" in page.text
    for section in ("propositions", "moderation", "consultations", "bulletins-papier"):
        assert f'href="{BASE}/{section}"' in page.text
    assert f'href="{BASE}/realisations"' in page.text


def process_form(**changes: Any) -> dict[str, Any]:
    """A valid process form, changed by ``changes``."""
    return {
        "title": "Budget participatif 2027",
        "slug": "bp-2027",
        "summary": "Un résumé.",
        "description": "Une description\nsur deux lignes.",
        "flags_to_hide": "3",
        "proposals_per_hour": "5",
        "comments_per_hour": "20",
        **changes,
    }


def test_create_and_edit_a_process(client: TestClient, db: Session, settings: Settings) -> None:
    zones = load_territory(db)
    token = admin(client, db, settings)
    answer = post(
        client,
        f"{BASE}/processus/nouveau",
        token,
        **process_form(scope=[zones[0].slug, zones[1].slug], published="1", support_threshold="50"),
    )
    assert answer.status_code == 303, answer.text
    process = db.scalars(select(Process).where(Process.slug == "bp-2027")).one()
    assert process.published
    assert process.support_threshold == 50
    assert sorted(process.scope) == sorted([zones[0].slug, zones[1].slug])
    assert answer.headers["location"] == f"{BASE}/processus/{process.id}?done=saved"
    edit = client.get(f"{BASE}/processus/{process.id}", headers=HTML)
    assert edit.status_code == 200
    assert "Saved." in client.get(answer.headers["location"], headers=HTML).text
    answer = post(
        client, f"{BASE}/processus/{process.id}", token, **process_form(title="Autre titre")
    )
    assert answer.status_code == 303
    db.expire_all()
    assert process.title == "Autre titre"
    assert process.scope == []  # no box ticked: the whole territory
    assert not process.published


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "notifications"}, "slug", "names a page of the site"),
        ({"slug": "propositions"}, "slug", "names a page of the site"),
        ({"slug": "Avec Espace"}, "slug", "Lower-case letters"),
        ({"slug": "bp"}, "slug", "Another process already has this slug"),
        ({"title": ""}, "title", "This field is required"),
        ({"flags_to_hide": "0"}, "flags_to_hide", "between 1 and 1000"),
        ({"support_threshold": "douze"}, "support_threshold", "whole number"),
        ({"scope": ["pas-une-zone"]}, "scope", "geozones of the territory"),
        ({"title": "a\nb"}, "title", "one line"),
    ],
)
def test_process_form_errors_are_shown_next_to_the_field(
    client: TestClient,
    db: Session,
    settings: Settings,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    load_territory(db)
    make_process(db, slug="bp")
    token = admin(client, db, settings)
    answer = post(client, f"{BASE}/processus/nouveau", token, **process_form(**changes))
    assert answer.status_code == 422
    assert f'id="process-{field}-error"' in answer.text
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    # The page title tells screen reader users at once that the form was refused.
    assert "<title>Error:" in answer.text


def test_reserved_slugs_include_the_segments_of_other_routes() -> None:
    reserved = service.reserved_slugs()
    assert {"notifications", "propositions", "budget", "resultats", "realisations"} <= reserved
