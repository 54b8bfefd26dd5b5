"""NGSI-LD batch operations: create, upsert, update, delete and query.

Each entity succeeds or fails on its own (a savepoint each); the answer lists both, as
NGSI-LD's BatchOperationResult. Values and history of the whole batch are written at once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import ServicielleError
from servicielle.core.session import DbSession
from servicielle.sensors import service
from servicielle.sensors.ngsild.api import BASE, Tenant, Writer, query_entities
from servicielle.sensors.ngsild.entity import ParsedEntity, check_uri, parse_entity
from servicielle.sensors.ngsild.errors import BadRequestData, as_problem
from servicielle.sensors.ngsild.http import JsonBody, sequence_of_objects, split_list
from servicielle.sensors.repository import EntityRepository

router = APIRouter(prefix=f"{BASE}/entityOperations", tags=["NGSI-LD"])
MAX_BATCH = 1000


class _Batch:
    """Successes and per-entity errors of one batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.success: list[str] = []
        self.errors: list[dict[str, Any]] = []
        self.recorder = service.Recorder()

    def fail(self, entity_id: Any, exc: ServicielleError) -> None:
        self.errors.append({"entityId": str(entity_id), "error": as_problem(exc)})

    def parse(self, items: list[Any], open_world: bool) -> list[ParsedEntity]:
        parsed: list[ParsedEntity] = []
        for item in items:
            try:
                parsed.append(parse_entity(item, open_world=open_world))
            except ServicielleError as exc:
                self.fail(item.get("id") if isinstance(item, dict) else None, exc)
        return parsed

    def run(self, entity_id: str, action: Any) -> bool:
        try:
            with self.session.begin_nested():
                action()
        except ServicielleError as exc:
            self.fail(entity_id, exc)
            return False
        self.success.append(entity_id)
        return True

    def finish(self) -> None:
        self.recorder.store(self.session)

    def answer(self, *, created_status: int, body_ids: list[str] | None = None) -> Response:
        if self.errors:
            return JSONResponse({"success": self.success, "errors": self.errors}, status_code=207)
        if body_ids is None:
            return Response(status_code=204)
        return JSONResponse(body_ids, status_code=created_status)


def _entities(data: Any) -> list[Any]:
    return list(sequence_of_objects(data, "a batch operation", maximum=MAX_BATCH))


@router.post("/create", summary="Batch create")
@router.post("/create/", include_in_schema=False)
def batch_create(
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Create entities: 201 with their ids, or 207 with the failures."""
    batch = _Batch(session)
    writer = service.writer_for(session, principal, tenant)
    open_world = request.app.state.settings.sensors_open_world
    for parsed in batch.parse(_entities(body), open_world):
        batch.run(
            parsed.id,
            lambda p=parsed: service.create_entity(session, writer, p, batch.recorder),
        )
    batch.finish()
    return batch.answer(created_status=201, body_ids=batch.success)


@router.post("/upsert", summary="Batch upsert")
@router.post("/upsert/", include_in_schema=False)
def batch_upsert(
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
    options: str | None = None,
) -> Response:
    """Create or replace (``options=replace``, default) or update (``options=update``)."""
    mode = "update" if "update" in split_list(options) else "replace"
    batch = _Batch(session)
    writer = service.writer_for(session, principal, tenant)
    parsed_all = batch.parse(_entities(body), request.app.state.settings.sensors_open_world)
    existing = EntityRepository(session).by_ids([p.id for p in parsed_all])
    created: list[str] = []

    def upsert(parsed: ParsedEntity) -> None:
        entity = existing.get(parsed.id)
        if entity is None:
            existing[parsed.id] = service.create_entity(session, writer, parsed, batch.recorder)
            created.append(parsed.id)
        elif mode == "replace":
            service.replace_entity(session, writer, entity, parsed, batch.recorder)
        else:
            service.update_attributes(
                session, writer, entity, parsed.attrs, append=True, recorder=batch.recorder
            )

    for parsed in parsed_all:
        batch.run(parsed.id, lambda p=parsed: upsert(p))
    batch.finish()
    if batch.errors:
        return batch.answer(created_status=201)
    if created:
        return JSONResponse(created, status_code=201)
    return Response(status_code=204)


@router.post("/update", summary="Batch update")
@router.post("/update/", include_in_schema=False)
def batch_update(
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
    options: str | None = None,
) -> Response:
    """Update attributes of existing entities (``options=noOverwrite`` keeps existing ones)."""
    overwrite = "noOverwrite" not in split_list(options)
    batch = _Batch(session)
    writer = service.writer_for(session, principal, tenant)
    parsed_all = batch.parse(_entities(body), request.app.state.settings.sensors_open_world)
    existing = EntityRepository(session).by_ids([p.id for p in parsed_all])

    def update(parsed: ParsedEntity) -> None:
        entity = existing.get(parsed.id) or service.get_entity(session, parsed.id)
        service.update_attributes(
            session,
            writer,
            entity,
            parsed.attrs,
            append=True,
            overwrite=overwrite,
            recorder=batch.recorder,
        )

    for parsed in parsed_all:
        batch.run(parsed.id, lambda p=parsed: update(p))
    batch.finish()
    return batch.answer(created_status=204)


@router.post("/delete", summary="Batch delete")
@router.post("/delete/", include_in_schema=False)
def batch_delete(
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Delete entities by id."""
    ids = _entities(body)
    batch = _Batch(session)
    writer = service.writer_for(session, principal, tenant)
    valid: list[str] = []
    for raw in ids:
        try:
            valid.append(check_uri(raw))
        except ServicielleError as exc:
            batch.fail(raw, exc)
    existing = EntityRepository(session).by_ids(valid)

    def delete(entity_id: str) -> None:
        entity = existing.get(entity_id) or service.get_entity(session, entity_id)
        service.delete_entity(session, writer, entity)

    for entity_id in valid:
        batch.run(entity_id, lambda e=entity_id: delete(e))
    return batch.answer(created_status=204)


@router.post("/query", summary="Query by POST")
@router.post("/query/", include_in_schema=False)
def batch_query(
    request: Request, session: DbSession, body: JsonBody, tenant: Tenant = None
) -> Response:
    """A query sent as a body ``{"type": "Query", "entities": [...], "attrs", "q"}``."""
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise BadRequestData('the body must be a Query object ({"type": "Query", ...})')
    selectors = body.get("entities") or []
    types = ",".join(s["type"] for s in selectors if isinstance(s, dict) and "type" in s)
    ids = ",".join(s["id"] for s in selectors if isinstance(s, dict) and "id" in s)
    attrs = body.get("attrs")
    params = request.query_params
    return query_entities(
        request,
        session,
        tenant,
        id=ids or None,
        type=types or None,
        attrs=",".join(attrs) if isinstance(attrs, list) else None,
        q=body.get("q"),
        limit=params.get("limit"),
        offset=params.get("offset"),
        count=params.get("count"),
        options=params.get("options"),
    )
