"""The fast write path: observations in bulk, idempotent, with latest values and hourly sums.

Rows land in a temporary staging table (``COPY`` on PostgreSQL, ``executemany`` on SQLite),
then set-based statements insert what is new (the primary key drops repeats), fold the new
numeric values into the hourly aggregates and move each latest value forward only when the
observation is newer: late and out-of-order data never overwrite a fresher reading.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# (entity_pk, attribute, observed_at, value)
ObservationRow = tuple[int, str, dt.datetime, Any]

SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass
class WriteResult:
    """How many observations were new and how many were already stored."""

    stored: int = 0
    duplicates: int = 0
    changed_entities: set[int] = field(default_factory=set)


def split_value(value: Any) -> tuple[float | None, str | None, str | None]:
    """The (number, text, JSON) columns holding ``value``."""
    if isinstance(value, bool) or value is None:
        return None, None, json.dumps(value)
    if isinstance(value, int | float):
        return float(value), None, None
    if isinstance(value, str):
        return None, value, None
    return None, None, json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def join_value(number: float | None, string: str | None, other: Any) -> Any:
    """Inverse of :func:`split_value` (integral numbers come back as ints)."""
    if number is not None:
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if string is not None:
        return string
    if isinstance(other, str):
        # SQLite hands JSON columns back as text when read through raw SQL.
        return json.loads(other)
    return other


def write_observations(session: Session, rows: Sequence[ObservationRow]) -> WriteResult:
    """Store ``rows`` once each; flushes, never commits."""
    if not rows:
        return WriteResult()
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _write_postgresql(connection, rows)
    return _write_sqlite(connection, rows)


# --- PostgreSQL ----------------------------------------------------------------------------

_PG_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS sensor_staging (
    entity_pk integer, attribute text, observed_at timestamptz,
    value_num double precision, value_text text, value_json jsonb
) ON COMMIT DELETE ROWS
"""

_PG_MERGE = """
WITH ins AS (
    INSERT INTO sensor_observations
        (entity_pk, attribute, observed_at, value_num, value_text, value_json)
    SELECT entity_pk, attribute, observed_at, value_num, value_text, value_json
    FROM sensor_staging
    ON CONFLICT DO NOTHING
    RETURNING entity_pk, attribute, observed_at, value_num, value_text, value_json
), hourly AS (
    INSERT INTO sensor_hourly AS h (entity_pk, attribute, hour, count, sum, min, max)
    SELECT entity_pk, attribute, date_trunc('hour', observed_at, 'UTC'),
           count(*), sum(value_num), min(value_num), max(value_num)
    FROM ins WHERE value_num IS NOT NULL
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (entity_pk, attribute, hour) DO UPDATE SET
        count = h.count + excluded.count, sum = h.sum + excluded.sum,
        min = least(h.min, excluded.min), max = greatest(h.max, excluded.max)
), latest AS (
    INSERT INTO sensor_latest AS l
        (entity_pk, attribute, observed_at, value_num, value_text, value_json, modified_at)
    SELECT DISTINCT ON (entity_pk, attribute)
           entity_pk, attribute, observed_at, value_num, value_text, value_json, now()
    FROM ins ORDER BY entity_pk, attribute, observed_at DESC
    ON CONFLICT (entity_pk, attribute) DO UPDATE SET
        observed_at = excluded.observed_at, value_num = excluded.value_num,
        value_text = excluded.value_text, value_json = excluded.value_json,
        modified_at = excluded.modified_at
    WHERE l.observed_at IS NULL OR excluded.observed_at >= l.observed_at
    RETURNING entity_pk
)
SELECT (SELECT count(*) FROM ins), (SELECT array_agg(DISTINCT entity_pk) FROM latest)
"""


def _month_start(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(start: dt.datetime) -> dt.datetime:
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def partition_name(month: dt.datetime) -> str:
    """Name of the monthly partition holding ``month``."""
    return f"sensor_observations_y{month.year:04d}m{month.month:02d}"


def ensure_partitions(connection: Connection, instants: Iterable[dt.datetime]) -> None:
    """Create the monthly partitions these instants fall into (PostgreSQL)."""
    months = {_month_start(i) for i in instants}
    missing = [
        m
        for m in sorted(months)
        if connection.execute(
            text("SELECT to_regclass(:name)"), {"name": partition_name(m)}
        ).scalar()
        is None
    ]
    if not missing:
        return
    # Two workers may meet the same new month: the lock makes the second one wait and see it.
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('sensor_partitions'))"))
    for month in missing:
        connection.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF sensor_observations "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{_next_month(month).isoformat()}')"
        )


