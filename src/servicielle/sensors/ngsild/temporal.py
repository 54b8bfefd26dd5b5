"""NGSI-LD temporal API under ``/ngsi-ld/v1/temporal``: history and aggregates, read only.

Decisions where the spec leaves room or clients differ:

- Intervals are half-open: ``before`` is ``< timeAt``, ``after`` ``>= timeAt``, ``between``
  ``[timeAt, endTimeAt)`` (as Stellio), so consecutive windows never count an instance twice.
  Without ``timerel`` the whole history is read (ngsildclient's ``get`` sends none).
- ``timeproperty`` is ``observedAt`` only: the hub keeps observed values, not when they were
  received, so ``createdAt``/``modifiedAt`` answer OperationNotSupported rather than a
  silently different series.
- ``aggrPeriodDuration`` takes days, hours, minutes, seconds and weeks; months and years are
  refused (they have no fixed length). Periods start at ``timeAt`` when the window has a
  start, else at the Unix epoch (so P1D buckets are UTC days); ``P0D`` or no period means
  the whole range, reported from the first to the last instance.
- ``lastN`` returns the newest N instances per attribute, newest first; otherwise instances
  are chronological. More than ``MAX_INSTANCES`` per attribute answers 206 with
  ``Content-Range`` (spec §6.3.10), the response cut at the same instant for every attribute.
- ``q`` selects entities on their current values. Entities are paged by ``pageSize`` and the
  opaque ``pageAnchor`` given in ``Next-Page``; an entity deleted since keeps its history,
  reachable when named by id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from servicielle.core.session import DbSession
from servicielle.sensors.datamodels import model_of
from servicielle.sensors.models import SensorEntity
from servicielle.sensors.ngsild.api import Tenant, entity_conditions
from servicielle.sensors.ngsild.contexts import CORE_CONTEXT_URL
from servicielle.sensors.ngsild.entity import check_uri, format_instant
from servicielle.sensors.ngsild.errors import BadRequestData, ResourceNotFound
from servicielle.sensors.ngsild.http import JsonBody, entity_response, split_list, wants_ld
from servicielle.sensors.ngsild.temporal_params import (
    TemporalQuery,
    positive_int,
    temporal_query,
    words,
)
from servicielle.sensors.timeseries import Bucket, HistoryRepository, Instance, epoch_us

router = APIRouter(prefix="/ngsi-ld/v1/temporal", tags=["NGSI-LD temporal"])

MAX_INSTANCES = 10_000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


# --- rendering -----------------------------------------------------------------------------


def _unit(entity: SensorEntity, attribute: str) -> str | None:
    unit = (entity.attrs.get(attribute) or {}).get("unitCode")
    if isinstance(unit, str):
        return unit
    model = model_of(entity.type)
    spec = model.attributes.get(attribute) if model else None
    return spec.unit if spec else None


def instance_id(entity_pk: int, attribute: str, observed_at: dt.datetime) -> str:
    """A stable id of an instance: the same row always gets the same id."""
    return f"urn:ngsi-ld:Instance:{entity_pk}:{attribute}:{epoch_us(observed_at)}"


def _render_instances(
    entity: SensorEntity, attribute: str, instances: list[Instance], form: str
) -> Any:
    if form == "temporalValues":
        values = [[i.value, format_instant(i.observed_at)] for i in instances]
        return {"type": "Property", "values": values}
    unit = _unit(entity, attribute)
    rendered = []
    for i in instances:
        item: dict[str, Any] = {"type": "Property", "value": i.value}
        item["observedAt"] = format_instant(i.observed_at)
        item["instanceId"] = instance_id(i.entity_pk, attribute, i.observed_at)
        if unit:
            item["unitCode"] = unit
        rendered.append(item)
    return rendered


def _render_buckets(buckets: list[Bucket], methods: Sequence[str]) -> dict[str, Any]:
    attribute: dict[str, Any] = {"type": "Property"}
    triples: dict[str, list[list[Any]]] = {method: [] for method in methods}
    for bucket in buckets:
        start, end = format_instant(bucket.start), format_instant(bucket.end)
        for method in methods:
            value = bucket.value(method)
            if value is not None:
                triples[method].append([value, start, end])
    attribute.update(triples)
    return attribute


def _cap(
    groups: dict[tuple[int, str], list[Instance]], query: TemporalQuery, limit: int
) -> str | None:
    """Cut attributes over ``limit`` at one instant for all; the Content-Range, or None."""
    cut = {key: rows[limit - 1].observed_at for key, rows in groups.items() if len(rows) > limit}
    if not cut:
        return None
    newest_first = query.last_n is not None
    every = [row.observed_at for rows in groups.values() for row in rows]
    if newest_first:
        edge = max(cut.values())
        start = query.window.end or max(every)
    else:
        edge = min(cut.values())
        start = query.window.start or min(every)
    for key, rows in groups.items():
        groups[key] = [
            r
            for r in rows[:limit]
            if (r.observed_at >= edge if newest_first else r.observed_at <= edge)
        ]
    return f"date-time {format_instant(start)}-{format_instant(edge)}/*"


def render_page(
    session: Session, entities: list[SensorEntity], query: TemporalQuery, with_context: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """The temporal representation of each entity, and a Content-Range if it was cut."""
    history = HistoryRepository(session)
    pks = [e.pk for e in entities]
    attributes: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
    by_pk = {e.pk: e for e in entities}
    content_range = None
    if query.form == "aggregatedValues":
        grouped: dict[tuple[int, str], list[Bucket]] = {}
        for bucket in history.aggregate(
            pks, query.attrs, query.window, period_us=query.period_us, methods=query.methods
        ):
            grouped.setdefault((bucket.entity_pk, bucket.attribute), []).append(bucket)
        for (pk, name), buckets in grouped.items():
            kept = buckets[-query.last_n :] if query.last_n else buckets
            attributes[pk][name] = _render_buckets(kept, query.methods)
    else:
        limit = min(query.last_n or MAX_INSTANCES, MAX_INSTANCES)
        extra = 0 if query.last_n is not None and query.last_n <= MAX_INSTANCES else 1
        groups: dict[tuple[int, str], list[Instance]] = {}
        for row in history.instances(
            pks,
            query.attrs,
            query.window,
            per_attribute=limit + extra,
            newest_first=query.last_n is not None,
        ):
            groups.setdefault((row.entity_pk, row.attribute), []).append(row)
        content_range = _cap(groups, query, limit)
        for (pk, name), rows in groups.items():
            if rows:
                attributes[pk][name] = _render_instances(by_pk[pk], name, rows, query.form)
    bodies = []
    for entity in entities:
        body: dict[str, Any] = {"id": entity.id, "type": entity.type, **attributes[entity.pk]}
        if with_context:
            body["@context"] = entity.context or [CORE_CONTEXT_URL]
        bodies.append(body)
    return bodies, content_range


# --- routes --------------------------------------------------------------------------------


def _selector(
    session: DbSession,
    request: Request,
    tenant: str | None,
    *,
    ids: list[str],
    types: list[str],
    id_pattern: str | None,
    attrs: list[str],
    q: str | None,
) -> ColumnElement[bool]:
    conditions = entity_conditions(
        session,
        request,
        tenant,
        ids=ids,
        types=types,
        attrs=[] if ids else attrs,
        q=q,
        id_pattern=id_pattern,
    )
    if not ids:
        # Deleted entities keep their history, reachable when named by id.
        conditions.append(SensorEntity.deleted_at.is_(None))
    return and_(*conditions)


def _page_answer(
    session: DbSession,
    request: Request,
    condition: ColumnElement[bool],
    query: TemporalQuery,
    params: Mapping[str, Any],
) -> Response:
    size = positive_int(params.get("pageSize"), "pageSize", MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    anchor = params.get("pageAnchor") or "0"
    if not (str(anchor).isascii() and str(anchor).isdigit() and len(str(anchor)) <= 18):
        raise BadRequestData(f"pageAnchor {anchor!r} is not one this server gave in Next-Page")
    history = HistoryRepository(session)
    entities = history.entity_page(condition, after_pk=int(anchor), limit=size + 1)
    headers = {"Page-Size": str(size)}
    if len(entities) > size:
        entities = entities[:size]
        headers["Next-Page"] = str(entities[-1].pk)
    if params.get("count") == "true" or "count" in words(params.get("options"), "options"):
        headers["NGSILD-Results-Count"] = str(history.count_entities(condition))
    bodies, content_range = render_page(session, entities, query, wants_ld(request))
    if content_range:
        headers["Content-Range"] = content_range
    return entity_response(bodies, request, status=206 if content_range else 200, headers=headers)


@router.get("/entities", summary="Query the history of entities")
@router.get("/entities/", include_in_schema=False)
def query_temporal(
    request: Request,
    session: DbSession,
    tenant: Tenant = None,
    id: str | None = None,
    type: str | None = None,
    idPattern: str | None = None,
    attrs: str | None = None,
    q: str | None = None,
) -> Response:
    """History of the matching entities (timerel, lastN, options, aggr*, pageSize...)."""
    params = request.query_params
    query = temporal_query(params, split_list(attrs))
    condition = _selector(
        session,
        request,
        tenant,
        ids=split_list(id),
        types=split_list(type),
        id_pattern=idPattern,
        attrs=split_list(attrs),
        q=q,
    )
    return _page_answer(session, request, condition, query, params)


@router.get("/entities/{entity_id}", summary="The history of one entity")
def retrieve_temporal(
    entity_id: str,
    request: Request,
    session: DbSession,
    tenant: Tenant = None,
    attrs: str | None = None,
) -> Response:
    """One entity's history, also after it was deleted (same parameters as the query)."""
    check_uri(entity_id)
    query = temporal_query(request.query_params, split_list(attrs))
    condition = _selector(
        session, request, tenant, ids=[entity_id], types=[], id_pattern=None, attrs=[], q=None
    )
    entities = HistoryRepository(session).entity_page(condition, after_pk=0, limit=1)
    if not entities:
        raise ResourceNotFound(f"no entity {entity_id}")
    bodies, content_range = render_page(session, entities, query, wants_ld(request))
    headers = {"Content-Range": content_range} if content_range else {}
    return entity_response(
        bodies[0], request, status=206 if content_range else 200, headers=headers
    )


