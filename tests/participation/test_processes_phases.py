"""The back office of phases (Paris time in, UTC stored, no overlap) and of categories."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import InvalidInput
from servicielle.participation.models import (
    Phase,
    PhaseKind,
    Proposal,
    ProposalCategory,
)
from servicielle.participation.processes import service
from tests.participation.factories import make_process
from tests.participation.test_processes import BASE, HTML, UTC, admin, post

# ---------- Back office: phases ----------


def local(text: str) -> dt.datetime:
    """A Paris wall-clock time as the UTC instant it is."""
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def test_phase_dates_are_typed_in_paris_time_and_stored_in_utc(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = service.create_process(db, slug="bp-phases", title="Phases")
    token = admin(client, db, settings)
    form = client.get(f"{BASE}/processus/{process.id}/phases/nouvelle?kind=vote", headers=HTML)
    assert form.status_code == 200
    # The kind's usual features are ticked in advance.
    assert 'value="vote" checked' in form.text
    assert 'value="propose" checked' not in form.text
    answer = post(
        client,
        f"{BASE}/processus/{process.id}/phases/nouvelle",
        token,
        kind="vote",
        title="",
        starts_at="2026-07-01T09:00",
        ends_at="2026-07-15T18:30",
        features=["vote", "comment"],
        action="save",
    )
    assert answer.status_code == 303, answer.text
    phase = db.scalars(select(Phase).where(Phase.process_id == process.id)).one()
    assert phase.starts_at == dt.datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # summer: UTC+2
    assert phase.ends_at == dt.datetime(2026, 7, 15, 16, 30, tzinfo=UTC)
    assert phase.features == ["comment", "vote"]
    edit = client.get(f"{BASE}/processus/{process.id}/phases/{phase.id}", headers=HTML)
    assert 'value="2026-07-01T09:00"' in edit.text


def test_phases_must_end_after_they_start_and_never_overlap(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = service.create_process(db, slug="bp-chevauche", title="Chevauchement")
    first = service.add_phase(
        db,
        process,
        kind=PhaseKind.PROPOSALS,
        title="Dépôt des idées",
        starts_at=local("2026-03-01T00:00"),
        ends_at=local("2026-04-01T00:00"),
    )
    token = admin(client, db, settings)
    url = f"{BASE}/processus/{process.id}/phases/nouvelle"
    fields = {"kind": "vote", "action": "save"}
    backwards = post(
        client, url, token, starts_at="2026-05-10T10:00", ends_at="2026-05-01T10:00", **fields
    )
    assert backwards.status_code == 422
    assert 'id="phase-ends_at-error"' in backwards.text
    overlap = post(
        client, url, token, starts_at="2026-03-20T00:00", ends_at="2026-04-20T00:00", **fields
    )
    assert overlap.status_code == 422
    assert 'id="phase-starts_at-error"' in overlap.text
    assert "Dépôt des idées" in overlap.text  # says which phase it overlaps
    unreadable = post(client, url, token, starts_at="demain", ends_at="", **fields)
    assert unreadable.status_code == 422
    assert 'id="phase-starts_at-error"' in unreadable.text
    assert 'id="phase-ends_at-error"' in unreadable.text
    # Back to back is fine: a phase ends at the instant the next starts.
    follows = post(
        client, url, token, starts_at="2026-04-01T00:00", ends_at="2026-04-20T00:00", **fields
    )
    assert follows.status_code == 303
    # Editing a phase does not clash with itself.
    moved = post(
        client,
        f"{BASE}/processus/{process.id}/phases/{first.id}",
        token,
        kind="proposals",
        title="Dépôt",
        starts_at="2026-02-20T00:00",
        ends_at="2026-03-25T00:00",
        features=["propose"],
        action="save",
    )
    assert moved.status_code == 303
    with pytest.raises(InvalidInput):
        service.add_phase(
            db,
            process,
            kind=PhaseKind.RESULTS,
            starts_at=local("2026-04-10T00:00"),
            ends_at=local("2026-04-11T00:00"),
        )


def test_the_defaults_button_ticks_the_kinds_features(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = service.create_process(db, slug="bp-defaut", title="Défaut")
    token = admin(client, db, settings)
    answer = post(
        client,
        f"{BASE}/processus/{process.id}/phases/nouvelle",
        token,
        kind="proposals",
        starts_at="2026-03-01T00:00",
        ends_at="",
        action="defaults",
    )
    assert answer.status_code == 200
    for feature in ("propose", "support", "comment"):
        assert f'value="{feature}" checked' in answer.text
    assert db.scalars(select(Phase).where(Phase.process_id == process.id)).first() is None


def test_delete_a_phase_and_unknown_ids_are_404(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = make_process(db, slug="bp")
    phase = db.scalars(select(Phase).where(Phase.process_id == process.id)).first()
    assert phase is not None
    token = admin(client, db, settings)
    for path in ("/processus/99999999999", "/processus/abc", f"/processus/{process.id}/phases/0"):
        assert client.get(BASE + path, headers=HTML).status_code == 404, path
    gone = post(client, f"{BASE}/processus/{process.id}/phases/{phase.id}/suppression", token)
    assert gone.status_code == 303
    phase_id = phase.id
    db.expunge_all()
    assert db.scalars(select(Phase).where(Phase.id == phase_id)).first() is None


# ---------- Back office: categories ----------


def test_categories_add_rename_reorder_delete(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = make_process(db, slug="bp")
    token = admin(client, db, settings)
    for name in ("Mobilité", "Nature en ville", "Culture"):
        assert post(client, f"{BASE}/categories", token, name=name).status_code == 303
    taken = post(client, f"{BASE}/categories", token, name="mobilité")
    assert taken.status_code == 422
    assert 'id="category-name-error"' in taken.text
    empty = post(client, f"{BASE}/categories", token, name="  ")
    assert empty.status_code == 422

    def names() -> list[str]:
        db.expire_all()
        ordered = db.scalars(
            select(ProposalCategory).order_by(ProposalCategory.position, ProposalCategory.id)
        )
        return [c.name for c in ordered]

    assert names() == ["Mobilité", "Nature en ville", "Culture"]
    culture = db.scalars(select(ProposalCategory).where(ProposalCategory.name == "Culture")).one()
    assert post(client, f"{BASE}/categories/{culture.id}", token, action="up").status_code == 303
    assert names() == ["Mobilité", "Culture", "Nature en ville"]
    renamed = post(
        client, f"{BASE}/categories/{culture.id}", token, action="rename", name="Culture et sport"
    )
    assert renamed.status_code == 303
    assert names() == ["Mobilité", "Culture et sport", "Nature en ville"]
    clash = post(client, f"{BASE}/categories/{culture.id}", token, action="rename", name="Mobilité")
    assert clash.status_code == 422
    assert f'id="category-name-{culture.id}-error"' in clash.text
    # Deleting a category in use: its proposals stay, without a category, and we say so.
    db.add_all(
        Proposal(process_id=process.id, title=f"Idée {n}", body="…", category_id=culture.id)
        for n in range(2)
    )
    db.flush()
    page = client.get(f"{BASE}/categories", headers=HTML)
    assert "2 proposals will have no category." in page.text
    gone = post(client, f"{BASE}/categories/{culture.id}/suppression", token)
    assert gone.status_code == 303
    assert "done=released&n=2" in gone.headers["location"]
    assert (
        "2 proposals no longer have a category"
        in client.get(gone.headers["location"], headers=HTML).text
    )
    assert names() == ["Mobilité", "Nature en ville"]
    orphans = db.scalars(select(Proposal.category_id).where(Proposal.process_id == process.id))
    assert set(orphans) == {None}


def test_a_time_the_spring_clock_change_skips_is_refused_by_name(
    client: TestClient, db: Session, settings: Settings
) -> None:
    process = service.create_process(db, slug="bp-heure", title="Heure d'été")
    token = admin(client, db, settings)
    path = f"{BASE}/processus/{process.id}/phases/nouvelle"
    base = {"kind": "vote", "features": ["vote"], "action": "save"}
    # 29 March 2026, 02:30 never shows on Paris clocks (02:00 becomes 03:00).
    answer = post(
        client, path, token, starts_at="2026-03-29T02:30", ends_at="2026-04-10T18:00", **base
    )
    assert answer.status_code == 422
    assert 'id="phase-starts_at-error"' in answer.text
    assert "does not exist" in answer.text
    assert db.scalars(select(Phase).where(Phase.process_id == process.id)).first() is None
    # The autumn hour that happens twice is read as its first occurrence (summer time).
    answer = post(
        client, path, token, starts_at="2026-10-25T02:30", ends_at="2026-11-10T18:00", **base
    )
    assert answer.status_code == 303, answer.text
    phase = db.scalars(select(Phase).where(Phase.process_id == process.id)).one()
    assert phase.starts_at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