def _write_postgresql(connection: Connection, rows: Sequence[ObservationRow]) -> WriteResult:
    ensure_partitions(connection, (row[2] for row in rows))
    connection.exec_driver_sql(_PG_STAGING)
    connection.exec_driver_sql("DELETE FROM sensor_staging")
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(
        "COPY sensor_staging (entity_pk, attribute, observed_at, value_num, value_text, "
        "value_json) FROM STDIN"
    ) as copy:
        for entity_pk, attribute, observed_at, value in rows:
            copy.write_row((entity_pk, attribute, observed_at, *split_value(value)))
    stored, changed = connection.exec_driver_sql(_PG_MERGE).one()
    connection.exec_driver_sql("DELETE FROM sensor_staging")
    return WriteResult(stored, len(rows) - stored, set(changed or ()))


# --- SQLite --------------------------------------------------------------------------------

_SQLITE_SETUP = (
    """CREATE TEMP TABLE IF NOT EXISTS sensor_staging (
        entity_pk INTEGER, attribute TEXT, observed_at TEXT,
        value_num REAL, value_text TEXT, value_json TEXT, dup INTEGER DEFAULT 0)""",
    """CREATE INDEX IF NOT EXISTS temp.ix_sensor_staging_key
        ON sensor_staging (entity_pk, attribute, observed_at)""",
    "DELETE FROM temp.sensor_staging",
)

_SQLITE_MERGE = (
    # Repeats inside the batch, then rows already stored.
    """UPDATE temp.sensor_staging SET dup = 1 WHERE rowid > (
        SELECT min(s.rowid) FROM temp.sensor_staging s
        WHERE s.entity_pk = sensor_staging.entity_pk AND s.attribute = sensor_staging.attribute
        AND s.observed_at = sensor_staging.observed_at)""",
    """UPDATE temp.sensor_staging SET dup = 1 WHERE dup = 0 AND EXISTS (
        SELECT 1 FROM main.sensor_observations o
        WHERE o.entity_pk = sensor_staging.entity_pk AND o.attribute = sensor_staging.attribute
        AND o.observed_at = sensor_staging.observed_at)""",
    """INSERT INTO main.sensor_observations
        (entity_pk, attribute, observed_at, value_num, value_text, value_json)
        SELECT entity_pk, attribute, observed_at, value_num, value_text, value_json
        FROM temp.sensor_staging WHERE dup = 0
        ON CONFLICT DO NOTHING""",
    """INSERT INTO main.sensor_hourly AS h (entity_pk, attribute, hour, count, sum, min, max)
        SELECT entity_pk, attribute, substr(observed_at, 1, 13) || ':00:00.000000',
               count(*), sum(value_num), min(value_num), max(value_num)
        FROM temp.sensor_staging WHERE dup = 0 AND value_num IS NOT NULL
        GROUP BY 1, 2, 3
        ON CONFLICT (entity_pk, attribute, hour) DO UPDATE SET
            count = h.count + excluded.count, sum = h.sum + excluded.sum,
            min = min(h.min, excluded.min), max = max(h.max, excluded.max)""",
    """INSERT INTO main.sensor_latest AS l
        (entity_pk, attribute, observed_at, value_num, value_text, value_json, modified_at)
        SELECT entity_pk, attribute, observed_at, value_num, value_text, value_json, :now
        FROM temp.sensor_staging s WHERE dup = 0 AND observed_at = (
            SELECT max(s2.observed_at) FROM temp.sensor_staging s2 WHERE s2.dup = 0
            AND s2.entity_pk = s.entity_pk AND s2.attribute = s.attribute)
        ON CONFLICT (entity_pk, attribute) DO UPDATE SET
            observed_at = excluded.observed_at, value_num = excluded.value_num,
            value_text = excluded.value_text, value_json = excluded.value_json,
            modified_at = excluded.modified_at
        WHERE l.observed_at IS NULL OR excluded.observed_at >= l.observed_at""",
)


def _write_sqlite(connection: Connection, rows: Sequence[ObservationRow]) -> WriteResult:
    for statement in _SQLITE_SETUP:
        connection.exec_driver_sql(statement)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(
        "INSERT INTO temp.sensor_staging "
        "(entity_pk, attribute, observed_at, value_num, value_text, value_json) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                entity_pk,
                attribute,
                observed_at.astimezone(dt.UTC).strftime(SQLITE_TIME_FORMAT),
                *split_value(value),
            )
            for entity_pk, attribute, observed_at, value in rows
        ],
    )
    now = dt.datetime.now(dt.UTC).strftime(SQLITE_TIME_FORMAT)
    for statement in _SQLITE_MERGE:
        cursor.execute(statement, {"now": now}) if ":now" in statement else cursor.execute(
            statement
        )
    stored = cursor.execute("SELECT count(*) FROM temp.sensor_staging WHERE dup = 0").fetchone()[0]
    changed = {
        pk
        for (pk,) in cursor.execute(
            "SELECT DISTINCT entity_pk FROM temp.sensor_staging WHERE dup = 0"
        ).fetchall()
    }
    cursor.execute("DELETE FROM temp.sensor_staging")
    cursor.close()
    return WriteResult(stored, len(rows) - stored, changed)
