"""One report in the back office: private details, status, notes, assignment, re-routing,
merging and moderation, each through its form."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.mail.models import OutboxMessage
from servicielle.reports import service
from servicielle.reports.models import ReplyTemplate, Report, ReportStatus, ReportUpdate
from servicielle.reports.repository import ReportRepository
from tests.reports import test_backoffice as queue_tests
from tests.reports.conftest import ROCHEFORT, Territory, photo_bytes, report, staff
from tests.reports.test_backoffice import HTML, Desk, signed_in, user_of

desk = queue_tests.desk  # the fixture, shared with the queue's tests
NEAR_ROCHEFORT = (ROCHEFORT[0] + 0.001, ROCHEFORT[1])  # about 110 m north


def post(client: TestClient, path: str, token: str, **form: Any) -> httpx.Response:
    """Post a back-office form without following the redirect."""
    answer: httpx.Response = client.post(
        path, data={"csrf_token": token, **form}, headers=HTML, follow_redirects=False
    )
    return answer


def fresh(db: Session, report_id: int) -> Report:
    """The report as stored now."""
    db.expire_all()
    found = db.get(Report, report_id)
    assert found is not None
    return found


def test_the_page_shows_private_details_to_the_handling_organisation_only(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    page = client.get(f"/admin/signalements/{desk.pothole.id}", headers=HTML)
    assert page.status_code == 200
    for private in ("Marie Curie", "marie@example.fr", "06 39 98 12 34", "Pierre Loti"):
        assert private in page.text
    # The answer to the category's question, by its name, not its key.
    assert "Plus de 20 cm" in page.text
    client.cookies.clear()
    token = signed_in(client, db, settings, user_of(db, desk.proprete_agent))
    # Another organisation's report is as missing as an unknown number: 404, not 403.
    assert client.get(f"/admin/signalements/{desk.pothole.id}", headers=HTML).status_code == 404
    # Acting on another organisation's report: a 404 page, nothing stored.
    refused = post(client, f"/admin/signalements/{desk.pothole.id}/statut", token, status="planned")
    assert refused.status_code == 404
    assert "<h1" in refused.text
    assert fresh(db, desk.pothole.id).status == ReportStatus.OPEN


def test_status_change_notifies_and_closing_needs_a_reason_and_a_note(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    path = f"/admin/signalements/{desk.pothole.id}/statut"
    mails = db.query(OutboxMessage).filter_by(recipient="marie@example.fr")
    before = mails.count()
    done = post(
        client,
        path,
        token,
        status="planned",
        note="Intervention prévue mardi.",
        internal_note="Équipe B",
    )
    assert done.status_code == 303
    assert fresh(db, desk.pothole.id).status == ReportStatus.PLANNED
    assert mails.count() == before + 1
    latest = mails.order_by(OutboxMessage.id.desc()).first()
    assert latest is not None
    assert "Intervention prévue mardi." in latest.body
    page = client.get(done.headers["location"], headers=HTML)
    assert "Équipe B" in page.text  # the internal note, for staff
    assert 'role="status"' in page.text

    no_reason = post(client, path, token, status="closed", note="Ce n'est pas à nous.")
    assert no_reason.status_code == 422
    assert 'id="status-close_reason-error"' in no_reason.text
    assert "Ce n&#39;est pas à nous." in no_reason.text  # what was typed is kept
    no_note = post(client, path, token, status="closed", close_reason="no_action")
    assert no_note.status_code == 422
    assert 'id="status-note-error"' in no_note.text
    assert fresh(db, desk.pothole.id).status == ReportStatus.PLANNED
    closed = post(
        client, path, token, status="closed", close_reason="no_action", note="Terrain privé."
    )
    assert closed.status_code == 303
    stored = fresh(db, desk.pothole.id)
    assert (stored.status, stored.close_reason) == (ReportStatus.CLOSED, "no_action")


def test_reply_templates_fill_the_note_without_changing_anything(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    mine = ReplyTemplate(
        organisation_id=territory.voirie.id,
        title="Réparé",
        body="Le trou a été rebouché. Merci !",
        status="fixed",
    )
    theirs = ReplyTemplate(
        organisation_id=territory.proprete.id, title="Nettoyé", body="Secret de propreté"
    )
    shared = ReplyTemplate(title="Pris en compte", body="Merci, c'est noté.")
    db.add_all([mine, theirs, shared])
    db.flush()
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    page = client.get(f"/admin/signalements/{desk.pothole.id}", headers=HTML)
    assert "Réparé" in page.text
    assert "Pris en compte" in page.text
    assert "Nettoyé" not in page.text
    filled = post(
        client,
        f"/admin/signalements/{desk.pothole.id}/statut",
        token,
        action="template",
        template=str(mine.id),
        status="acknowledged",
    )
    assert filled.status_code == 200
    assert re.search(r'<textarea id="status-note"[^>]*>Le trou a été rebouché', filled.text)
    assert re.search(r'<option value="fixed" selected', filled.text)
    assert fresh(db, desk.pothole.id).status == ReportStatus.OPEN
    # Another organisation's template cannot be used.
    other = post(
        client,
        f"/admin/signalements/{desk.pothole.id}/statut",
        token,
        action="template",
        template=str(theirs.id),
    )
    assert other.status_code == 422
    assert "Secret de propreté" not in other.text


def test_notes_and_assignment(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    colleague = staff(db, "paul@voirie.example.fr", territory.voirie)
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    base = f"/admin/signalements/{desk.pothole.id}"
    mails = db.query(OutboxMessage).filter_by(recipient="marie@example.fr")
    before = mails.count()
    assert post(client, f"{base}/note", token, internal_note="Rappeler").status_code == 303
    assert mails.count() == before  # internal: nobody outside is told
    assert post(client, f"{base}/note", token).status_code == 422
    assert post(client, f"{base}/note", token, note="Merci !").status_code == 303
    assert mails.count() == before + 1
    public = ReportRepository(db).timeline(desk.pothole.id, public=True)
    assert "Rappeler" not in [u.note for u in public]

    assigned = post(client, f"{base}/attribution", token, assignee=str(colleague.user.id))
    assert assigned.status_code == 303
    assert fresh(db, desk.pothole.id).assignee_id == colleague.user.id
    outsider = post(client, f"{base}/attribution", token, assignee=str(desk.proprete_agent.user.id))
    assert outsider.status_code == 422
    assert 'id="assign-assignee-error"' in outsider.text
    assert fresh(db, desk.pothole.id).assignee_id == colleague.user.id
    assert post(client, f"{base}/attribution", token, assignee="none").status_code == 303
    assert fresh(db, desk.pothole.id).assignee_id is None


def test_reroute_hands_the_report_to_the_other_organisation(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    base = f"/admin/signalements/{desk.pothole.id}"
    assert post(client, f"{base}/reorientation", token, organisation="").status_code == 422
    same = post(client, f"{base}/reorientation", token, organisation=str(territory.voirie.id))
    assert same.status_code == 409
    moved = post(client, f"{base}/reorientation", token, organisation=str(territory.proprete.id))
    assert moved.status_code == 303
    assert fresh(db, desk.pothole.id).organisation_id == territory.proprete.id
    assert client.get(base, headers=HTML).status_code == 404
    client.cookies.clear()
    signed_in(client, db, settings, user_of(db, desk.proprete_agent))
    page = client.get(base, headers=HTML)
    assert page.status_code == 200
    assert "Marie Curie" in page.text


def test_merge_links_both_reports(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    duplicate = report(
        db, settings, desk.voirie_agent, at=NEAR_ROCHEFORT, description="Encore ce trou"
    )
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    base = f"/admin/signalements/{duplicate.id}"
    page = client.get(base, headers=HTML)
    # The original is proposed among the nearby reports.
    assert f'name="original" value="{desk.pothole.id}"' in page.text
    assert f'name="original" value="{desk.pothole_fouras.id}"' not in page.text  # 12 km away
    itself = post(client, f"{base}/fusion", token, original_number=str(duplicate.id))
    assert itself.status_code == 422
    assert 'id="merge-original-error"' in itself.text
    unknown = post(client, f"{base}/fusion", token, original_number="999999")
    assert unknown.status_code == 422
    merged = post(client, f"{base}/fusion", token, original=str(desk.pothole.id))
    assert merged.status_code == 303
    stored = fresh(db, duplicate.id)
    assert stored.duplicate_of_id == desk.pothole.id
    assert (stored.status, stored.close_reason) == (ReportStatus.CLOSED, "duplicate")
    kinds = {
        (u.report_id, u.related_report_id)
        for u in db.query(ReportUpdate).filter(ReportUpdate.kind == "merge")
    }
    assert kinds == {(duplicate.id, desk.pothole.id), (desk.pothole.id, duplicate.id)}
    original_page = client.get(f"/admin/signalements/{desk.pothole.id}", headers=HTML)
    assert f'href="/admin/signalements/{duplicate.id}"' in original_page.text


def test_moderation_hides_publicly_and_keeps_the_original_for_staff(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    pictured = report(
        db,
        settings,
        desk.voirie_agent,
        at=NEAR_ROCHEFORT,
        description="M. Dupont, 12 rue Haute, a encore garé sa voiture sur le trou",
        photos=[photo_bytes(), photo_bytes(size=(300, 200))],
    )
    service.flag_report(db, pictured, reason="Nom d'une personne", client="9.9.9.9")
    photos = ReportRepository(db).photos(pictured.id, public=False)
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    base = f"/admin/signalements/{pictured.id}"
    redacted = "Une voiture est garée sur le trou"
    form = {"public_description": redacted, "hidden_photos": [str(photos[0].id)]}
    no_reason = post(client, f"{base}/moderation", token, **form)
    assert no_reason.status_code == 422
    assert 'id="moderation-reason-error"' in no_reason.text
    assert fresh(db, pictured.id).public_description is None
    done = post(client, f"{base}/moderation", token, reason="Nom d'un tiers", **form)
    assert done.status_code == 303
    stored = fresh(db, pictured.id)
    assert stored.public_text == redacted
    assert stored.description.startswith("M. Dupont")
    assert stored.hidden is False
    repository = ReportRepository(db)
    assert [p.id for p in repository.photos(pictured.id)] == [photos[1].id]
    assert repository.open_flags(pictured.id) == []
    page = client.get(base, headers=HTML)
    assert "M. Dupont, 12 rue Haute" in page.text
    assert redacted in page.text
    assert "Nom d&#39;un tiers" in page.text  # the reason, in the internal history
    hidden_photo = client.get(f"/admin/signalements/photos/{photos[0].id}.jpg")
    assert hidden_photo.status_code == 200
    assert hidden_photo.headers["content-type"] == "image/jpeg"
    assert hidden_photo.content[:2] == b"\xff\xd8"
    small = client.get(f"/admin/signalements/photos/{photos[0].id}/vignette.jpg")
    assert small.status_code == 200
    # Hide the whole report; another organisation never gets its photos.
    hide = post(client, f"{base}/moderation", token, reason="Doublon injurieux", hide_report="1")
    assert hide.status_code == 303
    assert fresh(db, pictured.id).hidden is True
    assert repository.get_public(pictured.id) is None
    client.cookies.clear()
    signed_in(client, db, settings, user_of(db, desk.proprete_agent))
    assert client.get(f"/admin/signalements/photos/{photos[0].id}.jpg").status_code == 404
    assert client.get("/admin/signalements/photos/999999.jpg").status_code == 404


def test_moderation_edits_the_address_and_drops_a_linked_photo(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    linked = report(
        db,
        settings,
        desk.voirie_agent,
        address_string="Devant chez Mme Martin, 06 12 34 56 78",
        media_url="https://photos.example.net/martin.jpg",
    )
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    base = f"/admin/signalements/{linked.id}"
    page = client.get(base, headers=HTML)
    assert 'id="moderation-address_string"' in page.text
    assert 'id="moderation-clear_media_url"' in page.text
    # Resolving the flags only changes neither.
    post(client, f"{base}/moderation", token, reason="Rien", action="resolve", address_string="")
    assert fresh(db, linked.id).address_string.startswith("Devant chez Mme Martin")
    done = post(
        client,
        f"{base}/moderation",
        token,
        reason="Nom et téléphone d'un tiers",
        address_string="Rue Pierre Loti",
        clear_media_url="1",
    )
    assert done.status_code == 303
    stored = fresh(db, linked.id)
    assert (stored.address_string, stored.media_url) == ("Rue Pierre Loti", "")
    public = client.get(f"/signalements/{linked.id}", headers=HTML).text
    assert "Rue Pierre Loti" in public
    assert "Martin" not in public
    assert "photos.example.net" not in public
    too_long = post(client, f"{base}/moderation", token, reason="x", address_string="a" * 301)
    assert too_long.status_code == 422
    assert 'id="moderation-address_string-error"' in too_long.text
    assert fresh(db, linked.id).address_string == "Rue Pierre Loti"
    page = client.get(base, headers=HTML)
    assert 'id="moderation-clear_media_url"' not in page.text  # nothing left to drop
