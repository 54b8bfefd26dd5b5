"""What people do on a proposal's page: support, comment and reply, follow, flag."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.participation.models import (
    Activity,
    Comment,
    Flag,
    Follow,
    PhaseKind,
    Proposal,
    Support,
)
from servicielle.participation.proposals import service
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_process
from tests.participation.test_proposals import HTML, add_proposal, signed_in

PAGE = "/participation/budget-2026/propositions"


def post(client: TestClient, path: str, **data: str) -> Any:
    """Post a form of the proposal page with the browser's CSRF token."""
    token = client.cookies.get("sv_csrf") or csrf_token(client)
    return client.post(
        path, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )


def test_one_support_per_person(db: Session, client: TestClient, settings: Settings) -> None:
    process = make_process(db, support_threshold=10)
    proposal = add_proposal(db, process, "Un verger")
    user = signed_in(client, db, settings, "soutien@example.fr")
    csrf_token(client)
    first = post(client, f"{PAGE}/{proposal.id}/soutien")
    assert first.status_code == 303
    assert "fait=soutenu" in first.headers["location"]
    again = post(client, f"{PAGE}/{proposal.id}/soutien")
    assert "fait=deja" in again.headers["location"]
    db.refresh(proposal)
    assert proposal.supports_count == 1
    page = client.get(f"{PAGE}/{proposal.id}", headers=HTML).text
    assert "1 / 10" in page
    assert "<progress" in page
    withdrawn = post(client, f"{PAGE}/{proposal.id}/soutien", action="retirer")
    assert "fait=retire" in withdrawn.headers["location"]
    db.refresh(proposal)
    assert proposal.supports_count == 0
    assert db.scalar(select(func.count(Support.id)).where(Support.user_id == user.id)) == 0


def test_a_racing_double_support_counts_once(db: Session) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Un verger", supports_count=1)
    user = make_user(db, "double@example.fr")
    # The other request of a double click inserted its row (and counted it) first.
    db.add(Support(proposal_id=proposal.id, user_id=user.id))
    db.flush()
    assert service.support(db, process, proposal, user) is False
    db.flush()
    assert proposal.supports_count == 1
    assert db.scalar(select(func.count(Support.id))) == 1


def test_supports_closed_outside_their_phase(
    db: Session, client: TestClient, settings: Settings
) -> None:
    process = make_process(db, phase=PhaseKind.VOTE)
    proposal = add_proposal(db, process, "Un verger")
    signed_in(client, db, settings, "soutien@example.fr")
    csrf_token(client)
    assert post(client, f"{PAGE}/{proposal.id}/soutien").status_code == 409
    assert db.scalar(select(func.count(Support.id))) == 0


def test_supports_expire(db: Session) -> None:
    import datetime as dt

    from servicielle.core.db import utcnow

    process = make_process(db, support_expiry_days=30)
    proposal = add_proposal(db, process, "Un verger", supports_count=2)
    old, recent = make_user(db, "vieux@example.fr"), make_user(db, "recent@example.fr")
    db.add(
        Support(
            proposal_id=proposal.id, user_id=old.id, created_at=utcnow() - dt.timedelta(days=31)
        )
    )
    db.add(Support(proposal_id=proposal.id, user_id=recent.id))
    db.flush()
    assert service.expire_supports(db, process) == 1
    db.refresh(proposal)
    assert proposal.supports_count == 1


def test_comments_and_replies(db: Session, client: TestClient, settings: Settings) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Un verger")
    signed_in(client, db, settings, "parle@example.fr")
    csrf_token(client)
    first = post(client, f"{PAGE}/{proposal.id}/commentaires", body="Bonne idée !")
    assert first.status_code == 303
    top = db.scalars(select(Comment)).one()
    reply = post(
        client, f"{PAGE}/{proposal.id}/commentaires", body="Je réponds", parent=str(top.id)
    )
    assert reply.status_code == 303
    answer = db.scalars(select(Comment).where(Comment.parent_id == top.id)).one()
    deeper = post(
        client, f"{PAGE}/{proposal.id}/commentaires", body="Et moi", parent=str(answer.id)
    )
    assert deeper.status_code == 303
    db.refresh(proposal)
    assert proposal.comments_count == 3
    page = client.get(f"{PAGE}/{proposal.id}", headers=HTML).text
    replies = page.split('class="proposal-replies"', 1)[1]
    assert "Je réponds" in replies
    assert "Et moi" in replies
    assert page.index("Bonne idée") < page.index("Je réponds")
    kinds = db.scalars(select(Activity.kind).where(Activity.proposal_id == proposal.id)).all()
    assert kinds.count("comment") == 3
    assert (
        post(client, f"{PAGE}/{proposal.id}/commentaires", body="x", parent="999999").status_code
        == 404
    )
    assert (
        post(client, f"{PAGE}/{proposal.id}/commentaires", body="x", parent="abc").status_code
        == 404
    )
    empty = post(client, f"{PAGE}/{proposal.id}/commentaires", body="   ")
    assert empty.status_code == 422
    assert 'id="comment-body-error"' in empty.text


