"""Back office of proposals: who may enter, the queue, answers, merges, bulk answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.mail.models import OutboxMessage
from servicielle.participation.models import Activity, Follow, FollowTarget, Proposal, Support
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_category, make_process
from tests.participation.test_proposals import HTML, add_proposal

QUEUE = "/admin/participation/propositions"


def as_agent(client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]) -> str:
    """Sign the agent in; the CSRF token."""
    sign_in_client(client, db, settings, roles["agent"])
    return csrf_token(client)


def post(client: TestClient, path: str, token: str, data: dict[str, Any]) -> Any:
    """Post a back-office form (a list value: the field repeated)."""
    return client.post(
        path, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )


@pytest.mark.parametrize("path", [QUEUE, f"{QUEUE}/1", "/admin/participation/moderation"])
def test_inhabitants_may_not_enter(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any], path: str
) -> None:
    anonymous = client.get(path, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    sign_in_client(client, db, settings, roles["inhabitant"])
    assert client.get(path, headers=HTML).status_code == 403
    token = csrf_token(client)
    refused = post(client, f"{QUEUE}/lot", token, {"ids": "1", "state": "accepted"})
    assert refused.status_code == 403


def test_queue_filters(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    first = make_process(db)
    second = make_process(db, slug="autre", title="Autre processus")
    nature = make_category(db)
    add_proposal(db, first, "Verger", category_id=nature.id)
    add_proposal(db, first, "Répondue", state="accepted")
    add_proposal(db, second, "Ailleurs", hidden=True)
    as_agent(client, db, settings, roles)
    everything = client.get(QUEUE, headers=HTML).text
    assert all(t in everything for t in ("Verger", "Répondue", "Ailleurs"))
    unanswered = client.get(f"{QUEUE}?sans_reponse=1", headers=HTML).text
    assert "Répondue" not in unanswered
    assert "Verger" in unanswered
    only_second = client.get(f"{QUEUE}?processus={second.id}", headers=HTML).text
    assert "Ailleurs" in only_second
    assert "Verger" not in only_second
    assert "Répondue" not in client.get(f"{QUEUE}?categorie={nature.id}", headers=HTML).text
    assert client.get(f"{QUEUE}?processus=x&etat=y&page=2", headers=HTML).status_code == 200
    assert client.get(f"{QUEUE}/abc", headers=HTML).status_code == 404
    assert client.get(f"{QUEUE}/99999999999999", headers=HTML).status_code == 404


def test_answer(db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Verger")
    db.add(
        Follow(
            user_id=make_user(db, "suit@example.fr").id,
            target=FollowTarget.PROPOSAL,
            target_id=proposal.id,
        )
    )
    db.flush()
    mails = db.scalar(select(func.count(OutboxMessage.id)))
    token = as_agent(client, db, settings, roles)
    rejected = post(client, f"{QUEUE}/{proposal.id}/reponse", token, {"state": "rejected"})
    assert rejected.status_code == 422
    assert 'id="answer-error"' in rejected.text
    bad_cost = post(
        client, f"{QUEUE}/{proposal.id}/reponse", token, {"state": "accepted", "cost": "douze"}
    )
    assert bad_cost.status_code == 422
    assert 'id="cost-error"' in bad_cost.text
    done = post(
        client,
        f"{QUEUE}/{proposal.id}/reponse",
        token,
        {"state": "accepted", "answer": "Nous le plantons.", "cost": "12 500"},
    )
    assert done.status_code == 303
    db.refresh(proposal)
    assert (proposal.state, proposal.cost_estimate, proposal.answered_by_id) == (
        "accepted",
        12500,
        roles["agent"].id,
    )
    assert proposal.answered_at is not None
    assert db.scalar(select(Activity.kind).where(Activity.proposal_id == proposal.id)) == "answer"
    # Followers learn of it from their digest, not from an email now.
    assert db.scalar(select(func.count(OutboxMessage.id))) == mails
    page = client.get(f"/participation/budget-2026/propositions/{proposal.id}", headers=HTML).text
    assert "Nous le plantons." in page
    assert "12" in page
    assert "500 €" in page


def test_merge(db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]) -> None:
    process = make_process(db)
    kept = add_proposal(db, process, "Piste cyclable", supports_count=2)
    duplicate = add_proposal(db, process, "Piste vélo", supports_count=2)
    both, only_kept, only_dup = (make_user(db, f"{n}@example.fr") for n in ("both", "kept", "dup"))
    for user, proposal in (
        (both, kept),
        (only_kept, kept),
        (both, duplicate),
        (only_dup, duplicate),
    ):
        db.add(Support(proposal_id=proposal.id, user_id=user.id))
    for user, proposal in ((both, kept), (both, duplicate), (only_dup, duplicate)):
        db.add(Follow(user_id=user.id, target=FollowTarget.PROPOSAL, target_id=proposal.id))
    db.flush()
    token = as_agent(client, db, settings, roles)
    itself = post(client, f"{QUEUE}/{kept.id}/fusion", token, {"target": str(kept.id)})
    assert itself.status_code == 422
    assert 'id="target-error"' in itself.text
    unknown = post(client, f"{QUEUE}/{kept.id}/fusion", token, {"target": "abc"})
    assert unknown.status_code == 404
    done = post(client, f"{QUEUE}/{duplicate.id}/fusion", token, {"target": str(kept.id)})
    assert done.status_code == 303
    db.refresh(kept)
    db.refresh(duplicate)
    assert (duplicate.state, duplicate.merged_into_id, duplicate.supports_count) == (
        "merged",
        kept.id,
        0,
    )
    assert kept.supports_count == 3
    supporters = db.scalars(select(Support.user_id).where(Support.proposal_id == kept.id)).all()
    assert sorted(supporters) == sorted([both.id, only_kept.id, only_dup.id])
    followers = db.scalars(
        select(Follow.user_id).where(Follow.target == "proposal", Follow.target_id == kept.id)
    ).all()
    assert sorted(followers) == sorted([both.id, only_dup.id])
    again = post(client, f"{QUEUE}/{duplicate.id}/fusion", token, {"target": str(kept.id)})
    assert again.status_code == 409


def test_bulk_answer_is_all_or_nothing(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    process = make_process(db)
    first, second = add_proposal(db, process, "Un"), add_proposal(db, process, "Deux")
    merged = add_proposal(db, process, "Fusionnée", state="merged", merged_into_id=first.id)
    token = as_agent(client, db, settings, roles)
    failing = post(
        client,
        f"{QUEUE}/lot",
        token,
        {"ids": [str(first.id), str(merged.id)], "state": "evaluating"},
    )
    assert failing.status_code == 409
    assert f"n° {merged.id}" in failing.text or f"no. {merged.id}" in failing.text
    db.refresh(first)
    assert first.state == "published"
    nothing = post(client, f"{QUEUE}/lot", token, {"state": "evaluating"})
    assert nothing.status_code == 422
    assert 'id="bulk-ids-error"' in nothing.text
    done = post(
        client,
        f"{QUEUE}/lot",
        token,
        {"ids": [str(first.id), str(second.id)], "state": "evaluating", "answer": "À l'étude"},
    )
    assert done.status_code == 303
    states = db.scalars(select(Proposal.state).where(Proposal.id.in_([first.id, second.id]))).all()
    assert states == ["evaluating", "evaluating"]
