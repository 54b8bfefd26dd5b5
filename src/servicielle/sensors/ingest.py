"""Observations in bulk, from HTTP (JSON, NDJSON, CSV) or MQTT: checked row by row, stored once.

A row is ``{"entity", "attribute", "value", "observedAt"}``. Rows that cannot be stored are
reported with the reason and never stop the others; an entity of another organisation stops
the whole batch (nothing is stored), since that is a credentials problem, not a data one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.errors import BadRequest, Forbidden, PayloadTooLarge
from servicielle.core.permissions import Principal
from servicielle.sensors import subscriptions
from servicielle.sensors.datamodels import ValueKind, model_of
from servicielle.sensors.models import SensorEntity
from servicielle.sensors.ngsild.entity import MAX_FUTURE
from servicielle.sensors.store import ObservationRow, write_observations

CSV_HEADER = ["entity", "attribute", "value", "observedAt"]
MAX_REJECTIONS_LISTED = 1000


@dataclass(frozen=True)
class Rejection:
    """A row that was not stored, and why."""

    index: int
    reason: str
    entity: str | None = None
    attribute: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as the API answers it."""
        return {
            "index": self.index,
            "entity": self.entity,
            "attribute": self.attribute,
            "reason": self.reason,
        }


@dataclass
class IngestReport:
    """Counts of a batch and the reasons rows were rejected."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as the API answers it."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": len(self.rejections),
            "rejections": [
                r.to_dict()
                for r in sorted(self.rejections, key=lambda r: r.index)[:MAX_REJECTIONS_LISTED]
            ],
        }


@dataclass(frozen=True)
class RawObservation:
    """A row as received, before its entity is looked up."""

    index: int
    entity: str
    attribute: str
    value: Any
    observed_at: dt.datetime


def _instant(value: Any, now: dt.datetime) -> dt.datetime | str:
    if not isinstance(value, str):
        return "observedAt must be an ISO 8601 date-time string"
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return f"observedAt is not an ISO 8601 date-time: {value!r}"
    if instant.tzinfo is None:
        return f"observedAt has no time zone (add Z for UTC): {value!r}"
    if instant > now + MAX_FUTURE:
        return f"observedAt is in the future: {value!r}"
    if instant.year < 1970:
        return f"observedAt is before 1970: {value!r}"
    return instant.astimezone(dt.UTC)


class _Unreadable(dict[str, Any]):
    """A line that was not JSON: carried to the report as a rejection."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def check_rows(items: Iterable[Any], report: IngestReport) -> list[RawObservation]:
    """Rows with the right shape; the others become rejections."""
    now = dt.datetime.now(dt.UTC)
    rows: list[RawObservation] = []
    for index, item in enumerate(items):
        report.received += 1
        if isinstance(item, _Unreadable):
            report.rejections.append(Rejection(index, item.reason))
            continue
        if not isinstance(item, dict):
            report.rejections.append(Rejection(index, "a row must be a JSON object"))
            continue
        entity, attribute = item.get("entity"), item.get("attribute")
        missing = [k for k in ("entity", "attribute", "value", "observedAt") if item.get(k) is None]
        if missing:
            reason = "missing " + ", ".join(missing)
            report.rejections.append(Rejection(index, reason, _str(entity), _str(attribute)))
            continue
        if not isinstance(entity, str) or not isinstance(attribute, str):
            reason = "entity and attribute must be strings"
            report.rejections.append(Rejection(index, reason, _str(entity), _str(attribute)))
            continue
        instant = _instant(item["observedAt"], now)
        if isinstance(instant, str):
            report.rejections.append(Rejection(index, instant, entity, attribute))
            continue
        rows.append(RawObservation(index, entity, attribute, item["value"], instant))
    return rows


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _coerce(value: Any, kind: ValueKind | None) -> Any:
    """CSV gives text: read it as the model's kind (or as a number when it looks like one)."""
    if not isinstance(value, str) or kind is ValueKind.TEXT:
        return value
    if kind is ValueKind.BOOLEAN or (kind is None and value in ("true", "false")):
        return {"true": True, "false": False}.get(value, value)
    try:
        number = (
            float(value.replace(",", ".")) if kind is ValueKind.NUMBER or kind is None else None
        )
    except ValueError:
        return value
    return value if number is None else number


