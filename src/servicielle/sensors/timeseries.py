"""History reads of the temporal API: instances per attribute and time-bucket aggregates.

Buckets are computed in SQL from integer microseconds since the Unix epoch, the same way on
SQLite (text timestamps) and PostgreSQL, so both backends put an instance in the same bucket.
When the periods are whole hours aligned on hours, the numeric methods read
``sensor_hourly``, which outlives the raw retention; the rest reads ``sensor_observations``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Interval, String, bindparam, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TextualSelect

from servicielle.core.db import UTCDateTime
from servicielle.sensors.models import Observation, SensorEntity
from servicielle.sensors.store import join_value

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
HOUR_US = 3_600_000_000
# What sensor_hourly holds; distinctCount, stddev and sumsq need the raw values.
HOURLY_METHODS = frozenset({"totalCount", "sum", "avg", "min", "max"})
METHODS = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")
_CHUNK = 500  # SQLite caps bound parameters


@dataclass(frozen=True)
class Window:
    """The time range asked for: start included, end excluded; None is open."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True)
class Instance:
    """One stored value of an attribute."""

    entity_pk: int
    attribute: str
    observed_at: dt.datetime
    value: Any


@dataclass(slots=True)
class Bucket:
    """The aggregates of one attribute over one period."""

    entity_pk: int
    attribute: str
    start: dt.datetime
    end: dt.datetime
    count: int = 0
    numbers: int = 0
    total: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    squares: float | None = None
    distinct: int | None = None

    def value(self, method: str) -> float | int | None:
        """The result of one aggregation method (None: nothing numeric to aggregate)."""
        if method == "totalCount":
            return self.count
        if method == "distinctCount":
            return self.distinct
        if not self.numbers:
            return None
        if method == "sum":
            return _tidy(self.total)
        if method == "avg":
            return (self.total or 0.0) / self.numbers
        if method == "min":
            return _tidy(self.minimum)
        if method == "max":
            return _tidy(self.maximum)
        if method == "sumsq":
            return _tidy(self.squares)
        if method == "stddev":
            return _sample_stddev(self.numbers, self.total or 0.0, self.squares or 0.0)
        raise ValueError(f"unknown aggregation method {method}")


def _tidy(number: float | None) -> float | int | None:
    # Integers stored as floats come back as integers, as current values do.
    if number is None:
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _sample_stddev(n: int, total: float, squares: float) -> float:
    """Sample standard deviation (n − 1), 0 for a single value."""
    if n < 2:
        return 0.0
    variance = (squares - total * total / n) / (n - 1)
    return math.sqrt(max(variance, 0.0))


