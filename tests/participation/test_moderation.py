"""Moderation of flagged proposals, comments and observations: hide, restore, close."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.participation.consultations.models import Consultation, Observation
from servicielle.participation.models import Comment, Flag
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_process
from tests.participation.test_proposals import HTML, add_proposal

PAGE = "/admin/participation/moderation"


def flagged(db: Session) -> dict[str, Any]:
    """A hidden flagged proposal, a visible flagged comment, a flagged observation."""
    process = make_process(db)
    proposal = add_proposal(db, process, "Pub pour un casino", hidden=True, flags_count=3)
    other = add_proposal(db, process, "Un verger", comments_count=1)
    comment = Comment(proposal_id=other.id, body="Vous êtes tous des <b>idiots</b>", flags_count=1)
    consultation = Consultation(
        slug="plu",
        title="PLU",
        opens_at=utcnow() - dt.timedelta(days=1),
        closes_at=utcnow() + dt.timedelta(days=9),
    )
    db.add_all([comment, consultation])
    db.flush()
    observation = Observation(
        consultation_id=consultation.id, body="Hors sujet total", flags_count=1
    )
    db.add(observation)
    db.flush()
    users = [make_user(db, f"f{n}@example.fr") for n in range(3)]
    for user in users:
        db.add(Flag(target="proposal", target_id=proposal.id, user_id=user.id, reason="spam"))
    db.add(
        Flag(
            target="comment",
            target_id=comment.id,
            user_id=users[0].id,
            reason="offensive",
            details="insulte",
        )
    )
    db.add(
        Flag(
            target="observation", target_id=observation.id, user_id=users[1].id, reason="off_topic"
        )
    )
    db.flush()
    return {"proposal": proposal, "other": other, "comment": comment, "observation": observation}


def test_open_flags_are_grouped(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    items = flagged(db)
    sign_in_client(client, db, settings, roles["agent"])
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert text.index("Pub pour un casino") < text.index("idiots")  # most flagged first
    assert "&lt;b&gt;idiots&lt;/b&gt;" in text
    assert "/consultations/plu" in text
    assert f"/admin/participation/moderation/observation/{items['observation'].id}/masquer" in text
    only = client.get(f"{PAGE}?type=comment", headers=HTML).text
    assert "idiots" in only
    assert "casino" not in only


def test_hide_restore_resolve(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    items = flagged(db)
    sign_in_client(client, db, settings, roles["agent"])
    token = csrf_token(client)

    def act(kind: str, target_id: int, action: str) -> int:
        return client.post(
            f"{PAGE}/{kind}/{target_id}/{action}",
            data={"csrf_token": token},
            headers=HTML,
            follow_redirects=False,
        ).status_code

    proposal, comment, observation = items["proposal"], items["comment"], items["observation"]
    assert act("proposal", proposal.id, "retablir") == 303
    db.refresh(proposal)
    assert not proposal.hidden
    assert proposal.flags_count == 3
    open_flags = select(Flag.id).where(Flag.resolved_at.is_(None))
    assert all(
        f.resolved_by_id == roles["agent"].id
        for f in db.scalars(
            select(Flag).where(Flag.target_id == proposal.id, Flag.target == "proposal")
        )
    )
    assert act("comment", comment.id, "masquer") == 303
    db.refresh(comment)
    db.refresh(items["other"])
    assert comment.hidden
    assert items["other"].comments_count == 0
    assert act("observation", observation.id, "classer") == 303
    db.refresh(observation)
    assert not observation.hidden
    assert db.scalars(open_flags).all() == []
    assert act("observation", observation.id, "masquer") == 303
    db.refresh(observation)
    assert observation.hidden
    assert act("nope", 1, "masquer") == 404
    assert act("proposal", proposal.id, "detruire") == 404
    assert act("proposal", 99999999, "masquer") == 404
    assert act("proposal", 0, "masquer") == 404
    assert (
        "No flag" in client.get(PAGE, headers=HTML).text
        or "Aucun" in client.get(PAGE, headers=HTML).text
    )
