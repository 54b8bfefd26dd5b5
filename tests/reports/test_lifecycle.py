"""A report's life: re-routing, merging, the reporter's "is it fixed?", moderation, following."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicielle.core.i18n import set_locale
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.pagination import PageParams
from servicielle.core.permissions import ANONYMOUS
from servicielle.reports import lifecycle, service
from servicielle.reports.models import ReportStatus, ReportSubscription
from servicielle.reports.notifications import CONFIRM_FOLLOW, UNSUBSCRIBE, token
from servicielle.reports.repository import ReportRepository
from servicielle.reports.schemas import ReportFilters
from tests.reports.conftest import (
    ROCHEFORT,
    Territory,
    confirmed_report,
    photo_bytes,
    report,
    staff,
)


def _mails(db: Session, to: str) -> list[OutboxMessage]:
    return db.query(OutboxMessage).filter_by(recipient=to).order_by(OutboxMessage.id).all()


def test_reroute_moves_the_report_and_tells_its_followers(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = confirmed_report(db, settings, "suivi@example.fr")
    lifecycle.reroute(db, settings, created, agent, organisation_id=territory.eclairage.id)
    assert created.organisation_id == territory.eclairage.id
    timeline = ReportRepository(db).timeline(created.id)
    assert timeline[-1].kind == "reroute"
    assert timeline[-1].from_organisation_id == territory.voirie.id
    assert territory.eclairage.name in timeline[-1].note
    assert "a changé" in _mails(db, "suivi@example.fr")[-1].body
    # The voirie agent no longer handles it.
    with pytest.raises(Forbidden):
        lifecycle.change_status(db, settings, created, agent, status="acknowledged")


def test_merge_links_both_and_moves_followers(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    original = confirmed_report(db, settings, "premier@example.fr")
    duplicate = confirmed_report(
        db, settings, "deux@example.fr", at=(ROCHEFORT[0] + 0.0005, ROCHEFORT[1])
    )
    nearby = ReportRepository(db).nearby_open(territory.pothole.id, *ROCHEFORT)
    assert [r.id for r, _d in nearby][:2] == [original.id, duplicate.id]
    with pytest.raises(InvalidInput):
        lifecycle.merge(db, settings, duplicate, duplicate, agent)
    lifecycle.merge(db, settings, duplicate, original, agent)
    assert duplicate.status == ReportStatus.CLOSED
    assert duplicate.close_reason == "duplicate"
    assert duplicate.duplicate_of_id == original.id
    assert original.follower_count == 2
    assert [r.id for r in ReportRepository(db).duplicates_of(original.id)] == [duplicate.id]
    assert f"{original.id}" in ReportRepository(db).timeline(duplicate.id)[-1].note


def test_reporter_reopens_a_fix_that_is_not_one(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = confirmed_report(db, settings, "habitant@example.fr")
    with pytest.raises(InvalidInput):
        lifecycle.change_status(db, settings, created, agent, status="fixed")
    lifecycle.change_status(db, settings, created, agent, status="fixed", note="Rebouché.")
    assert created.fixed_at is not None
    assert "/resolu/" in _mails(db, "habitant@example.fr")[-1].body
    with pytest.raises(InvalidInput):
        lifecycle.answer_questionnaire(db, settings, created, fixed=False)
    lifecycle.answer_questionnaire(db, settings, created, fixed=False, note="Le trou est revenu.")
    assert created.status == ReportStatus.REOPENED
    assert created.open311_status == "open"
    assert created.fixed_at is None
    with pytest.raises(Conflict):
        lifecycle.answer_questionnaire(db, settings, created, fixed=True)


def test_moderation_hides_publicly_and_keeps_the_original(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(
        db,
        settings,
        agent,
        description="Trou devant chez moi, Jean Dupont 06 12 34 56 78",
        photos=[photo_bytes(), photo_bytes("PNG")],
    )
    photos = ReportRepository(db).photos(created.id)
    assert len(photos) == 2
    service.flag_report(db, created, reason="Numéro de téléphone publié", client="10.0.0.1")
    with pytest.raises(Conflict):
        service.flag_report(db, created, reason="encore", client="10.0.0.1")
    lifecycle.moderate(
        db,
        created,
        agent,
        public_description="Trou devant chez moi.",
        hidden_photo_ids=[photos[0].id],
        reason="Données personnelles",
    )
    assert created.public_text == "Trou devant chez moi."
    assert "06 12" in created.description
    assert [p.id for p in ReportRepository(db).photos(created.id)] == [photos[1].id]
    assert len(ReportRepository(db).photos(created.id, public=False)) == 2
    assert ReportRepository(db).open_flags(created.id) == []


def test_following_needs_the_emailed_link_and_can_stop(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(db, settings, agent)
    subscription = service.follow(db, settings, ANONYMOUS, "Voisin@Example.fr", report=created)
    assert subscription.confirmed_at is None
    assert created.follower_count == 1  # the reporter
    assert "/signalements/abonnements/" in _mails(db, "voisin@example.fr")[-1].body
    service.confirm_subscription(
        db, settings, token(settings, CONFIRM_FOLLOW, {"s": subscription.id})
    )
    db.refresh(created)
    assert created.follower_count == 2
    service.unsubscribe(db, settings, token(settings, UNSUBSCRIBE, {"s": subscription.id}))
    assert db.get(ReportSubscription, subscription.id) is None
    with pytest.raises(NotFound):
        service.confirm_subscription(db, settings, "forged-token")
    with pytest.raises(InvalidInput):
        service.follow(db, settings, ANONYMOUS, "voisin@example.fr", commune_code="99999")


def test_milestones_move_only_when_the_status_does(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(db, settings, agent)
    lifecycle.change_status(db, settings, created, agent, status="fixed", note="Rebouché.")
    fixed_at = created.fixed_at
    lifecycle.change_status(db, settings, created, agent, status="fixed", note="Photo ajoutée.")
    assert created.fixed_at == fixed_at
    lifecycle.change_status(db, settings, created, agent, status="in_progress", note="Reprise.")
    assert created.fixed_at is None
    assert created.closed_at is None


def test_internal_notes_stay_off_the_public_timeline(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(db, settings, agent)
    lifecycle.add_note(db, settings, created, agent, internal_note="Voir avec le chef d'équipe")
    lifecycle.add_note(db, settings, created, agent, note="Équipe prévue lundi.")
    public = [u.kind for u in ReportRepository(db).timeline(created.id)]
    assert public == ["created", "note"]
    assert len(ReportRepository(db).timeline(created.id, public=False)) == 3


def test_an_unconfirmed_report_cannot_be_merged_and_a_reopened_duplicate_stands_alone(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    original = report(db, settings, agent)
    waiting = report(db, settings, ANONYMOUS, reporter_email="anonyme@example.fr")
    with pytest.raises(Conflict):
        lifecycle.merge(db, settings, waiting, original, agent)
    assert waiting.status == ReportStatus.UNCONFIRMED
    duplicate = report(db, settings, agent)
    lifecycle.merge(db, settings, duplicate, original, agent)
    lifecycle.change_status(db, settings, duplicate, agent, status="open", note="Autre trou.")
    assert duplicate.duplicate_of_id is None


def test_search_never_finds_what_a_moderator_redacted(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(db, settings, agent, description="Trou devant chez Jean Secret")
    service.flag_report(db, created, reason="Nom publié", client="10.0.0.2")
    db.refresh(created)
    assert created.flag_count == 1
    lifecycle.moderate(db, created, agent, public_description="Trou devant une maison")
    assert created.flag_count == 0
    found, _total = ReportRepository(db).search(
        ReportFilters(text="Secret"), PageParams(page=1, page_size=10)
    )
    assert created.id not in [r.id for r in found]


def test_an_address_typed_into_an_api_client_must_confirm_before_it_gets_mail(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(db, settings, agent, reporter_email="voisin@example.fr", channel="open311")
    assert created.follower_count == 0
    assert "/signalements/abonnements/" in _mails(db, "voisin@example.fr")[-1].body
    # Asking again within the hour sends nothing more.
    service.follow(db, settings, ANONYMOUS, "voisin@example.fr", report=created)
    assert len(_mails(db, "voisin@example.fr")) == 1


def test_moderation_edits_the_address_and_drops_a_linked_photo(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(
        db,
        settings,
        agent,
        address_string="12 rue X, chez M. Dupont",
        media_url="https://photos.example.fr/dupont.jpg",
    )
    lifecycle.moderate(db, created, agent, address_string="Rue X", clear_media_url=True)
    assert created.address_string == "Rue X"
    assert created.media_url == ""


def test_followers_are_written_to_in_french_whatever_the_agents_language(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = confirmed_report(db, settings, "habitant@example.fr")
    set_locale("en")
    try:
        lifecycle.change_status(db, settings, created, agent, status="acknowledged", note="Vu.")
    finally:
        set_locale("fr")
    body = _mails(db, "habitant@example.fr")[-1].body
    assert "a changé" in body
    assert "has changed" not in body


def test_the_organisation_inbox_hears_of_reports_it_must_handle(
    db: Session, settings: Settings, territory: Territory
) -> None:
    territory.voirie.email = "voirie@agglo.example.fr"
    territory.eclairage.email = "astreinte@eclairage.example.fr"
    db.flush()
    created = confirmed_report(db, settings, "habitant@example.fr", reporter_phone="0612345678")
    (mail,) = _mails(db, "voirie@agglo.example.fr")
    assert f"/admin/signalements/{created.id}" in mail.body
    assert "habitant@example.fr" not in mail.body
    assert "0612345678" not in mail.body
    agent = staff(db, "a@example.fr", territory.voirie)
    lifecycle.reroute(db, settings, created, agent, organisation_id=territory.eclairage.id)
    assert len(_mails(db, "astreinte@eclairage.example.fr")) == 1
    waiting = report(db, settings, ANONYMOUS, reporter_email="x@example.fr")
    assert len(_mails(db, "voirie@agglo.example.fr")) == 1  # not before it is confirmed
    assert waiting.status == ReportStatus.UNCONFIRMED
