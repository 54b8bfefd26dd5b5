"""Session hooks that turn every flushed insert, update and delete into audit entries.

Models opt out with ``__audit__ = False`` (the audit table itself, high-volume counters) and
mask secrets with ``__audit_redact__ = {"password_hash", ...}``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from servicielle.core.audit.models import AuditEntry
from servicielle.core.db import Base, utcnow
from servicielle.core.session import audit_context

REDACTED = "***"
_PENDING = "audit_pending"
_NEW = "audit_new"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return value
    return str(value)


def _audited(obj: object) -> bool:
    return isinstance(obj, Base) and getattr(obj, "__audit__", True)


def _identity(obj: Base) -> str:
    # The identity key is not set yet in after_flush: read the primary key columns instead.
    return ",".join(str(part) for part in inspect(obj).mapper.primary_key_from_instance(obj))


def _column_values(obj: Base) -> dict[str, Any]:
    redact: frozenset[str] = getattr(obj, "__audit_redact__", frozenset())
    mapper = inspect(obj).mapper
    return {
        attr.key: REDACTED if attr.key in redact else _jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
    }


def _changed_values(obj: Base) -> dict[str, Any]:
    redact: frozenset[str] = getattr(obj, "__audit_redact__", frozenset())
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        if attr.key in redact:
            changes[attr.key] = REDACTED
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        changes[attr.key] = [_jsonable(old), _jsonable(new)]
    for quiet in ("modified_at", *getattr(obj, "__audit_quiet__", ())):
        changes.pop(quiet, None)
    return changes


def _entry(session: Session, action: str, obj: Base, changes: dict[str, Any]) -> dict[str, Any]:
    ctx = audit_context(session)
    return {
        "at": utcnow(),
        "actor_id": ctx.actor_id,
        "via": ctx.via,
        "ip": ctx.ip,
        "user_agent": ctx.user_agent,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": _identity(obj),
        "changes": changes,
    }


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _changed_values(obj)
            if changes:
                pending.append(_entry(session, "update", obj, changes))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(_entry(session, "delete", obj, _column_values(obj)))
    session.info[_NEW] = [obj for obj in session.new if _audited(obj)]


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    rows: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    rows += [
        _entry(session, "create", obj, _column_values(obj)) for obj in session.info.pop(_NEW, [])
    ]
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def install() -> None:
    """Listen on every ORM session; idempotent."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
