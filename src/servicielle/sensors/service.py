"""Entity writes: ownership, the current-value table, history and notifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import Forbidden
from servicielle.core.permissions import Principal
from servicielle.core.territory.models import Organisation
from servicielle.sensors import subscriptions
from servicielle.sensors.datamodels import model_of
from servicielle.sensors.models import SensorEntity
from servicielle.sensors.ngsild.entity import ParsedEntity, format_instant, parse_instant
from servicielle.sensors.ngsild.errors import (
    AlreadyExists,
    BadRequestData,
    NonexistentTenant,
    ResourceNotFound,
)
from servicielle.sensors.repository import EntityRepository, LatestRepository
from servicielle.sensors.store import ObservationRow, write_observations


@dataclass(frozen=True)
class Writer:
    """Who writes: the organisation entities are created for, and the principal checked."""

    principal: Principal
    organisation_id: int | None


def writer_for(session: Session, principal: Principal, tenant: str | None) -> Writer:
    """The organisation a write acts for: the tenant header, else the principal's own."""
    if tenant:
        organisation = session.scalars(
            select(Organisation).where(Organisation.slug == tenant)
        ).one_or_none()
        if organisation is None:
            raise NonexistentTenant(f"no tenant (organisation) named {tenant!r}")
        if not principal.acts_for(organisation.id):
            raise Forbidden(f"this token may not write for {tenant!r}")
        return Writer(principal, organisation.id)
    if len(principal.organisation_ids) == 1:
        return Writer(principal, next(iter(principal.organisation_ids)))
    return Writer(principal, None)


def _owner_for_new(writer: Writer) -> int:
    if writer.organisation_id is None:
        raise BadRequestData(
            "say which organisation the entity belongs to with the NGSILD-Tenant header "
            "(its slug): this account acts for several or none"
        )
    return writer.organisation_id


def check_owner(writer: Writer, entity: SensorEntity) -> None:
    """Operators write only their own entities."""
    if not writer.principal.acts_for(entity.organisation_id):
        raise Forbidden(f"entity {entity.id} belongs to another organisation")


def _bbox(attrs: Mapping[str, Mapping[str, Any]]) -> tuple[float | None, ...]:
    location = attrs.get("location")
    if not location or not isinstance(location.get("value"), dict):
        return (None, None, None, None)
    return tuple(shape(location["value"]).bounds)


def _apply_geometry(entity: SensorEntity) -> None:
    entity.min_lon, entity.min_lat, entity.max_lon, entity.max_lat = _bbox(entity.attrs)
    name = entity.attrs.get("name")
    entity.name = str(name.get("value"))[:300] if name and name.get("value") else None


class Recorder:
    """Collects current values, history and changes of several writes, then stores them at once.

    A batch of 1,000 entities thus costs one bulk write instead of 1,000.
    """

    def __init__(self) -> None:
        self.history: list[ObservationRow] = []
        self.current: list[tuple[int, str, Any, dt.datetime | None]] = []
        self.changes: dict[int, set[str]] = {}

    def add(self, entity: SensorEntity, attrs: Mapping[str, Mapping[str, Any]]) -> None:
        """Note the Properties of ``attrs`` (history when they carry observedAt)."""
        for name, attribute in attrs.items():
            kind = attribute.get("type")
            if kind == "Relationship":
                self.current.append((entity.pk, name, attribute.get("object"), None))
            elif kind in ("Property", "JsonProperty", "ListProperty") and "value" in attribute:
                observed = attribute.get("observedAt")
                instant = parse_instant(observed, name) if observed else None
                if instant is not None:
                    self.history.append((entity.pk, name, instant, attribute["value"]))
                # What an NGSI-LD write says is the entity's state, even when its instant is
                # already in the history (a revived entity, a corrected value).
                self.current.append((entity.pk, name, attribute["value"], instant))
        self.changes.setdefault(entity.pk, set()).update(attrs)

    def store(self, session: Session) -> None:
        """Write what was collected; flushes, never commits."""
        LatestRepository(session).set(self.current)
        write_observations(session, self.history)
        subscriptions.enqueue(session, self.changes)
        self.history, self.current, self.changes = [], [], {}


def _record(
    session: Session,
    entity: SensorEntity,
    attrs: Mapping[str, Mapping[str, Any]],
    recorder: Recorder | None,
) -> None:
    if recorder is not None:
        recorder.add(entity, attrs)
        return
    own = Recorder()
    own.add(entity, attrs)
    own.store(session)


