"""Processes under load or bad input: enormous forms refused, list pages in few queries."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.posted import MAX_FORM_BYTES
from servicielle.participation.models import DigestSubscription, Follow, Process
from tests.participation.factories import load_territory, make_process
from tests.participation.test_processes import HTML, admin, post, signed_in

HUGE = "x" * (MAX_FORM_BYTES + 1)


def test_enormous_forms_are_refused_with_413_and_change_nothing(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    make_process(db, slug="bp")
    token = signed_in(client, db, settings, roles["inhabitant"])
    for path in ("/participation/bp/suivre", "/participation/notifications"):
        answer = post(client, path, token, action="follow", frequency="daily", padding=HUGE)
        assert answer.status_code == 413, path
    assert db.scalar(select(func.count()).select_from(Follow)) == 0
    assert db.scalar(select(func.count()).select_from(DigestSubscription)) == 0
    token = admin(client, db, settings)
    answer = post(
        client, "/admin/participation/processus/nouveau", token, slug="gros", description=HUGE
    )
    assert answer.status_code == 413
    assert db.scalar(select(Process.id).where(Process.slug == "gros")) is None


def test_forms_with_too_many_fields_or_files_are_refused_with_400(
    client: TestClient, db: Session, settings: Settings
) -> None:
    token = admin(client, db, settings)
    crowded = "&".join(f"f{n}=1" for n in range(2000)) + f"&csrf_token={token}"
    answer = client.post(
        "/admin/participation/processus/nouveau",
        content=crowded,
        headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    answer = client.post(
        "/participation/notifications",
        data={"csrf_token": token, "frequency": "daily"},
        files={"photo": ("a.txt", b"hello", "text/plain")},
        headers=HTML,
    )
    assert answer.status_code == 400


def test_the_list_of_processes_costs_the_same_queries_for_two_or_ten(
    client: TestClient, db: Session
) -> None:
    zones = load_territory(db)

    def queries() -> int:
        seen: list[str] = []

        def remember(*args: Any) -> None:
            seen.append(str(args[2]))

        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            page = client.get("/participation", headers=HTML)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        assert page.status_code == 200
        return len(seen)

    for n in range(2):
        make_process(db, slug=f"p{n}", scope=[zones[n].slug])
    few = queries()
    for n in range(2, 10):
        make_process(db, slug=f"p{n}", scope=[zones[n % len(zones)].slug])
    assert queries() == few
