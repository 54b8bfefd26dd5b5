"""Submitting, routing and handling reports through the services."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import Forbidden, InvalidInput, NotFound, RateLimited
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.permissions import ANONYMOUS
from servicielle.reports import lifecycle
from servicielle.reports.models import Report, ReportStatus
from servicielle.reports.notifications import CONFIRM_REPORT, token
from servicielle.reports.repository import ReportRepository
from servicielle.reports.service import confirm_report
from tests.reports.conftest import FOURAS, OCEAN, ROCHEFORT, Territory, report, staff


def test_anonymous_report_waits_for_its_email_link(
    db: Session, settings: Settings, territory: Territory
) -> None:
    created = report(db, settings, ANONYMOUS, reporter_email="Marie@Example.fr")
    assert created.status == ReportStatus.UNCONFIRMED
    assert ReportRepository(db).get_public(created.id) is None
    mail = db.query(OutboxMessage).filter_by(recipient="marie@example.fr").one()
    assert "/signalements/confirmation/" in mail.body
    confirmed = confirm_report(db, settings, token(settings, CONFIRM_REPORT, {"r": created.id}))
    assert confirmed.status == ReportStatus.OPEN
    assert ReportRepository(db).get_public(created.id) is not None
    assert confirmed.follower_count == 1


def test_routing_picks_the_most_specific_rule(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    in_rochefort = report(db, settings, agent, category="depot-sauvage")
    in_fouras = report(db, settings, agent, category="depot-sauvage", at=FOURAS)
    pothole = report(db, settings, agent)
    assert in_rochefort.organisation_id == territory.proprete.id
    assert in_fouras.organisation_id == territory.agglomeration.id
    assert pothole.organisation_id == territory.voirie.id
    assert pothole.commune_code == "17299"
    assert pothole.expected_at is not None


def test_bad_reports_store_nothing(db: Session, settings: Settings, territory: Territory) -> None:
    before = db.query(Report).count()
    with pytest.raises(InvalidInput) as outside:
        report(db, settings, ANONYMOUS, at=OCEAN, reporter_email="x@example.fr")
    assert "outside the territory" in outside.value.detail or outside.value.errors
    with pytest.raises(InvalidInput) as missing:
        report(db, settings, ANONYMOUS, answers={}, reporter_email="x@example.fr")
    assert "attribute[taille]" in missing.value.by_field()
    with pytest.raises(NotFound):
        report(db, settings, ANONYMOUS, category="inconnu", reporter_email="x@example.fr")
    with pytest.raises(InvalidInput):
        report(db, settings, ANONYMOUS, description="x" * 4001, reporter_email="x@example.fr")
    with pytest.raises(InvalidInput):
        report(db, settings, ANONYMOUS, photos=[b"not an image"], reporter_email="x@example.fr")
    assert db.query(Report).count() == before


def test_only_the_responsible_organisation_handles_and_closing_needs_a_reason(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    other = staff(db, "b@example.fr", territory.proprete)
    created = report(db, settings, agent, at=ROCHEFORT)
    with pytest.raises(Forbidden):
        lifecycle.change_status(db, settings, created, other, status="acknowledged")
    with pytest.raises(InvalidInput):
        lifecycle.change_status(db, settings, created, agent, status="closed", note="Vu")
    lifecycle.change_status(
        db, settings, created, agent, status="closed", close_reason="no_action", note="Privé"
    )
    assert created.open311_status == "closed"
    assert created.closed_at is not None


def test_anonymous_reports_are_rate_limited_per_address(
    db: Session, settings: Settings, territory: Territory
) -> None:
    for _i in range(10):
        report(db, settings, ANONYMOUS, reporter_email="flood@example.fr")
    with pytest.raises(RateLimited):
        report(db, settings, ANONYMOUS, reporter_email="flood@example.fr")
    report(db, settings, ANONYMOUS, reporter_email="other@example.fr")


def test_control_characters_are_dropped_not_stored(
    db: Session, settings: Settings, territory: Territory
) -> None:
    agent = staff(db, "a@example.fr", territory.voirie)
    created = report(
        db, settings, agent, description="Trou\x00 profond\x07\n", reporter_name="A\x00B"
    )
    db.flush()
    assert created.description == "Trou profond"
    assert created.reporter_name == "AB"
