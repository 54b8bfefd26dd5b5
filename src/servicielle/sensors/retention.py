"""Retention of raw observations; the hourly aggregates are kept for ever.

On PostgreSQL a month whose partition lies wholly before the cutoff is dropped in one step
(no row-by-row delete, no bloat to vacuum); only the boundary month is trimmed with DELETE.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Connection, delete, text
from sqlalchemy.orm import Session

from servicielle.sensors.models import Observation
from servicielle.sensors.store import partition_name

_PARTITION = re.compile(r"^sensor_observations_y(\d{4})m(\d{2})$")


def _next_month(start: dt.datetime) -> dt.datetime:
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def monthly_partitions(connection: Connection) -> list[tuple[str, dt.datetime]]:
    """The monthly partitions of the observations (PostgreSQL), with the month they hold."""
    names = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'sensor_observations'::regclass ORDER BY c.relname"
        )
    ).scalars()
    partitions = []
    for name in names:
        match = _PARTITION.match(name)
        if match is None:
            continue
        month = dt.datetime(int(match[1]), int(match[2]), 1, tzinfo=dt.UTC)
        # Only names store.py gives are dropped: anything else was made by hand.
        if partition_name(month) == name:
            partitions.append((name, month))
    return partitions


def apply_retention(session: Session, *, now: dt.datetime, raw_days: int) -> int:
    """Delete raw observations older than ``raw_days`` days; returns how many went."""
    cutoff = now - dt.timedelta(days=raw_days)
    session.flush()
    connection = session.connection()
    older = delete(Observation).where(Observation.observed_at < cutoff)
    if connection.dialect.name != "postgresql":
        return connection.execute(older).rowcount
    # Workers run this hourly; when two meet, one does it and the other has nothing to do.
    locked = connection.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtext('sensor_retention'))")
    ).scalar()
    if not locked:
        return 0
    removed = 0
    for name, month in monthly_partitions(connection):
        if _next_month(month) <= cutoff:
            removed += int(connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
            connection.exec_driver_sql(f"DROP TABLE {name}")
    return removed + connection.execute(older).rowcount
