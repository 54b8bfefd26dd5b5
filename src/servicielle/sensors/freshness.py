"""Which sensors went silent: last report against the expected reporting period.

An entity's last report is its newest ``sensor_latest.observed_at``; it is silent when it
never reported or when nothing came for ``SILENCE_FACTOR`` expected periods. Everything is
computed in one grouped query, so the health page stays fast with 10,000 entities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from servicielle.core.db import UTCDateTime, utcnow
from servicielle.core.territory.models import Organisation
from servicielle.sensors.datamodels import DEFAULT_PERIOD, MODELS, model_of
from servicielle.sensors.models import LatestValue, SensorEntity
from servicielle.sensors.store import join_value

# A sensor may miss two reports (network, gateway restart) before anyone is told.
SILENCE_FACTOR = 3


@dataclass(frozen=True)
class EntityFreshness:
    """One live entity with its last report and whether it went silent."""

    pk: int
    id: str
    type: str
    name: str | None
    organisation: str
    last_report: dt.datetime | None
    expected_period: dt.timedelta
    silent: bool
    silent_for: dt.timedelta | None
    lon: float | None
    lat: float | None

    @property
    def type_label(self) -> str:
        """The model's French label, else the type itself."""
        model = model_of(self.type)
        return model.label if model else self.type


@dataclass(frozen=True)
class TypeFreshness:
    """How many entities of a type there are and how many are silent."""

    type: str
    entities: int
    silent: int

    @property
    def label(self) -> str:
        """The model's French label, else the type itself."""
        model = model_of(self.type)
        return model.label if model else self.type

    @property
    def expected_period(self) -> dt.timedelta:
        """The model's reporting period (entities may override it)."""
        model = model_of(self.type)
        return model.expected_period if model else DEFAULT_PERIOD


def _period_seconds() -> ColumnElement[Any]:
    by_type = {t: int(m.expected_period.total_seconds()) for t, m in MODELS.items()}
    default = int(DEFAULT_PERIOD.total_seconds())
    return func.coalesce(
        SensorEntity.expected_period_s,
        case(by_type, value=SensorEntity.type, else_=default),
    )


class FreshnessRepository:
    """Last reports of live entities, in SQL."""

    def __init__(self, session: Session, now: dt.datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()

    def _age_seconds(self, instant: ColumnElement[Any]) -> ColumnElement[Any]:
        now = literal(self.now, UTCDateTime())
        if self.session.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", now - instant)
        # SQLite keeps UTC instants as text: julianday reads them, in days.
        return (func.julianday(now) - func.julianday(instant)) * 86400.0

    def _statement(self, entity_type: str | None) -> Select[Any]:
        last = (
            select(LatestValue.entity_pk, func.max(LatestValue.observed_at).label("last_report"))
            .group_by(LatestValue.entity_pk)
            .subquery()
        )
        period = _period_seconds()
        silent = or_(
            last.c.last_report.is_(None),
            self._age_seconds(last.c.last_report) > SILENCE_FACTOR * period,
        )
        statement = (
            select(
                SensorEntity.pk,
                SensorEntity.id,
                SensorEntity.type,
                SensorEntity.name,
                Organisation.name.label("organisation"),
                last.c.last_report,
                period.label("period"),
                case((silent, 1), else_=0).label("silent"),
                SensorEntity.min_lon,
                SensorEntity.min_lat,
                SensorEntity.max_lon,
                SensorEntity.max_lat,
            )
            .join(Organisation, Organisation.id == SensorEntity.organisation_id)
            .outerjoin(last, last.c.entity_pk == SensorEntity.pk)
            .where(SensorEntity.deleted_at.is_(None))
        )
        if entity_type:
            statement = statement.where(SensorEntity.type == entity_type)
        return statement

    def _row(self, row: Any) -> EntityFreshness:
        last = row.last_report
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        centre = (None, None)
        if row.min_lon is not None and row.max_lon is not None:
            centre = ((row.min_lon + row.max_lon) / 2, (row.min_lat + row.max_lat) / 2)
        return EntityFreshness(
            pk=row.pk,
            id=row.id,
            type=row.type,
            name=row.name,
            organisation=row.organisation,
            last_report=last,
            expected_period=dt.timedelta(seconds=int(row.period)),
            silent=bool(row.silent),
            silent_for=None if last is None else max(self.now - last, dt.timedelta(0)),
            lon=centre[0],
            lat=centre[1],
        )

    def entities(self, entity_type: str | None = None) -> list[EntityFreshness]:
        """Every live entity (of a type), by type then name."""
        statement = self._statement(entity_type).order_by(
            SensorEntity.type, SensorEntity.name, SensorEntity.id
        )
        return [self._row(row) for row in self.session.execute(statement)]

    def one(self, pk: int) -> EntityFreshness | None:
        """One live entity by primary key."""
        row = self.session.execute(self._statement(None).where(SensorEntity.pk == pk)).one_or_none()
        return None if row is None else self._row(row)

    def silent(self, limit: int | None = None) -> list[EntityFreshness]:
        """Silent entities, those that never reported first, then the longest silent."""
        inner = self._statement(None).subquery()
        statement = (
            select(inner)
            .where(inner.c.silent == 1)
            .order_by(inner.c.last_report.is_not(None), inner.c.last_report, inner.c.id)
            .limit(limit)
        )
        return [self._row(row) for row in self.session.execute(statement)]

    def counts_by_type(self) -> list[TypeFreshness]:
        """Entities and silent entities per type."""
        inner = self._statement(None).subquery()
        statement = (
            select(
                inner.c.type,
                func.count().label("entities"),
                func.sum(inner.c.silent).label("silent"),
            )
            .group_by(inner.c.type)
            .order_by(inner.c.type)
        )
        return [
            TypeFreshness(row.type, int(row.entities), int(row.silent or 0))
            for row in self.session.execute(statement)
        ]

    def latest_values(self, entity_type: str | None = None) -> dict[int, dict[str, Any]]:
        """Entity pk → attribute → current value, for every live entity (one query)."""
        statement = (
            select(
                LatestValue.entity_pk,
                LatestValue.attribute,
                LatestValue.value_num,
                LatestValue.value_text,
                LatestValue.value_json,
            )
            .join(SensorEntity, SensorEntity.pk == LatestValue.entity_pk)
            .where(SensorEntity.deleted_at.is_(None))
        )
        if entity_type:
            statement = statement.where(SensorEntity.type == entity_type)
        values: dict[int, dict[str, Any]] = {}
        for pk, attribute, number, text, other in self.session.execute(statement):
            values.setdefault(pk, {})[attribute] = join_value(number, text, other)
        return values


def freshness_of(session: Session, entity: SensorEntity) -> EntityFreshness | None:
    """The freshness of one live entity."""
    return FreshnessRepository(session).one(entity.pk)


def counts_by_type(session: Session, now: dt.datetime | None = None) -> list[TypeFreshness]:
    """Entities and silent entities per type."""
    return FreshnessRepository(session, now).counts_by_type()


def silent_entities(
    session: Session, now: dt.datetime | None = None, limit: int | None = None
) -> Sequence[EntityFreshness]:
    """The silent entities: id, type, name, organisation, last report, period, silent for."""
    return FreshnessRepository(session, now).silent(limit)
