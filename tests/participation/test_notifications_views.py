"""The notification preferences page and the digest's unsubscribe link."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.accounts.security import sign
from servicielle.core.accounts.service import RESET_PURPOSE
from servicielle.participation.models import DigestSubscription, Follow, FollowTarget, Proposal
from servicielle.participation.notifications.digests import unsubscribe_token
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import make_process

HTML = {"Accept": "text/html"}
PAGE = "/participation/notifications"


def post_form(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    """Post a form the way the browser does, with the CSRF token of the preferences page."""
    token = csrf_token(client, PAGE)
    return client.post(
        url, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )


def frequency_of(db: Session, user: User) -> str | None:
    """The user's digest frequency as the database holds it now, None without one."""
    db.expire_all()
    return db.scalar(
        select(DigestSubscription.frequency).where(DigestSubscription.user_id == user.id)
    )


def test_visitors_are_offered_to_sign_in(client: TestClient) -> None:
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    assert 'href="/compte/connexion?next=%2Fparticipation%2Fnotifications"' in page.text
    assert 'name="frequency"' not in page.text
    # Posting without an account leads to the sign-in page too.
    token = csrf_token(client, PAGE)
    refused = client.post(
        PAGE,
        data={"csrf_token": token, "frequency": "daily"},
        headers=HTML,
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/compte/connexion")


def test_opt_in_change_and_opt_out_of_the_digest(
    client: TestClient, db: Session, settings: Settings
) -> None:
    anne = make_user(db, "anne@example.fr")
    sign_in_client(client, db, settings, anne)
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    assert re.search(r'value="none" id="frequency" checked', page.text)

    saved = post_form(client, PAGE, {"frequency": "weekly"})
    assert saved.status_code == 303
    assert frequency_of(db, anne) == "weekly"
    shown = client.get(saved.headers["location"], headers=HTML)
    assert re.search(r'value="weekly" id="frequency-weekly" checked', shown.text)
    assert 'role="status"' in shown.text

    assert post_form(client, PAGE, {"frequency": "daily"}).status_code == 303
    assert frequency_of(db, anne) == "daily"
    assert post_form(client, PAGE, {"frequency": "none"}).status_code == 303
    assert frequency_of(db, anne) is None

    wrong = post_form(client, PAGE, {"frequency": "hourly"})
    assert wrong.status_code == 422
    assert 'id="frequency-error"' in wrong.text
    assert 'aria-describedby="frequency-error"' in wrong.text
    assert frequency_of(db, anne) is None


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    anne = make_user(db, "anne@example.fr")
    process = make_process(db)
    db.add(Follow(user_id=anne.id, target=FollowTarget.PROCESS, target_id=process.id))
    db.flush()
    sign_in_client(client, db, settings, anne)
    follow_id = db.scalar(select(Follow.id).where(Follow.user_id == anne.id))
    csrf_token(client, PAGE)
    assert client.post(PAGE, data={"frequency": "daily"}, headers=HTML).status_code == 403
    unfollow = f"{PAGE}/suivis/{follow_id}/retirer"
    assert client.post(unfollow, data={}, headers=HTML).status_code == 403
    assert frequency_of(db, anne) is None
    assert db.scalar(select(Follow.id).where(Follow.id == follow_id)) is not None


def test_the_page_lists_what_one_follows_and_unfollows_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    anne = make_user(db, "anne@example.fr")
    bob = make_user(db, "bob@example.fr")
    process = make_process(db, slug="parc-des-lilas", title="Parc des Lilas")
    idea = Proposal(process_id=process.id, title="Un kiosque à musique", body="Texte.")
    db.add(idea)
    db.flush()
    mine = [
        Follow(user_id=anne.id, target=FollowTarget.PROCESS, target_id=process.id),
        Follow(user_id=anne.id, target=FollowTarget.PROPOSAL, target_id=idea.id),
    ]
    theirs = Follow(user_id=bob.id, target=FollowTarget.PROCESS, target_id=process.id)
    db.add_all([*mine, theirs])
    db.flush()
    kiosk_follow, their_follow = mine[1].id, theirs.id
    sign_in_client(client, db, settings, anne)

    page = html.unescape(client.get(PAGE, headers=HTML).text)
    assert '<a href="/participation/parc-des-lilas">Parc des Lilas</a>' in page
    assert (
        f'<a href="/participation/parc-des-lilas/propositions/{idea.id}">Un kiosque à musique</a>'
        in page
    )

    gone = post_form(client, f"{PAGE}/suivis/{kiosk_follow}/retirer", {})
    assert gone.status_code == 303
    db.expire_all()
    assert db.get(Follow, kiosk_follow) is None
    page = client.get(gone.headers["location"], headers=HTML).text
    assert "kiosque" not in page
    assert "Parc des Lilas" in page

    # Somebody else's follow, or an id no row can have: not found, nothing removed.
    assert post_form(client, f"{PAGE}/suivis/{their_follow}/retirer", {}).status_code == 404
    assert post_form(client, f"{PAGE}/suivis/99999999999/retirer", {}).status_code == 404
    assert post_form(client, f"{PAGE}/suivis/%C2%B2/retirer", {}).status_code == 404
    db.expire_all()
    assert db.get(Follow, their_follow) is not None


def test_the_emailed_link_stops_the_digest_on_a_button_press_without_signing_in(
    client: TestClient, db: Session, settings: Settings
) -> None:
    anne = make_user(db, "anne@example.fr")
    db.add(DigestSubscription(user_id=anne.id, frequency="daily"))
    db.flush()
    link = f"{PAGE}/arret/{unsubscribe_token(settings, anne.id)}"

    page = client.get(link, headers=HTML)
    assert page.status_code == 200
    assert f'<form method="post" action="{link}">' in page.text
    # Opening the link (mail scanners do) changes nothing; a post needs the page's token.
    assert frequency_of(db, anne) == "daily"
    assert client.post(link, data={}, headers=HTML).status_code == 403
    assert frequency_of(db, anne) == "daily"

    done = post_form(client, link, {})
    assert done.status_code == 200
    assert frequency_of(db, anne) is None
    assert post_form(client, link, {}).status_code == 200  # twice is harmless

    for bad in (link + "x", f"{PAGE}/arret/faux", f"{PAGE}/arret/{'a' * 900}"):
        assert client.get(bad, headers=HTML).status_code == 404
        assert post_form(client, bad, {}).status_code == 404


def test_links_signed_for_another_purpose_stop_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    anne = make_user(db, "anne@example.fr")
    db.add(DigestSubscription(user_id=anne.id, frequency="weekly"))
    db.flush()
    secret = settings.secret_key.get_secret_value()
    for purpose in (RESET_PURPOSE, "participation-digest", "accounts.confirm"):
        link = f"{PAGE}/arret/{sign(secret, purpose, {'u': anne.id})}"
        assert client.get(link, headers=HTML).status_code == 404, purpose
        assert post_form(client, link, {}).status_code == 404, purpose
    assert frequency_of(db, anne) == "weekly"


def test_followed_things_of_an_unpublished_process_show_no_title(
    client: TestClient, db: Session, settings: Settings
) -> None:
    anne = make_user(db, "anne@example.fr")
    process = make_process(db, slug="projet-secret", title="Projet secret")
    idea = Proposal(process_id=process.id, title="Idée confidentielle", body="Texte.")
    db.add(idea)
    db.flush()
    follows = [
        Follow(user_id=anne.id, target=FollowTarget.PROCESS, target_id=process.id),
        Follow(user_id=anne.id, target=FollowTarget.PROPOSAL, target_id=idea.id),
    ]
    db.add_all(follows)
    process.published = False  # withdrawn after Anne followed it
    db.flush()
    sign_in_client(client, db, settings, anne)
    page = client.get(PAGE, headers=HTML).text
    for secret in ("Projet secret", "Idée confidentielle", "/participation/projet-secret"):
        assert secret not in html.unescape(page), secret
    # Anne can still stop following them.
    for follow in follows:
        assert f"{PAGE}/suivis/{follow.id}/retirer" in page
