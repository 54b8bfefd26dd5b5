"""The reports demo: realistic, consistent with what the services write, and deterministic."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts import demo as accounts_demo
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import utcnow
from servicielle.core.territory import demo as territory_demo
from servicielle.core.territory.lookup import territory_index
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports import demo, lifecycle
from servicielle.reports.models import (
    CLOSED_STATUSES,
    CategoryQuestion,
    CloseReason,
    Report,
    ReportCategory,
    ReportFlag,
    ReportPhoto,
    ReportStatus,
    ReportSubscription,
    ReportUpdate,
    RoutingRule,
)
from servicielle.reports.questions import DATATYPES, check_answers
from servicielle.reports.repository import ReportRepository, SubscriptionRepository
from servicielle.reports.routing import Placement, route


@pytest.fixture
def loaded(db: Session) -> str:
    """The demo territory, accounts and reports."""
    territory_demo.load(db)
    accounts_demo.load(db)
    summary = demo.load(db)
    db.flush()
    return summary


def _reports(db: Session) -> list[Report]:
    return list(db.scalars(select(Report).order_by(Report.id)))


def _timelines(db: Session) -> dict[int, list[ReportUpdate]]:
    found: dict[int, list[ReportUpdate]] = {}
    for update in db.scalars(select(ReportUpdate).order_by(ReportUpdate.created_at)):
        found.setdefault(update.report_id, []).append(update)
    return found


def test_every_state_and_closing_reason_is_present(db: Session, loaded: str) -> None:
    reports = _reports(db)
    assert len(reports) == demo.REPORTS
    assert "400 signalements" in loaded
    states = Counter(r.status for r in reports)
    assert set(states) == set(ReportStatus)
    reasons = Counter(r.close_reason for r in reports if r.status == ReportStatus.CLOSED)
    assert set(reasons) == set(CloseReason)
    assert all(states[s] >= 3 for s in ReportStatus), states
    # Spread over about eight months, none in the future.
    now = utcnow()
    ages = [(now - r.created_at).days for r in reports]
    assert min(ages) >= 0
    assert max(ages) > 200


def test_reports_lie_inside_their_commune_and_are_routed_by_the_rules(
    db: Session, loaded: str
) -> None:
    index = territory_index(db)
    categories = {c.id: c for c in db.scalars(select(ReportCategory))}
    timelines = _timelines(db)
    communes: Counter[str] = Counter()
    for report in _reports(db):
        assert report.lat is not None
        assert report.lon is not None
        location = index.locate(report.lon, report.lat)
        assert location.commune is not None
        assert location.commune.key == report.commune_code
        assert sorted(report.geozones) == sorted(z.key for z in location.geozones)
        communes[report.commune_code] += 1
        rerouted = [u for u in timelines[report.id] if u.kind == "reroute"]
        expected = (
            rerouted[-1].organisation_id
            if rerouted
            else route(
                db,
                categories[report.category_id],
                Placement(report.lat, report.lon, report.commune_code, "", tuple(report.geozones)),
            ).id
        )
        assert report.organisation_id == expected
    # Weighted by population: Rochefort (23,460 of 64,878 inhabitants) has the most.
    assert communes.most_common(1)[0][0] == "17299"
    assert len(communes) >= 15


def test_categories_questions_and_routing(db: Session, loaded: str) -> None:
    questions = list(db.scalars(select(CategoryQuestion)))
    assert {q.datatype for q in questions} == set(DATATYPES)
    assert any(not q.variable for q in questions)
    codes = {c.code for c in db.scalars(select(ReportCategory))}
    assert {"nid-de-poule", "depot-sauvage", "conteneur-deborde", "lampadaire-allume-jour"} <= codes
    rules = list(db.scalars(select(RoutingRule)))
    assert any(r.category_id is None and r.geozone_slug is None for r in rules)  # fallback
    zones = {r.geozone_slug for r in rules if r.geozone_slug}
    assert {"littoral-et-iles", "rochefort-et-couronne", "rochefort-secteur-nord-est"} <= zones
    by_category: dict[int, list[CategoryQuestion]] = {q.category_id: [] for q in questions}
    for q in questions:
        by_category[q.category_id].append(q)
    for report in _reports(db):
        # Stored answers pass the same check as a submitted form's.
        given = {k: v if isinstance(v, list) else str(v) for k, v in report.answers.items()}
        kept = check_answers(by_category.get(report.category_id, []), given)
        assert kept == report.answers


def test_timelines_match_the_reports_timestamps(db: Session, loaded: str) -> None:
    now = utcnow()
    timelines = _timelines(db)
    for report in _reports(db):
        updates = timelines[report.id]
        assert updates[0].kind == "created"
        assert updates[0].created_at == report.created_at
        assert all(u.created_at <= now for u in updates)
        steps = [u for u in updates if u.kind in ("created", "status", "merge", "reopen")]
        steps = [u for u in steps if u.status_after is not None]
        assert steps[-1].status_after == report.status
        assert steps[-1].close_reason == report.close_reason
        if report.status == ReportStatus.UNCONFIRMED:
            assert report.confirmed_at is None
            continue
        assert report.confirmed_at is not None
        assert report.confirmed_at >= report.created_at
        handled = [u for u in steps if u.status_after not in ("open", "reopened", "unconfirmed")]
        if handled:
            assert report.acknowledged_at == handled[0].created_at
        else:
            assert report.acknowledged_at is None
        assert (report.fixed_at is not None) == (report.status == ReportStatus.FIXED)
        assert (report.closed_at is not None) == (report.status in CLOSED_STATUSES)
        if report.closed_at is not None:
            assert report.closed_at == steps[-1].created_at
        if report.status != ReportStatus.OPEN:
            assert any(u.note for u in updates if u.kind != "created")
        assert report.modified_at <= now


def test_duplicates_followers_flags_moderation_and_photos(db: Session, loaded: str) -> None:
    reports = {r.id: r for r in _reports(db)}
    duplicates = [r for r in reports.values() if r.duplicate_of_id is not None]
    assert len(duplicates) >= 10
    for duplicate in duplicates:
        assert duplicate.duplicate_of_id is not None
        original = reports[duplicate.duplicate_of_id]
        assert duplicate.close_reason == CloseReason.DUPLICATE
        assert original.is_public
        assert original.category_id == duplicate.category_id
        assert original.created_at < duplicate.created_at
        merge = db.scalars(
            select(ReportUpdate).where(
                ReportUpdate.report_id == duplicate.id, ReportUpdate.kind == "merge"
            )
        ).one()
        assert f"n° {original.id}" in merge.note
    subscriptions = SubscriptionRepository(db)
    for report in reports.values():
        assert report.follower_count == subscriptions.count_followers(report.id)
    assert max(r.follower_count for r in reports.values()) >= 3
    # Reporters are fictitious.
    emails = {r.reporter_email for r in reports.values() if r.reporter_email}
    assert all(e.endswith(("@exemple.fr", "@demo.servicielle.fr")) for e in emails)
    followers = {s.email for s in db.scalars(select(ReportSubscription))}
    assert all(e.endswith(("@exemple.fr", "@demo.servicielle.fr")) for e in followers)
    alerts = db.scalars(select(ReportSubscription).where(ReportSubscription.report_id.is_(None)))
    assert {a.confirmed_at is None for a in alerts} == {True, False}
    flagged = [r for r in reports.values() if r.flag_count]
    assert len(flagged) >= 5
    assert sum(r.flag_count for r in flagged) == len(list(db.scalars(select(ReportFlag))))
    hidden = [r for r in reports.values() if r.hidden]
    assert 1 <= len(hidden) <= 5
    redacted = [r for r in reports.values() if r.public_description is not None]
    assert redacted
    assert all("06 39 98" not in r.public_text for r in redacted)
    repository = ReportRepository(db)
    for report in hidden:
        assert repository.get_public(report.id) is None
    photos = list(db.scalars(select(ReportPhoto)))
    assert len(photos) >= 10
    assert any(p.hidden for p in photos)
    with Image.open(io.BytesIO(photos[0].content)) as image:
        assert image.format == "JPEG"
        assert image.size == (photos[0].width, photos[0].height)


def test_the_services_work_on_the_demo_reports(
    db: Session, settings: Settings, loaded: str
) -> None:
    agent_user = UserRepository(db).by_email(demo.AGENT)
    voirie = OrganisationRepository(db).by_slug("voirie")
    assert agent_user is not None
    assert voirie is not None
    agent = principal_for_user(agent_user)
    report = db.scalars(
        select(Report).where(
            Report.status.in_(("open", "acknowledged", "planned", "reopened")),
            Report.hidden.is_(False),
            Report.organisation_id == voirie.id,
        )
    ).first()
    assert report is not None
    assert report.lat is not None
    assert report.lon is not None
    lifecycle.change_status(db, settings, report, agent, status="in_progress", note="En cours.")
    assert report.acknowledged_at is not None
    nearby = ReportRepository(db).nearby_open(report.category_id, report.lat, report.lon)
    assert report.id in [r.id for r, _distance in nearby]


def test_the_demo_is_the_same_every_time_and_clears(db: Session, loaded: str) -> None:
    def snapshot() -> list[tuple[str, str, str, float | None]]:
        categories = {c.id: c.code for c in db.scalars(select(ReportCategory))}
        return [
            (categories[r.category_id], r.status, r.description, r.lat)
            for r in db.scalars(select(Report).order_by(Report.created_at, Report.id))
        ]

    first = snapshot()
    demo.clear(db)
    db.flush()
    assert db.scalar(select(Report.id).limit(1)) is None
    assert db.scalar(select(ReportCategory.id).limit(1)) is None
    demo.load(db)
    db.flush()
    assert snapshot() == first
    # Loading again over existing data changes nothing.
    assert demo.load(db) == "signalements déjà présents"


def test_created_reports_are_in_the_past(db: Session, loaded: str) -> None:
    latest = db.scalar(select(Report.created_at).order_by(Report.created_at.desc()).limit(1))
    assert latest is not None
    assert utcnow() - latest < dt.timedelta(days=10)
