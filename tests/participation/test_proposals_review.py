"""Edge cases of proposals found in review: capped forms, merges, flags after moderation,
counters kept from the rows, the list's total, bad input never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput
from servicielle.participation.models import FlagTarget, Proposal, Support
from servicielle.participation.proposals import answers, moderation, service
from servicielle.participation.proposals.listing import ProposalFilters, list_page
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_process
from tests.participation.test_proposals import HTML, add_proposal, signed_in

PAGE = "/participation/budget-2026/propositions"


def test_an_enormous_form_is_refused_before_anything_is_done(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "Un verger")
    signed_in(client, db, settings, "gros@example.fr")
    token = csrf_token(client)
    huge = {"csrf_token": token, "details": "x" * 300_000}
    response = client.post(
        f"{PAGE}/{proposal.id}/soutien", data=huge, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 413
    assert db.scalar(select(func.count(Support.id))) == 0
    many = {"csrf_token": token, **{f"f{n}": "1" for n in range(50)}}
    too_many = client.post(
        f"{PAGE}/{proposal.id}/suivi", data=many, headers=HTML, follow_redirects=False
    )
    assert too_many.status_code == 400
    sign_in_client(client, db, settings, roles["agent"])
    token = csrf_token(client)
    admin = client.post(
        f"/admin/participation/moderation/proposal/{proposal.id}/masquer",
        data={"csrf_token": token, "x": "y" * 100_000},
        headers=HTML,
        follow_redirects=False,
    )
    assert admin.status_code == 413
    forged = client.post(
        f"/admin/participation/moderation/proposal/{proposal.id}/masquer",
        data={"csrf_token": "x"},
        headers=HTML,
        follow_redirects=False,
    )
    assert forged.status_code == 403
    db.refresh(proposal)
    assert not proposal.hidden


def test_merging_into_a_hidden_proposal_is_refused(db: Session) -> None:
    process = make_process(db)
    agent = make_user(db, "agent-fusion@example.fr")
    source = add_proposal(db, process, "Piste vélo")
    hidden = add_proposal(db, process, "Piste cyclable", hidden=True)
    with pytest.raises(Conflict):
        answers.merge(db, source, hidden, agent)
    assert source.state == "published"
    other = make_process(db, slug="autre")
    elsewhere = add_proposal(db, other, "Piste cyclable")
    with pytest.raises(InvalidInput):
        answers.merge(db, source, elsewhere, agent)


def test_merge_keeps_the_counters_equal_to_the_supports(db: Session) -> None:
    process = make_process(db)
    agent = make_user(db, "agent-compte@example.fr")
    # Counters out of step with the rows (a concurrent request's row is not in them yet).
    kept = add_proposal(db, process, "Piste cyclable", supports_count=0)
    duplicate = add_proposal(db, process, "Piste vélo", supports_count=5)
    people = [make_user(db, f"p{n}@example.fr") for n in range(3)]
    db.add_all(
        [
            Support(proposal_id=kept.id, user_id=people[0].id),
            Support(proposal_id=kept.id, user_id=people[1].id),
            Support(proposal_id=duplicate.id, user_id=people[1].id),
            Support(proposal_id=duplicate.id, user_id=people[2].id),
        ]
    )
    db.flush()
    answers.merge(db, duplicate, kept, agent)
    db.refresh(kept)
    db.refresh(duplicate)
    assert (kept.supports_count, duplicate.supports_count) == (3, 0)
    assert duplicate.merged_into_id == kept.id


def test_restored_content_is_not_hidden_again_by_a_single_flag(db: Session) -> None:
    process = make_process(db, flags_to_hide=2)
    proposal = add_proposal(db, process, "Un verger")
    moderator = make_user(db, "moderatrice@example.fr")
    flaggers = [make_user(db, f"s{n}@example.fr") for n in range(4)]
    for user in flaggers[:2]:
        service.flag(db, process, FlagTarget.PROPOSAL, proposal.id, user, reason="spam")
    assert proposal.hidden
    moderation.restore(db, FlagTarget.PROPOSAL, proposal.id, moderator)
    assert not proposal.hidden
    service.flag(db, process, FlagTarget.PROPOSAL, proposal.id, flaggers[2], reason="spam")
    assert not proposal.hidden  # one open flag, the threshold is two
    service.flag(db, process, FlagTarget.PROPOSAL, proposal.id, flaggers[3], reason="spam")
    assert proposal.hidden
    assert proposal.flags_count == 4


def test_expiry_counts_what_is_left(db: Session) -> None:
    process = make_process(db, support_expiry_days=30)
    # A counter already lower than the rows (a withdrawal raced the selection): never < 0.
    proposal = add_proposal(db, process, "Un verger", supports_count=0)
    old, recent = make_user(db, "vieille@example.fr"), make_user(db, "neuve@example.fr")
    db.add(Support(proposal_id=proposal.id, user_id=old.id, created_at=utcnow() - 40 * DAY))
    db.add(Support(proposal_id=proposal.id, user_id=recent.id))
    db.flush()
    assert service.expire_supports(db, process) == 1
    db.refresh(proposal)
    assert proposal.supports_count == 1


DAY = dt.timedelta(days=1)


def test_list_total_with_words_and_past_the_last_page(db: Session) -> None:
    process = make_process(db)
    for n in range(5):
        add_proposal(db, process, f"Vélo numéro {n}")
    add_proposal(db, process, "Un verger")
    add_proposal(db, process, "Vélo caché", hidden=True)
    rows, total = list_page(db, process.id, ProposalFilters(text="velo"), page=1, page_size=2)
    assert (len(rows), total) == (2, 5)
    rows, total = list_page(db, process.id, ProposalFilters(text="velo"), page=9, page_size=2)
    assert (rows, total) == ([], 5)
    rows, total = list_page(db, process.id, ProposalFilters(text="zzz"), page=1, page_size=2)
    assert (rows, total) == ([], 0)
    rows, total = list_page(db, process.id, page=4, page_size=2)
    assert (rows, total) == ([], 6)


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=99999999999999999999",
        "?page=%D9%A1",
        "?categorie=%D9%A1&quartier=-1&etat=%00&tri=%00&graine=99999999999999999999",
        "?q=%00%00velo",
        "?q=" + "a" * 5000,
    ],
)
def test_bad_list_queries_are_never_a_500(db: Session, client: TestClient, query: str) -> None:
    make_process(db)
    response = client.get(PAGE + query, headers=HTML)
    assert response.status_code in (200, 400, 422)
    assert client.get(f"{PAGE}/carte.json{query}").status_code in (200, 400, 422)


def test_similar_titles_never_show_hidden_or_unlisted_ones(db: Session, client: TestClient) -> None:
    process = make_process(db)
    add_proposal(db, process, "Piste cyclable rue Jaurès")
    add_proposal(db, process, "Piste cyclable cachée", hidden=True)
    add_proposal(db, process, "Piste cyclable fusionnée", state="merged")
    found = client.get(f"{PAGE}/similaires", params={"titre": "PISTE CYCLABLE"}).json()
    assert [item["title"] for item in found["items"]] == ["Piste cyclable rue Jaurès"]
    points = client.get(f"{PAGE}/carte.json").json()
    assert points["features"] == []
    assert db.scalar(select(func.count(Proposal.id))) == 3
