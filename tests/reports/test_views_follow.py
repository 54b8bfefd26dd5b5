"""Pages behind the emailed links (confirm, subscribe, unsubscribe, "is it fixed?") and alerts."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.permissions import ANONYMOUS
from servicielle.reports import lifecycle, notifications
from servicielle.reports.models import Report, ReportStatus, ReportSubscription
from servicielle.reports.notifications import token
from tests.conftest import make_user, sign_in_client
from tests.reports.conftest import Territory, report, staff
from tests.reports.test_views import HTML, post_form


def link_in(db: Session, recipient: str, path: str) -> str:
    """The path of the link with ``path`` in the last email to ``recipient``."""
    mail = (
        db.query(OutboxMessage)
        .filter_by(recipient=recipient)
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert mail is not None, f"no email to {recipient}"
    found = re.search(rf"http://testserver({re.escape(path)}\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def assert_expired(page_text: str) -> None:
    """The French page of a bad or expired link."""
    assert "Ce lien a expiré" in page_text


def test_confirmation_link_asks_for_a_click_then_publishes_the_report(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    created = report(db, settings, ANONYMOUS, reporter_email="a@example.fr")
    link = link_in(db, "a@example.fr", "/signalements/confirmation/")
    page = client.get(link, headers=HTML)
    assert page.status_code == 200
    assert f'<form method="post" action="{link}">' in page.text
    # Opening the link (a mail scanner does) changes nothing.
    db.refresh(created)
    assert created.status == ReportStatus.UNCONFIRMED
    assert client.post(link, data={}, headers=HTML).status_code == 403  # CSRF
    db.refresh(created)
    assert created.status == ReportStatus.UNCONFIRMED
    done = post_form(client, link, {}, link)
    assert done.status_code == 200
    assert "Votre signalement est publié" in done.text
    db.refresh(created)
    assert created.status == ReportStatus.OPEN
    assert post_form(client, link, {}, link).status_code == 200  # twice is harmless
    again = client.get(link, headers=HTML)
    assert again.status_code == 200
    assert "Votre signalement est publié" in again.text  # no button any more
    assert 'method="post"' not in again.text.split("<main", 1)[1].split("</main>", 1)[0]
    bad = client.get("/signalements/confirmation/faux", headers=HTML)
    assert bad.status_code == 404
    assert_expired(bad.text)
    assert post_form(client, "/signalements/confirmation/faux", {}, link).status_code == 404
    wrong_purpose = token(settings, notifications.UNSUBSCRIBE, {"r": created.id})
    assert client.get(f"/signalements/confirmation/{wrong_purpose}").status_code == 404


def test_subscription_link_asks_for_a_click_then_confirms_a_follow(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = report(db, settings, agent)
    post_form(
        client,
        f"/signalements/{created.id}/suivre",
        {"email": "b@example.fr"},
        f"/signalements/{created.id}",
    )
    link = link_in(db, "b@example.fr", "/signalements/abonnements/")
    page = client.get(link, headers=HTML)
    assert page.status_code == 200
    assert f'<form method="post" action="{link}">' in page.text
    subscription = db.query(ReportSubscription).filter_by(email="b@example.fr").one()
    assert subscription.confirmed_at is None  # a GET did nothing
    assert client.post(link, data={}, headers=HTML).status_code == 403  # CSRF
    done = post_form(client, link, {}, link)
    assert done.status_code == 200
    assert "Abonnement confirmé" in done.text
    assert f'href="/signalements/{created.id}"' in done.text
    db.refresh(subscription)
    assert subscription.confirmed_at is not None
    assert "Abonnement confirmé" in client.get(link, headers=HTML).text
    bad = client.get("/signalements/abonnements/faux", headers=HTML)
    assert bad.status_code == 404
    assert_expired(bad.text)
    assert post_form(client, "/signalements/abonnements/faux", {}, link).status_code == 404


def test_unsubscribing_asks_for_a_click(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = report(db, settings, agent)
    subscription = db.query(ReportSubscription).filter_by(report_id=created.id).one()
    stop = token(settings, notifications.UNSUBSCRIBE, {"s": subscription.id})
    url = f"/signalements/abonnements/arret/{stop}"
    form = client.get(url, headers=HTML)
    assert form.status_code == 200
    assert f'action="{url}"' in form.text
    assert (
        db.query(ReportSubscription).filter_by(id=subscription.id).count() == 1
    )  # a GET did nothing
    assert client.post(url, data={}, headers=HTML).status_code == 403  # CSRF
    done = post_form(client, url, {}, url)
    assert done.status_code == 200
    assert "Vous ne recevrez plus ces courriels." in done.text
    assert db.query(ReportSubscription).filter_by(id=subscription.id).count() == 0
    db.refresh(created)
    assert created.follower_count == 0
    assert post_form(client, url, {}, url).status_code == 200  # already gone: fine
    bad = client.get("/signalements/abonnements/arret/faux", headers=HTML)
    assert bad.status_code == 404
    assert_expired(bad.text)


def _fixed(db: Session, settings: Settings, territory: Territory) -> tuple[Report, str]:
    agent = staff(db, "agent@example.fr", territory.voirie)
    created = report(db, settings, agent)
    lifecycle.change_status(db, settings, created, agent, status="fixed", note="Rebouché hier.")
    ask = token(settings, notifications.QUESTIONNAIRE, {"r": created.id})
    return created, f"/signalements/{created.id}/resolu/{ask}"


def test_questionnaire_no_reopens_the_report(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    created, url = _fixed(db, settings, territory)
    form = client.get(url, headers=HTML)
    assert form.status_code == 200
    assert "Le problème est-il vraiment réglé ?" in form.text
    assert 'name="fixed" value="no"' in form.text
    nothing = post_form(client, url, {}, url)
    assert nothing.status_code == 422
    assert 'href="#fixed"' in nothing.text
    no_note = post_form(client, url, {"fixed": "no"}, url)
    assert no_note.status_code == 422
    assert 'href="#note"' in no_note.text
    reopened = post_form(client, url, {"fixed": "no", "note": "Le trou est revenu."}, url)
    assert reopened.status_code == 200
    assert "Le signalement est rouvert" in reopened.text
    db.refresh(created)
    assert created.status == ReportStatus.REOPENED
    page = client.get(f"/signalements/{created.id}", headers=HTML).text
    assert "Le trou est revenu." in page
    again = client.get(url, headers=HTML)
    assert again.status_code == 409
    assert "n'est plus marqué comme réglé" in html.unescape(again.text)


def test_questionnaire_yes_keeps_it_fixed(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    created, url = _fixed(db, settings, territory)
    done = post_form(client, url, {"fixed": "yes"}, url)
    assert done.status_code == 200
    db.refresh(created)
    assert created.status == ReportStatus.FIXED
    page = client.get(f"/signalements/{created.id}", headers=HTML).text
    assert "La personne qui a signalé le problème a confirmé la réparation" in page


def test_questionnaire_link_is_checked(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    created, url = _fixed(db, settings, territory)
    other = report(db, settings, staff(db, "b@example.fr", territory.voirie))
    for bad in (
        f"/signalements/{other.id}/resolu/{url.rsplit('/', 1)[1]}",  # another report's link
        f"/signalements/{created.id}/resolu/faux",
        f"/signalements/{created.id}/resolu/"
        + token(settings, notifications.CONFIRM_REPORT, {"r": created.id}),
    ):
        page = client.get(bad, headers=HTML)
        assert page.status_code == 404, bad
        assert_expired(page.text)
        assert post_form(client, bad, {"fixed": "yes"}, url).status_code == 404
    db.refresh(created)
    assert created.status == ReportStatus.FIXED


def test_alerts_for_a_commune(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    page = client.get("/signalements/alertes", headers=HTML)
    assert page.status_code == 200
    assert '<option value="commune:17299">Rochefort</option>' in page.text
    assert 'value="zone:littoral-et-iles"' in page.text
    url = "/signalements/alertes"
    no_area = post_form(client, url, {"email": "c@example.fr"}, url)
    assert no_area.status_code == 422
    assert 'href="#area"' in no_area.text
    assert 'value="c@example.fr"' in no_area.text
    bad_email = post_form(client, url, {"email": "c@", "area": "commune:17299"}, url)
    assert bad_email.status_code == 422
    assert 'href="#email"' in bad_email.text
    assert '<option value="commune:17299" selected>' in bad_email.text
    unknown = post_form(client, url, {"email": "c@example.fr", "area": "commune:99999"}, url)
    assert unknown.status_code == 422
    done = post_form(client, url, {"email": "c@example.fr", "area": "commune:17299"}, url)
    assert done.status_code == 200
    assert "Consultez votre messagerie" in done.text
    alert = db.query(ReportSubscription).filter_by(email="c@example.fr").one()
    assert (alert.commune_code, alert.report_id, alert.confirmed_at) == ("17299", None, None)
    confirm = link_in(db, "c@example.fr", "/signalements/abonnements/")
    asked = client.get(confirm, headers=HTML)
    assert asked.status_code == 200
    assert f'<form method="post" action="{confirm}">' in asked.text
    db.refresh(alert)
    assert alert.confirmed_at is None
    assert post_form(client, confirm, {}, confirm).status_code == 200
    db.refresh(alert)
    assert alert.confirmed_at is not None


def test_alerts_of_a_signed_in_person_start_at_once(
    client: TestClient, db: Session, settings: Settings, territory: Territory
) -> None:
    user = make_user(db, "d@example.fr")
    sign_in_client(client, db, settings, user)
    url = "/signalements/alertes"
    assert 'value="d@example.fr"' in client.get(url, headers=HTML).text
    done = post_form(client, url, {"email": "d@example.fr", "area": "zone:littoral-et-iles"}, url)
    assert done.status_code == 200
    assert "Les alertes sont activées" in done.text
    alert = db.query(ReportSubscription).filter_by(email="d@example.fr").one()
    assert alert.geozone_slug == "littoral-et-iles"
    assert alert.confirmed_at is not None