def store_rows(
    session: Session,
    rows: Sequence[RawObservation],
    report: IngestReport,
    *,
    principal: Principal | None,
    from_text: bool = False,
) -> IngestReport:
    """Look up entities, check values against their model, store; flushes, never commits."""
    entities = _entities(session, {row.entity for row in rows})
    if principal is not None:
        foreign = sorted(e[1] for e in entities.values() if not principal.acts_for(e[3]))
        if foreign:
            raise Forbidden(
                f"{len(foreign)} entities of this batch belong to another organisation "
                f"(first: {foreign[0]}); nothing was stored"
            )
    accepted: list[ObservationRow] = []
    for row in rows:
        found = entities.get(row.entity)
        if found is None:
            report.rejections.append(
                Rejection(row.index, "unknown entity", row.entity, row.attribute)
            )
            continue
        pk, _id, entity_type, _org, attrs = found
        model = model_of(entity_type)
        spec = model.attributes.get(row.attribute) if model else None
        if spec is None and row.attribute not in attrs and model is not None:
            reason = f"{entity_type} has no attribute {row.attribute}"
            report.rejections.append(Rejection(row.index, reason, row.entity, row.attribute))
            continue
        value = _coerce(row.value, spec.kind if spec else None) if from_text else row.value
        problem = spec.check(value) if spec else None
        if problem:
            report.rejections.append(Rejection(row.index, problem, row.entity, row.attribute))
            continue
        accepted.append((pk, row.attribute, row.observed_at, value))
    result = write_observations(session, accepted)
    report.stored += result.stored
    report.duplicates += result.duplicates
    if result.changed_entities:
        changed_attrs: dict[int, set[str]] = {}
        for pk, attribute, _at, _value in accepted:
            if pk in result.changed_entities:
                changed_attrs.setdefault(pk, set()).add(attribute)
        subscriptions.enqueue(session, changed_attrs)
    return report


def _entities(
    session: Session, ids: set[str]
) -> dict[str, tuple[int, str, str, int, dict[str, Any]]]:
    found: dict[str, tuple[int, str, str, int, dict[str, Any]]] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 500):
        statement = select(
            SensorEntity.pk,
            SensorEntity.id,
            SensorEntity.type,
            SensorEntity.organisation_id,
            SensorEntity.attrs,
        ).where(
            SensorEntity.id.in_(id_list[start : start + 500]), SensorEntity.deleted_at.is_(None)
        )
        for pk, entity_id, entity_type, organisation_id, attrs in session.execute(statement):
            found[entity_id] = (pk, entity_id, entity_type, organisation_id, attrs or {})
    return found


def parse_body(body: bytes, media_type: str, *, max_rows: int) -> tuple[list[Any], bool]:
    """The rows of a request body, and whether they came as text (CSV)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    if media_type in ("text/csv", "application/csv"):
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != CSV_HEADER:
            raise BadRequest("the CSV header must be exactly: " + ",".join(CSV_HEADER))
        items: list[Any] = []
        for line in reader:
            if not line:
                continue
            if len(items) >= max_rows:
                raise _too_many(max_rows)
            if len(line) == len(CSV_HEADER):
                items.append(dict(zip(CSV_HEADER, line, strict=True)))
            else:
                reason = f"line {reader.line_num} has {len(line)} columns instead of 4"
                items.append(_Unreadable(reason))
        return items, True
    if media_type in ("application/x-ndjson", "application/jsonl", "application/json-seq"):
        items = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            if len(items) >= max_rows:
                raise _too_many(max_rows)
            try:
                items.append(json.loads(raw))
            except json.JSONDecodeError as exc:
                items.append(_Unreadable(f"line {number} is not valid JSON: {exc.msg}"))
        return items, False
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    if len(items) > max_rows:
        raise _too_many(max_rows)
    return items, False


def _too_many(max_rows: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"a batch holds at most {max_rows} observations; split it")