def _text(raw: Any, name: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise BadRequestData(f"{name} must be a string")


def _with_geo(request: Request, geo: Any) -> Request:
    """The request as if the body's geoQ had come as query parameters (one code path)."""
    if not isinstance(geo, dict):
        raise BadRequestData("geoQ must be an object with georel, geometry and coordinates")
    params = dict(request.query_params)
    for key in ("georel", "geometry", "coordinates", "geoproperty"):
        value = geo.get(key)
        if value is not None:
            params[key] = value if isinstance(value, str) else json.dumps(value)
    return Request({**request.scope, "query_string": urlencode(params).encode()})


@router.post("/entityOperations/query", summary="Query the history by POST")
@router.post("/entityOperations/query/", include_in_schema=False)
def query_temporal_post(
    request: Request, session: DbSession, body: JsonBody, tenant: Tenant = None
) -> Response:
    """A Query body ``{"type": "Query", "entities", "attrs", "q", "geoQ", "temporalQ"}``."""
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise BadRequestData('the body must be a Query object ({"type": "Query", ...})')
    temporal = body.get("temporalQ") or {}
    selectors = body.get("entities") or [{}]
    if not isinstance(temporal, dict) or not isinstance(selectors, list):
        raise BadRequestData("temporalQ must be an object and entities an array")
    attrs = words(body.get("attrs"), "attrs")
    q = body.get("q")
    if q is not None and not isinstance(q, str):
        raise BadRequestData("q must be a string")
    params = {**request.query_params, **{k: v for k, v in temporal.items() if v is not None}}
    query = temporal_query(params, attrs)
    scoped = _with_geo(request, body["geoQ"]) if body.get("geoQ") else request
    conditions = []
    for selector in selectors:
        if not isinstance(selector, dict):
            raise BadRequestData("each item of entities must be an object (type, id, idPattern)")
        conditions.append(
            _selector(
                session,
                scoped,
                tenant,
                ids=words(selector.get("id"), "entities id"),
                types=words(selector.get("type"), "entities type"),
                id_pattern=_text(selector.get("idPattern"), "idPattern"),
                attrs=attrs,
                q=q,
            )
        )
    return _page_answer(session, request, or_(*conditions), query, params)
