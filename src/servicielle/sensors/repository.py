"""Queries of the real-time hub."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from servicielle.core.repository import Repository
from servicielle.sensors.models import LatestValue, SensorEntity
from servicielle.sensors.store import join_value, split_value


class EntityRepository(Repository[SensorEntity]):
    """Live (not deleted) entities."""

    model = SensorEntity

    def base_statement(self) -> Select[Any]:
        """Entities not deleted."""
        return select(SensorEntity).where(SensorEntity.deleted_at.is_(None))

    def by_id(self, entity_id: str, *, include_deleted: bool = False) -> SensorEntity | None:
        """The entity with this URN."""
        statement = select(SensorEntity).where(SensorEntity.id == entity_id)
        if not include_deleted:
            statement = statement.where(SensorEntity.deleted_at.is_(None))
        return self.session.scalars(statement).one_or_none()

    def by_ids(self, entity_ids: Iterable[str]) -> dict[str, SensorEntity]:
        """Live entities by URN, fetched in chunks (SQLite limits bound parameters)."""
        found: dict[str, SensorEntity] = {}
        ids = list(dict.fromkeys(entity_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for entity in self.session.scalars(
                self.base_statement().where(SensorEntity.id.in_(chunk))
            ):
                found[entity.id] = entity
        return found

    def matching(self, *conditions: ColumnElement[bool]) -> Select[Any]:
        """Live entities matching every condition, in a stable order."""
        return self.base_statement().where(*conditions).order_by(SensorEntity.pk)

    def types(self) -> list[tuple[str, int]]:
        """Entity types in use with their counts."""
        rows = self.session.execute(
            select(SensorEntity.type, func.count())
            .where(SensorEntity.deleted_at.is_(None))
            .group_by(SensorEntity.type)
            .order_by(SensorEntity.type)
        )
        return [(t, n) for t, n in rows]


class LatestRepository:
    """Current values of entities' Properties."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_entities(
        self, pks: Sequence[int]
    ) -> dict[int, dict[str, tuple[Any, dt.datetime | None]]]:
        """Entity pk → attribute → (value, observedAt)."""
        values: dict[int, dict[str, tuple[Any, dt.datetime | None]]] = {}
        for start in range(0, len(pks), 500):
            rows = self.session.execute(
                select(LatestValue).where(LatestValue.entity_pk.in_(pks[start : start + 500]))
            ).scalars()
            for row in rows:
                values.setdefault(row.entity_pk, {})[row.attribute] = (
                    join_value(row.value_num, row.value_text, row.value_json),
                    row.observed_at,
                )
        return values

    def set(self, rows: Sequence[tuple[int, str, Any, dt.datetime | None]]) -> None:
        """Overwrite current values (entity pk, attribute, value, observedAt or None)."""
        if not rows:
            return
        now = dt.datetime.now(dt.UTC)
        # PostgreSQL refuses to upsert the same row twice in one statement: last one wins.
        last = {(row[0], row[1]): row for row in rows}
        values = []
        for entity_pk, attribute, value, observed_at in last.values():
            number, string, other = split_value(value)
            values.append(
                {
                    "entity_pk": entity_pk,
                    "attribute": attribute,
                    "observed_at": observed_at,
                    "value_num": number,
                    "value_text": string,
                    "value_json": None if other is None else json.loads(other),
                    "modified_at": now,
                }
            )
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(LatestValue)
        statement = statement.on_conflict_do_update(
            index_elements=["entity_pk", "attribute"],
            set_={
                column: statement.excluded[column]
                for column in (
                    "observed_at",
                    "value_num",
                    "value_text",
                    "value_json",
                    "modified_at",
                )
            },
        )
        for start in range(0, len(values), 500):
            self.session.execute(statement, values[start : start + 500])

    def delete(self, entity_pk: int, attributes: Iterable[str] | None = None) -> None:
        """Forget current values of an entity (all, or some attributes)."""
        statement = delete(LatestValue).where(LatestValue.entity_pk == entity_pk)
        if attributes is not None:
            statement = statement.where(LatestValue.attribute.in_(list(attributes)))
        self.session.execute(statement)
