"""Retention: raw observations older than the cutoff go (whole months on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.territory.models import OrganisationKind
from servicielle.sensors.models import HourlyAggregate, Observation, SensorEntity
from servicielle.sensors.retention import apply_retention
from servicielle.sensors.store import partition_name, write_observations
from servicielle.sensors.worker import housekeeping
from tests.conftest import make_organisation

AGES_DAYS = (500, 450, 420, 401, 399, 30, 1)


def _entity(db: Session) -> SensorEntity:
    organisation = make_organisation(db, "operateur-retention", OrganisationKind.OPERATOR)
    entity = SensorEntity(
        id="urn:ngsi-ld:OffStreetParking:gare",
        type="OffStreetParking",
        organisation_id=organisation.id,
        attrs={},
    )
    db.add(entity)
    db.flush()
    return entity


def _observe(db: Session, entity: SensorEntity, now: dt.datetime) -> list[dt.datetime]:
    instants = [now - dt.timedelta(days=days) for days in AGES_DAYS]
    rows = [(entity.pk, "availableSpotNumber", at, n) for n, at in enumerate(instants)]
    assert write_observations(db, rows).stored == len(rows)
    return instants


def _month(instant: dt.datetime) -> dt.datetime:
    return instant.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(month: dt.datetime) -> dt.datetime:
    return (month + dt.timedelta(days=32)).replace(day=1)


def _stored(db: Session) -> list[dt.datetime]:
    return list(db.scalars(select(Observation.observed_at).order_by(Observation.observed_at)))


def test_observations_older_than_the_cutoff_go_and_aggregates_stay(db: Session) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    instants = _observe(db, _entity(db), now)
    cutoff = now - dt.timedelta(days=400)
    hourly_before = db.scalar(select(func.count()).select_from(HourlyAggregate))
    assert hourly_before == len(AGES_DAYS)

    assert apply_retention(db, now=now, raw_days=400) == 4
    assert _stored(db) == sorted(i for i in instants if i >= cutoff)
    assert db.scalar(select(func.count()).select_from(HourlyAggregate)) == hourly_before
    assert apply_retention(db, now=now, raw_days=400) == 0


def test_months_wholly_past_are_dropped_as_partitions(db: Session) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    instants = _observe(db, _entity(db), now)
    cutoff = now - dt.timedelta(days=400)
    postgresql = db.get_bind().dialect.name == "postgresql"

    def exists(instant: dt.datetime) -> bool:
        if not postgresql:
            return False
        name = partition_name(_month(instant))
        return db.scalar(text("SELECT to_regclass(:name)"), {"name": name}) is not None

    assert all(exists(i) for i in instants) == postgresql
    assert apply_retention(db, now=now, raw_days=400) == 4
    if postgresql:
        for instant in instants:
            assert exists(instant) == (_next_month(_month(instant)) > cutoff), instant
        # 500 and 450 days ago lie in months wholly before the cutoff.
        assert not exists(instants[0])
        assert not exists(instants[1])
        assert exists(cutoff)  # the boundary month stays, trimmed
    assert min(_stored(db)) >= cutoff
    # A row written again into a dropped month finds its partition re-created.
    write_observations(db, [(db.scalars(select(SensorEntity.pk)).one(), "x", instants[0], 1)])
    assert min(_stored(db)) == instants[0]


def test_the_worker_applies_the_configured_retention(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    instants = _observe(db, _entity(db), now)
    db.commit()
    housekeeping(session_factory, settings)
    db.expire_all()
    kept = now - dt.timedelta(days=settings.sensors_raw_retention_days)
    assert _stored(db) == sorted(i for i in instants if i >= kept)
    assert db.scalar(select(func.count()).select_from(HourlyAggregate)) == len(AGES_DAYS)
