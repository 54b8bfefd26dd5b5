"""The public timeline of a report tells only what the public may know."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.reports import lifecycle
from tests.reports.conftest import Territory, report, staff
from tests.reports.test_views import HTML


def entries(page: str) -> int:
    """How many steps the public timeline shows."""
    return page.count('class="report-timeline-title"')


def test_a_merge_names_the_other_report_only_while_it_is_public(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    original = report(db, settings, agent)
    duplicate = report(db, settings, agent, description="Doublon avec un nom à cacher")
    lifecycle.merge(db, settings, duplicate, original, agent)
    shown = client.get(f"/signalements/{original.id}", headers=HTML).text
    assert f'href="/signalements/{duplicate.id}"' in shown
    # A moderator hides the duplicate: the original's page no longer names or links it.
    lifecycle.moderate(db, duplicate, agent, hide_report=True, reason="Nom d'un tiers")
    db.flush()
    page = client.get(f"/signalements/{original.id}", headers=HTML).text
    assert f'href="/signalements/{duplicate.id}"' not in page
    assert f"n° {duplicate.id}" not in page
    assert entries(page) == entries(shown) - 1
    # And the other way round: a hidden original is not named on its duplicate's page.
    other_original = report(db, settings, agent)
    other_duplicate = report(db, settings, agent)
    lifecycle.merge(db, settings, other_duplicate, other_original, agent)
    lifecycle.moderate(db, other_original, agent, hide_report=True, reason="Injurieux")
    db.flush()
    page = client.get(f"/signalements/{other_duplicate.id}", headers=HTML).text
    assert f'href="/signalements/{other_original.id}"' not in page
    assert f"Doublon du signalement n° {other_original.id}" not in page
    assert "Fermé : doublon d&#39;un autre signalement" in page  # the closing is still told


def test_internal_notes_stay_off_the_public_timeline(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = report(db, settings, agent)
    before = entries(client.get(f"/signalements/{created.id}", headers=HTML).text)
    lifecycle.add_note(db, settings, created, agent, internal_note="Rappeler M. Untel")
    lifecycle.change_status(
        db, settings, created, agent, status="open", internal_note="Vu avec l'équipe B"
    )
    db.flush()
    page = client.get(f"/signalements/{created.id}", headers=HTML).text
    assert entries(page) == before
    assert "Untel" not in page
    assert "équipe B" not in page
    lifecycle.add_note(db, settings, created, agent, note="Nous passons demain.")
    db.flush()
    page = client.get(f"/signalements/{created.id}", headers=HTML).text
    assert entries(page) == before + 1