def test_official_comments_are_for_agents_only(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Un verger")
    sign_in_client(client, db, settings, roles["inhabitant"])
    csrf_token(client)
    post(client, f"{PAGE}/{proposal.id}/commentaires", body="Je suis le maire", official="1")
    sign_in_client(client, db, settings, roles["agent"])
    post(client, f"{PAGE}/{proposal.id}/commentaires", body="Réponse de la ville", official="1")
    rows = {c.body: c.official for c in db.scalars(select(Comment))}
    assert rows == {"Je suis le maire": False, "Réponse de la ville": True}
    page = client.get(f"{PAGE}/{proposal.id}", headers=HTML).text
    assert page.count("proposal-comment-official") == 1


def test_comments_per_hour(db: Session, client: TestClient, settings: Settings) -> None:
    process = make_process(db, comments_per_hour=2)
    proposal = add_proposal(db, process, "Un verger")
    signed_in(client, db, settings, "bavard@example.fr")
    csrf_token(client)
    for number in range(2):
        assert (
            post(client, f"{PAGE}/{proposal.id}/commentaires", body=f"n{number}").status_code == 303
        )
    third = post(client, f"{PAGE}/{proposal.id}/commentaires", body="encore")
    assert third.status_code == 429
    assert "2" in third.text
    assert db.scalar(select(func.count(Comment.id))) == 2


def test_follow_and_unfollow(db: Session, client: TestClient, settings: Settings) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Un verger")
    user = signed_in(client, db, settings, "suit@example.fr")
    csrf_token(client)
    assert post(client, f"{PAGE}/{proposal.id}/suivi").status_code == 303
    assert post(client, f"{PAGE}/{proposal.id}/suivi").status_code == 303
    follows = select(func.count(Follow.id)).where(Follow.user_id == user.id)
    assert db.scalar(follows) == 1
    assert "arreter" in client.get(f"{PAGE}/{proposal.id}", headers=HTML).text
    post(client, f"{PAGE}/{proposal.id}/suivi", action="arreter")
    assert db.scalar(follows) == 0


def test_flags_hide_after_the_threshold(
    db: Session, client: TestClient, settings: Settings
) -> None:
    process = make_process(db, flags_to_hide=2)
    proposal = add_proposal(db, process, "Publicité")
    signed_in(client, db, settings, "un@example.fr")
    csrf_token(client)
    bad = post(client, f"{PAGE}/{proposal.id}/signalement", reason="boring")
    assert bad.status_code == 422
    assert 'id="flag-reason-error"' in bad.text
    assert post(client, f"{PAGE}/{proposal.id}/signalement", reason="spam").status_code == 303
    assert post(client, f"{PAGE}/{proposal.id}/signalement", reason="spam").status_code == 409
    db.refresh(proposal)
    assert (proposal.flags_count, proposal.hidden) == (1, False)
    signed_in(client, db, settings, "deux@example.fr")
    second = post(client, f"{PAGE}/{proposal.id}/signalement", reason="offensive", details="Pub")
    assert second.status_code == 303
    db.refresh(proposal)
    assert (proposal.flags_count, proposal.hidden) == (2, True)
    assert client.get(f"{PAGE}/{proposal.id}", headers=HTML).status_code == 404
    assert "Publicité" not in client.get(PAGE, headers=HTML).text


def test_flagged_comment_is_hidden_and_uncounted(
    db: Session, client: TestClient, settings: Settings
) -> None:
    process = make_process(db, flags_to_hide=1)
    proposal = add_proposal(db, process, "Un verger", comments_count=1)
    comment = Comment(proposal_id=proposal.id, body="Insulte")
    db.add(comment)
    db.flush()
    signed_in(client, db, settings, "un@example.fr")
    csrf_token(client)
    response = post(
        client, f"{PAGE}/{proposal.id}/signalement", reason="offensive", comment=str(comment.id)
    )
    assert response.status_code == 303
    db.refresh(comment)
    db.refresh(proposal)
    assert comment.hidden
    assert proposal.comments_count == 0
    assert "Insulte" not in client.get(f"{PAGE}/{proposal.id}", headers=HTML).text
    assert db.scalar(select(Flag.target).where(Flag.target_id == comment.id)) == "comment"
    missing = post(client, f"{PAGE}/{proposal.id}/signalement", reason="spam", comment="77777")
    assert missing.status_code == 404


def test_actions_need_an_account_and_a_token(db: Session, client: TestClient) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Un verger")
    token = csrf_token(client)
    anonymous = client.post(
        f"{PAGE}/{proposal.id}/soutien",
        data={"csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert anonymous.status_code == 303
    assert "/compte/connexion" in anonymous.headers["location"]
    forged = client.post(f"{PAGE}/{proposal.id}/soutien", data={"csrf_token": "x"}, headers=HTML)
    assert forged.status_code == 403
    assert db.get(Proposal, proposal.id).supports_count == 0  # type: ignore[union-attr]
