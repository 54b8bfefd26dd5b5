"""``datastore_search``: CKAN's row API over the same tables as the records API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, FromClause, String, cast, func, or_, select

from servicielle.catalog.ckan.actions import Context, _int, _ref, _resource, action
from servicielle.catalog.datastore import ROW_ID
from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.published import rows_source
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import _

ROWS_MAX = 32_000
CKAN_TYPES = {
    FieldType.TEXT: "text",
    FieldType.INTEGER: "int",
    FieldType.DOUBLE: "numeric",
    FieldType.BOOLEAN: "bool",
    FieldType.DATE: "date",
    FieldType.DATETIME: "timestamp",
    FieldType.GEO_POINT: "text",
    FieldType.GEO_SHAPE: "text",
}


def _coerce(field: Field, value: Any) -> Any:
    """A filter value as the column's Python type; a wrong one names the field."""
    try:
        if field.type == FieldType.INTEGER:
            return int(value)
        if field.type == FieldType.DOUBLE:
            return float(value)
        if field.type == FieldType.BOOLEAN:
            if isinstance(value, bool):
                return value
            return {"true": True, "false": False}[str(value).lower()]
        if field.type == FieldType.DATE:
            return dt.date.fromisoformat(str(value))
        if field.type == FieldType.DATETIME:
            return dt.datetime.fromisoformat(str(value))
    except (ValueError, KeyError, TypeError):
        raise InvalidInput.on_field(
            "filters",
            _("The value {value!r} does not fit the field {field} ({type}).").format(
                value=value, field=field.name, type=CKAN_TYPES[field.type]
            ),
        ) from None
    if field.is_geo:
        raise InvalidInput.on_field(
            "filters", _("The field {field} cannot be filtered on.").format(field=field.name)
        )
    return str(value)


def _columns(source: FromClause, field: Field) -> list[ColumnElement[Any]]:
    if field.type == FieldType.GEO_POINT:
        return [source.c[f"{field.column}_lon"], source.c[f"{field.column}_lat"]]
    return [source.c[field.column]]


def _value(field: Field, row: Any, index: int) -> tuple[Any, int]:
    if field.type == FieldType.GEO_POINT:
        lon, lat = row[index], row[index + 1]
        return (None if lon is None else f"{lat},{lon}"), index + 2
    value = row[index]
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return value, index + 1


def _field_names(raw: Any) -> list[str] | None:
    if raw in (None, "", []):
        return None
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.split(",")
        raw = parsed if isinstance(parsed, list) else [raw]
    if not isinstance(raw, list):
        raise InvalidInput.on_field("fields", _("Must be a list."))
    return [str(n).strip() for n in raw]


def _filters(raw: Any, by_name: dict[str, Field], source: FromClause) -> list[ColumnElement[bool]]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InvalidInput.on_field("filters", _("Must be a JSON object.")) from None
    if not isinstance(raw, dict):
        raise InvalidInput.on_field("filters", _("Must be a JSON object."))
    clauses: list[ColumnElement[bool]] = []
    for name, value in raw.items():
        field = by_name.get(name)
        if field is None:
            raise InvalidInput.on_field(
                "filters", _("No field {field!r} in this table.").format(field=name)
            )
        column = _columns(source, field)[0]
        if isinstance(value, list):
            clauses.append(column.in_([_coerce(field, v) for v in value]))
        else:
            clauses.append(column == _coerce(field, value))
    return clauses


def _q(
    raw: Any, fields: list[Field], by_name: dict[str, Field], source: FromClause
) -> list[ColumnElement[bool]]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str) and raw.startswith("{"):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    if isinstance(raw, dict):
        clauses = []
        for name, text in raw.items():
            field = by_name.get(name)
            if field is None or field.is_geo:
                raise InvalidInput.on_field(
                    "q", _("No field {field!r} in this table.").format(field=name)
                )
            column = cast(_columns(source, field)[0], String)
            clauses.append(func.lower(column).contains(str(text).lower(), autoescape=True))
        return clauses
    text = str(raw).lower()
    searchable = [f for f in fields if f.type == FieldType.TEXT]
    if not searchable:
        return []
    return [
        or_(*(func.lower(source.c[f.column]).contains(text, autoescape=True) for f in searchable))
    ]


def _order(raw: Any, by_name: dict[str, Field], source: FromClause) -> list[ColumnElement[Any]]:
    order: list[ColumnElement[Any]] = []
    for part in str(raw or "").split(","):
        words = part.split()
        if not words:
            continue
        name = words[0].strip('"')
        descending = len(words) > 1 and words[1].lower() == "desc"
        column: ColumnElement[Any]
        if name == ROW_ID and ROW_ID in source.c:
            column = source.c[ROW_ID]
        elif name in by_name and not by_name[name].is_geo:
            column = _columns(source, by_name[name])[0]
        else:
            raise InvalidInput.on_field("sort", _("Cannot sort by {field!r}.").format(field=name))
        order.append(column.desc() if descending else column.asc())
    return order


@action()
def datastore_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Rows of a resource's table, filtered, searched, sorted and paged."""
    resource = _resource(ctx, _ref(data, "resource_id"))
    if not resource.datastore_active:
        raise NotFound(_("Resource {ref!r} has no datastore table.").format(ref=resource.id))
    source, fields = rows_source(resource)
    by_name = {f.name: f for f in fields}
    names = _field_names(data.get("fields"))
    has_id = ROW_ID in source.c
    if names is not None:
        unknown = [n for n in names if n not in by_name and n != ROW_ID]
        if unknown:
            raise InvalidInput.on_field(
                "fields", _("No field {field!r} in this table.").format(field=unknown[0])
            )
        chosen = [by_name[n] for n in names if n in by_name]
        show_id = has_id and ROW_ID in names
    else:
        chosen, show_id = fields, has_id
    limit = min(_int(data, "limit", 100), ROWS_MAX)
    offset = _int(data, "offset", 0)
    where = _filters(data.get("filters"), by_name, source) + _q(
        data.get("q"), fields, by_name, source
    )
    order = _order(data.get("sort"), by_name, source) or ([source.c[ROW_ID]] if has_id else [])
    total = int(ctx.session.scalar(select(func.count()).select_from(source).where(*where)) or 0)
    columns = ([source.c[ROW_ID]] if show_id else []) + [
        c for f in chosen for c in _columns(source, f)
    ]
    records = []
    if limit > 0 and columns:
        rows = ctx.session.execute(
            select(*columns).where(*where).order_by(*order).limit(limit).offset(offset)
        )
        for row in rows:
            record: dict[str, Any] = {}
            index = 0
            if show_id:
                record[ROW_ID] = row[0]
                index = 1
            for field in chosen:
                record[field.name], index = _value(field, row, index)
            records.append(record)
    described: list[dict[str, Any]] = [{"id": ROW_ID, "type": "int"}] if show_id else []
    described += [
        {
            "id": f.name,
            "type": CKAN_TYPES[f.type],
            "info": {"label": f.label, "notes": f.description},
        }
        for f in chosen
    ]
    base = f"/api/3/action/datastore_search?resource_id={resource.id}"
    return {
        "resource_id": resource.id,
        "fields": described,
        "records": records,
        "total": total,
        "total_was_estimated": False,
        "limit": limit,
        "offset": offset,
        "filters": data.get("filters") or {},
        "_links": {"start": base, "next": f"{base}&offset={offset + limit}"},
    }