def epoch_us(instant: dt.datetime) -> int:
    """Microseconds since the Unix epoch, exactly."""
    delta = instant.astimezone(dt.UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_epoch_us(micros: int) -> dt.datetime:
    """Inverse of :func:`epoch_us`."""
    return EPOCH + dt.timedelta(microseconds=micros)


def _chunks(values: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


class HistoryRepository:
    """Reads of ``sensor_observations`` and ``sensor_hourly`` for a page of entities."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def entity_page(
        self, condition: ColumnElement[bool], *, after_pk: int, limit: int
    ) -> list[SensorEntity]:
        """Up to ``limit`` entities matching ``condition`` after ``after_pk`` (keyset paging)."""
        statement = (
            select(SensorEntity)
            .where(condition, SensorEntity.pk > after_pk)
            .order_by(SensorEntity.pk)
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def count_entities(self, condition: ColumnElement[bool]) -> int:
        """How many entities match ``condition``."""
        statement = select(func.count()).select_from(SensorEntity).where(condition)
        return int(self.session.scalar(statement) or 0)

    def instances(
        self,
        pks: Sequence[int],
        attrs: Sequence[str],
        window: Window,
        *,
        per_attribute: int,
        newest_first: bool = False,
    ) -> list[Instance]:
        """At most ``per_attribute`` instances of each attribute, oldest (or newest) first."""
        found: list[Instance] = []
        o = Observation
        order = o.observed_at.desc() if newest_first else o.observed_at.asc()
        for chunk in _chunks(pks):
            conditions: list[ColumnElement[bool]] = [o.entity_pk.in_(chunk)]
            if attrs:
                conditions.append(o.attribute.in_(list(attrs)))
            if window.start is not None:
                conditions.append(o.observed_at >= window.start)
            if window.end is not None:
                conditions.append(o.observed_at < window.end)
            rank = func.row_number().over(partition_by=(o.entity_pk, o.attribute), order_by=order)
            ranked = (
                select(
                    o.entity_pk,
                    o.attribute,
                    o.observed_at,
                    o.value_num,
                    o.value_text,
                    o.value_json,
                    rank.label("rank"),
                )
                .where(*conditions)
                .subquery()
            )
            when = ranked.c.observed_at.desc() if newest_first else ranked.c.observed_at.asc()
            statement = (
                select(ranked)
                .where(ranked.c.rank <= per_attribute)
                .order_by(ranked.c.entity_pk, ranked.c.attribute, when)
            )
            for row in self.session.execute(statement):
                found.append(
                    Instance(
                        row.entity_pk,
                        row.attribute,
                        row.observed_at,
                        join_value(row.value_num, row.value_text, row.value_json),
                    )
                )
        return found

    def aggregate(
        self,
        pks: Sequence[int],
        attrs: Sequence[str],
        window: Window,
        *,
        period_us: int,
        methods: Iterable[str],
    ) -> list[Bucket]:
        """Buckets of ``period_us`` (0: the whole range) from ``window.start`` or the epoch."""
        wanted = frozenset(methods)
        origin = epoch_us(window.start) if window.start is not None else 0
        hourly = self.hourly_applies(window, period_us, wanted)
        buckets: dict[tuple[int, str, dt.datetime], Bucket] = {}
        for chunk in _chunks(pks):
            params: dict[str, Any] = {
                "pks": chunk,
                "origin": origin,
                "period": period_us or 1,
                "origin_at": from_epoch_us(origin),
                "stride": dt.timedelta(microseconds=period_us or 1),
            }
            if attrs:
                params["attrs"] = list(attrs)
            if window.start is not None:
                params["start"] = window.start
            if window.end is not None:
                params["end"] = window.end
            if hourly:
                self._from_hourly(buckets, params, wanted)
            else:
                self._from_raw(buckets, params, wanted, whole=period_us == 0)
        ordered = sorted(buckets.items(), key=lambda item: item[0])
        return [bucket for _key, bucket in ordered]

    @staticmethod
    def hourly_applies(window: Window, period_us: int, methods: frozenset[str]) -> bool:
        """Whether sensor_hourly answers exactly: whole-hour periods on hour boundaries."""
        if not methods <= HOURLY_METHODS or period_us <= 0 or period_us % HOUR_US:
            return False
        return all(
            edge is None or epoch_us(edge) % HOUR_US == 0 for edge in (window.start, window.end)
        )

    # --- SQL ------------------------------------------------------------------------------

    def _bucket(self, column: str, whole_range: bool) -> str:
        """SQL of a row's bucket: its start on PostgreSQL, its index from the origin on SQLite."""
        if whole_range:
            return "0"
        if self.dialect == "postgresql":
            return f"date_bin(:stride, {column}, :origin_at)"
        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds plus the digits.
        micros = (
            f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000"
            f" + CAST(substr({column}, 21, 6) AS INTEGER))"
        )
        return f"(({micros} - :origin) / :period)"

    def _statement(self, sql: str, params: dict[str, Any], **types: Any) -> TextualSelect:
        statement = text(sql).bindparams(bindparam("pks", expanding=True))
        if "attrs" in params:
            statement = statement.bindparams(bindparam("attrs", expanding=True))
        for name in ("start", "end", "origin_at"):
            if name in params and f":{name}" in sql:
                statement = statement.bindparams(bindparam(name, type_=UTCDateTime()))
        if ":stride" in sql:
            # The bucket comes back as an aware datetime: no per-row conversion needed.
            statement = statement.bindparams(bindparam("stride", type_=Interval()))
        return statement.columns(entity_pk=Integer(), attribute=String(), **types)

    @staticmethod
    def _where(column: str, params: dict[str, Any]) -> str:
        clauses = ["entity_pk IN :pks"]
        if "attrs" in params:
            clauses.append("attribute IN :attrs")
        if "start" in params:
            clauses.append(f"{column} >= :start")
        if "end" in params:
            clauses.append(f"{column} < :end")
        return " AND ".join(clauses)

    def _from_raw(
        self,
        buckets: dict[tuple[int, str, dt.datetime], Bucket],
        params: dict[str, Any],
        methods: frozenset[str],
        *,
        whole: bool,
    ) -> None:
        distinct = (
            "count(DISTINCT CASE WHEN value_num IS NOT NULL THEN 'n' || CAST(value_num AS TEXT)"
            " WHEN value_text IS NOT NULL THEN 't' || value_text"
            " ELSE 'j' || CAST(value_json AS TEXT) END)"
            if "distinctCount" in methods
            else "NULL"
        )
        sql = f"""
            SELECT entity_pk, attribute, {self._bucket("observed_at", whole)} AS bucket,
                   count(*) AS n, count(value_num) AS numbers, sum(value_num) AS total,
                   min(value_num) AS minimum, max(value_num) AS maximum,
                   sum(value_num * value_num) AS squares, {distinct} AS distinct_values,
                   min(observed_at) AS first, max(observed_at) AS last
            FROM sensor_observations WHERE {self._where("observed_at", params)}
            GROUP BY entity_pk, attribute, bucket"""
        statement = self._statement(sql, params, first=UTCDateTime(), last=UTCDateTime())
        rows = self.session.execute(statement, params).all()
        for pk, name, index, n, numbers, total, low, high, squares, distinct_n, first, last in rows:
            bucket = self._bucket_of(buckets, pk, name, index, params)
            if whole:
                bucket.start, bucket.end = first, last
            bucket.count += int(n)
            if numbers:
                bucket.numbers = int(numbers)
                bucket.total, bucket.squares = float(total), float(squares)
                bucket.minimum, bucket.maximum = float(low), float(high)
            if distinct_n is not None:
                bucket.distinct = int(distinct_n)

    def _from_hourly(
        self,
        buckets: dict[tuple[int, str, dt.datetime], Bucket],
        params: dict[str, Any],
        methods: frozenset[str],
    ) -> None:
        sql = f"""
            SELECT entity_pk, attribute, {self._bucket("hour", False)} AS bucket,
                   sum(count) AS n, sum(sum) AS total, min(min) AS minimum, max(max) AS maximum
            FROM sensor_hourly WHERE {self._where("hour", params)}
            GROUP BY entity_pk, attribute, bucket"""
        rows = self.session.execute(self._statement(sql, params), params).all()
        for pk, name, index, n, total, low, high in rows:
            bucket = self._bucket_of(buckets, pk, name, index, params)
            bucket.count = bucket.numbers = int(n)
            bucket.total, bucket.minimum, bucket.maximum = float(total), float(low), float(high)
        if "totalCount" not in methods:
            return
        # The hourly table counts numbers only: totalCount adds the other instances.
        sql = f"""
            SELECT entity_pk, attribute, {self._bucket("observed_at", False)} AS bucket,
                   count(*) AS n
            FROM sensor_observations
            WHERE {self._where("observed_at", params)} AND value_num IS NULL
            GROUP BY entity_pk, attribute, bucket"""
        for pk, name, index, n in self.session.execute(self._statement(sql, params), params):
            self._bucket_of(buckets, pk, name, index, params).count += int(n)

    def _bucket_of(
        self,
        buckets: dict[tuple[int, str, dt.datetime], Bucket],
        entity_pk: int,
        attribute: str,
        index: Any,
        params: dict[str, Any],
    ) -> Bucket:
        if isinstance(index, dt.datetime):
            start = index
        else:
            start = from_epoch_us(params["origin"] + int(index) * params["period"])
        key = (entity_pk, attribute, start)
        bucket = buckets.get(key)
        if bucket is None:
            end = start + params["stride"]
            bucket = buckets[key] = Bucket(entity_pk, attribute, start, end)
        return bucket