def create_entity(
    session: Session, writer: Writer, parsed: ParsedEntity, recorder: Recorder | None = None
) -> SensorEntity:
    """A new entity; AlreadyExists when the id is taken (a deleted one is revived)."""
    repository = EntityRepository(session)
    entity = repository.by_id(parsed.id, include_deleted=True)
    if entity is not None and entity.deleted_at is None:
        raise AlreadyExists(f"entity {parsed.id} already exists")
    if entity is None:
        entity = SensorEntity(id=parsed.id, organisation_id=_owner_for_new(writer))
        session.add(entity)
    else:
        check_owner(writer, entity)
        entity.deleted_at = None
        entity.created_at = utcnow()
        LatestRepository(session).delete(entity.pk)
    entity.type = parsed.type
    entity.attrs = parsed.attrs
    entity.context = parsed.context
    _apply_geometry(entity)
    session.flush()
    _record(session, entity, parsed.attrs, recorder)
    return entity


def get_entity(session: Session, entity_id: str) -> SensorEntity:
    """The live entity with this id, or ResourceNotFound."""
    entity = EntityRepository(session).by_id(entity_id)
    if entity is None:
        raise ResourceNotFound(f"no entity {entity_id}")
    return entity


@dataclass
class AttrsUpdate:
    """What a partial update changed and what it left (for 207 answers)."""

    updated: list[str] = field(default_factory=list)
    not_updated: list[tuple[str, str]] = field(default_factory=list)


def update_attributes(
    session: Session,
    writer: Writer,
    entity: SensorEntity,
    attrs: Mapping[str, dict[str, Any]],
    *,
    append: bool = False,
    overwrite: bool = True,
    recorder: Recorder | None = None,
) -> AttrsUpdate:
    """PATCH (existing attributes only) or POST (append) attributes."""
    check_owner(writer, entity)
    result = AttrsUpdate()
    merged = dict(entity.attrs)
    changed: dict[str, dict[str, Any]] = {}
    for name, attribute in attrs.items():
        exists = name in merged
        if not append and not exists:
            result.not_updated.append((name, "attribute does not exist"))
            continue
        if append and exists and not overwrite:
            result.not_updated.append((name, "attribute exists and noOverwrite was asked"))
            continue
        if not append and exists:
            # A partial update keeps what it does not mention (unitCode, sub-attributes).
            attribute = {**merged[name], **attribute}
        merged[name] = attribute
        changed[name] = attribute
        result.updated.append(name)
    if changed:
        entity.attrs = merged
        entity.modified_at = utcnow()
        _apply_geometry(entity)
        session.flush()
        _record(session, entity, changed, recorder)
    return result


def replace_entity(
    session: Session,
    writer: Writer,
    entity: SensorEntity,
    parsed: ParsedEntity,
    recorder: Recorder | None = None,
) -> None:
    """Replace every attribute of an existing entity (upsert with options=replace)."""
    check_owner(writer, entity)
    removed = set(entity.attrs) - set(parsed.attrs)
    entity.type = parsed.type
    entity.attrs = parsed.attrs
    entity.context = parsed.context or entity.context
    entity.modified_at = utcnow()
    _apply_geometry(entity)
    session.flush()
    if removed:
        LatestRepository(session).delete(entity.pk, removed)
    _record(session, entity, parsed.attrs, recorder)


def delete_entity(session: Session, writer: Writer, entity: SensorEntity) -> None:
    """Delete an entity; its history stays for the temporal API and the aggregates."""
    check_owner(writer, entity)
    entity.deleted_at = utcnow()
    LatestRepository(session).delete(entity.pk)
    session.flush()


def delete_attribute(session: Session, writer: Writer, entity: SensorEntity, name: str) -> None:
    """Remove one attribute of an entity."""
    check_owner(writer, entity)
    if name not in entity.attrs:
        raise ResourceNotFound(f"entity {entity.id} has no attribute {name}")
    entity.attrs = {k: v for k, v in entity.attrs.items() if k != name}
    entity.modified_at = utcnow()
    _apply_geometry(entity)
    LatestRepository(session).delete(entity.pk, [name])
    session.flush()


def current_attributes(
    entity: SensorEntity, latest: Mapping[str, tuple[Any, dt.datetime | None]]
) -> dict[str, dict[str, Any]]:
    """The entity's attributes with the latest values laid over the stored ones."""
    attrs = {name: dict(attribute) for name, attribute in entity.attrs.items()}
    model = model_of(entity.type)
    for name, (value, observed_at) in latest.items():
        attribute = attrs.get(name)
        if attribute is not None and attribute.get("type") == "Relationship":
            continue
        if attribute is None:
            attribute = attrs[name] = {"type": "Property"}
            spec = model.attributes.get(name) if model else None
            if spec is not None and spec.unit:
                attribute["unitCode"] = spec.unit
        attribute["value"] = value
        if observed_at is not None:
            attribute["observedAt"] = format_instant(observed_at)
    return attrs
