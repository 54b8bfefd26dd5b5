"""NGSI-LD entities, types and contexts under ``/ngsi-ld/v1``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, and_, func, or_, select, true

from servicielle.core.accounts.auth import Authorize
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.territory.models import Organisation
from servicielle.sensors import service
from servicielle.sensors.models import LatestValue, SensorEntity
from servicielle.sensors.ngsild.contexts import (
    CORE_CONTEXT_URL,
    bundled,
    core_context,
    domain_contexts,
)
from servicielle.sensors.ngsild.entity import (
    check_uri,
    parse_attributes,
    parse_entity,
)
from servicielle.sensors.ngsild.errors import (
    BadRequestData,
    NonexistentTenant,
    ResourceNotFound,
)
from servicielle.sensors.ngsild.geo import geo_condition, parse_geo
from servicielle.sensors.ngsild.http import (
    JsonBody,
    RenderOptions,
    entity_response,
    parse_limit,
    parse_offset,
    parse_options,
    render_entity,
    split_list,
    wants_ld,
)
from servicielle.sensors.ngsild.query import compile_q
from servicielle.sensors.repository import EntityRepository, LatestRepository

router = APIRouter(prefix="/ngsi-ld/v1", tags=["NGSI-LD"])
BASE = "/ngsi-ld/v1"
Tenant = Annotated[str | None, Header(alias="NGSILD-Tenant")]
Writer = Annotated[Principal, Authorize("sensors.entity.write")]


def _tenant_condition(session: DbSession, tenant: str | None) -> ColumnElement[bool]:
    if not tenant:
        return true()
    organisation_id = session.scalar(select(Organisation.id).where(Organisation.slug == tenant))
    if organisation_id is None:
        raise NonexistentTenant(f"no tenant (organisation) named {tenant!r}")
    return SensorEntity.organisation_id == organisation_id


def render_many(
    session: DbSession, entities: list[SensorEntity], options: RenderOptions
) -> list[dict[str, Any]]:
    """Entities with their current values, in the asked form."""
    latest = LatestRepository(session).for_entities([e.pk for e in entities])
    return [
        render_entity(e, service.current_attributes(e, latest.get(e.pk, {})), options)
        for e in entities
    ]


def entity_conditions(
    session: DbSession,
    request: Request,
    tenant: str | None,
    *,
    ids: list[str],
    types: list[str],
    attrs: list[str],
    q: str | None,
    id_pattern: str | None,
) -> list[ColumnElement[bool]]:
    """The SQL conditions of an entity query (shared with the temporal API)."""
    params = request.query_params
    geo = parse_geo(
        params.get("georel"),
        params.get("geometry"),
        params.get("coordinates"),
        params.get("geoproperty"),
    )
    if not (ids or types or attrs or q or geo or id_pattern):
        raise BadRequestData("a query needs at least one of type, attrs, q, id or a geo-query")
    dialect = session.get_bind().dialect.name
    conditions: list[ColumnElement[bool]] = [_tenant_condition(session, tenant)]
    if ids:
        conditions.append(SensorEntity.id.in_(ids))
    if types:
        conditions.append(SensorEntity.type.in_(types))
    if id_pattern:
        if id_pattern.endswith(".*") and not any(c in id_pattern[:-2] for c in "^$[]()|+?*\\"):
            conditions.append(SensorEntity.id.startswith(id_pattern[:-2], autoescape=True))
        elif dialect == "postgresql":
            conditions.append(SensorEntity.id.regexp_match(id_pattern))
        else:
            raise BadRequestData("idPattern other than a prefix (prefix.*) needs PostgreSQL")
    if attrs and not types:
        has_attr = [
            SensorEntity.pk.in_(
                select(LatestValue.entity_pk).where(LatestValue.attribute.in_(attrs))
            )
        ]
        conditions.append(or_(*has_attr))
    if q:
        conditions.append(compile_q(q, dialect))
    if geo is not None:
        conditions.append(geo_condition(session, geo, and_(*conditions)))
    return conditions


@router.get("/entities", summary="Query entities")
@router.get("/entities/", include_in_schema=False)
def query_entities(
    request: Request,
    session: DbSession,
    tenant: Tenant = None,
    id: str | None = None,
    type: str | None = None,
    attrs: str | None = None,
    q: str | None = None,
    idPattern: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
    count: str | None = None,
    options: str | None = None,
) -> Response:
    """Entities by type, attributes, q and geo-query, paged, with the count header."""
    form, sys_attrs, count_option = parse_options(options)
    wanted_attrs = split_list(attrs)
    conditions = entity_conditions(
        session,
        request,
        tenant,
        ids=split_list(id),
        types=split_list(type),
        attrs=wanted_attrs,
        q=q,
        id_pattern=idPattern,
    )
    page_size = parse_limit(limit)
    repository = EntityRepository(session)
    headers: dict[str, str] = {}
    if count == "true" or count_option:
        total = session.scalar(
            select(func.count()).select_from(repository.matching(*conditions).subquery())
        )
        headers["NGSILD-Results-Count"] = str(total or 0)
    entities: list[SensorEntity] = []
    if page_size:
        statement = repository.matching(*conditions).limit(page_size).offset(parse_offset(offset))
        entities = list(session.scalars(statement))
    render = RenderOptions(
        form, frozenset(wanted_attrs) or None, sys_attrs, with_context=wants_ld(request)
    )
    return entity_response(render_many(session, entities, render), request, headers=headers)


@router.post("/entities", status_code=201, summary="Create an entity")
@router.post("/entities/", status_code=201, include_in_schema=False)
def create_entity(
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Create an entity: 201 with its Location, 409 AlreadyExists if the id is taken."""
    parsed = parse_entity(body, open_world=request.app.state.settings.sensors_open_world)
    writer = service.writer_for(session, principal, tenant)
    entity = service.create_entity(session, writer, parsed)
    return Response(status_code=201, headers={"Location": f"{BASE}/entities/{entity.id}"})


def _entity_for(session: DbSession, entity_id: str, tenant: str | None) -> SensorEntity:
    check_uri(entity_id)
    entity = service.get_entity(session, entity_id)
    if tenant:
        condition_tenant = _tenant_condition(session, tenant)
        allowed = session.scalar(
            select(SensorEntity.pk).where(SensorEntity.pk == entity.pk, condition_tenant)
        )
        if allowed is None:
            raise ResourceNotFound(f"no entity {entity_id} for tenant {tenant}")
    return entity


@router.get("/entities/{entity_id}", summary="Retrieve an entity")
def retrieve_entity(
    entity_id: str,
    request: Request,
    session: DbSession,
    tenant: Tenant = None,
    attrs: str | None = None,
    options: str | None = None,
) -> Response:
    """One entity, with @context in the body when asked for JSON-LD."""
    entity = _entity_for(session, entity_id, tenant)
    form, sys_attrs, _count = parse_options(options)
    render = RenderOptions(
        form, frozenset(split_list(attrs)) or None, sys_attrs, with_context=wants_ld(request)
    )
    return entity_response(render_many(session, [entity], render)[0], request)


@router.delete("/entities/{entity_id}", status_code=204, summary="Delete an entity")
def delete_entity(
    entity_id: str, session: DbSession, principal: Writer, tenant: Tenant = None
) -> Response:
    """Delete an entity (its history stays)."""
    entity = _entity_for(session, entity_id, tenant)
    service.delete_entity(session, service.writer_for(session, principal, tenant), entity)
    return Response(status_code=204)


def _attrs_body(body: Any, request: Request, entity: SensorEntity) -> dict[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise BadRequestData("the attributes must be a JSON object")
    return parse_attributes(
        body, entity.type, open_world=request.app.state.settings.sensors_open_world
    )


def _partial(result: service.AttrsUpdate) -> Response:
    if not result.not_updated:
        return Response(status_code=204)
    return JSONResponse(
        {
            "updated": result.updated,
            "notUpdated": [{"attributeName": n, "reason": r} for n, r in result.not_updated],
        },
        status_code=207,
    )


@router.patch("/entities/{entity_id}/attrs", summary="Update attributes")
@router.patch("/entities/{entity_id}/attrs/", include_in_schema=False)
def update_attrs(
    entity_id: str,
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Partial update of existing attributes: 204, or 207 naming those not updated."""
    entity = _entity_for(session, entity_id, tenant)
    attrs = _attrs_body(body, request, entity)
    writer = service.writer_for(session, principal, tenant)
    return _partial(service.update_attributes(session, writer, entity, attrs))


@router.post("/entities/{entity_id}/attrs", summary="Append attributes")
@router.post("/entities/{entity_id}/attrs/", include_in_schema=False)
def append_attrs(
    entity_id: str,
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
    options: str | None = None,
) -> Response:
    """Append attributes (``options=noOverwrite`` keeps existing ones)."""
    entity = _entity_for(session, entity_id, tenant)
    attrs = _attrs_body(body, request, entity)
    writer = service.writer_for(session, principal, tenant)
    overwrite = "noOverwrite" not in split_list(options)
    return _partial(
        service.update_attributes(session, writer, entity, attrs, append=True, overwrite=overwrite)
    )


@router.patch("/entities/{entity_id}", summary="Merge an entity")
def merge_entity(
    entity_id: str,
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Merge: attributes given are added or updated, others stay."""
    entity = _entity_for(session, entity_id, tenant)
    attrs = _attrs_body(body, request, entity)
    writer = service.writer_for(session, principal, tenant)
    service.update_attributes(session, writer, entity, attrs, append=True)
    return Response(status_code=204)


@router.patch("/entities/{entity_id}/attrs/{attribute}", summary="Update one attribute")
def update_attr(
    entity_id: str,
    attribute: str,
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Partial update of one attribute."""
    entity = _entity_for(session, entity_id, tenant)
    if attribute not in entity.attrs:
        raise ResourceNotFound(f"entity {entity_id} has no attribute {attribute}")
    if not isinstance(body, dict):
        raise BadRequestData("the attribute must be a JSON object")
    merged = {**entity.attrs[attribute], **{k: v for k, v in body.items() if k != "@context"}}
    attrs = parse_attributes(
        {attribute: merged}, entity.type, open_world=request.app.state.settings.sensors_open_world
    )
    writer = service.writer_for(session, principal, tenant)
    service.update_attributes(session, writer, entity, attrs)
    return Response(status_code=204)


@router.delete("/entities/{entity_id}/attrs/{attribute}", status_code=204)
def delete_attr(
    entity_id: str, attribute: str, session: DbSession, principal: Writer, tenant: Tenant = None
) -> Response:
    """Delete one attribute."""
    entity = _entity_for(session, entity_id, tenant)
    writer = service.writer_for(session, principal, tenant)
    service.delete_attribute(session, writer, entity, attribute)
    return Response(status_code=204)


@router.get("/types", summary="Entity types")
@router.get("/types/", include_in_schema=False)
def list_types(request: Request, session: DbSession) -> Response:
    """The entity types in use (EntityTypeList)."""
    types = [t for t, _n in EntityRepository(session).types()]
    body: dict[str, Any] = {
        "id": "urn:ngsi-ld:EntityTypeList:servicielle",
        "type": "EntityTypeList",
        "typeList": types,
    }
    if wants_ld(request):
        body["@context"] = [CORE_CONTEXT_URL]
    return entity_response(body, request)


@router.get("/types/{type_name}", summary="One entity type")
def type_info(type_name: str, request: Request, session: DbSession) -> Response:
    """How many entities a type has and which attributes they carry."""
    counts = dict(EntityRepository(session).types())
    if type_name not in counts:
        raise ResourceNotFound(f"no entity of type {type_name}")
    names = session.scalars(
        select(LatestValue.attribute)
        .join(SensorEntity, SensorEntity.pk == LatestValue.entity_pk)
        .where(SensorEntity.type == type_name, SensorEntity.deleted_at.is_(None))
        .distinct()
        .order_by(LatestValue.attribute)
    ).all()
    body = {
        "id": f"urn:ngsi-ld:EntityTypeInfo:{type_name}",
        "type": "EntityTypeInfo",
        "typeName": type_name,
        "entityCount": counts[type_name],
        "attributeDetails": [
            {"id": name, "type": "Attribute", "attributeName": name} for name in names
        ],
    }
    return entity_response(body, request)


@router.get("/attributes", summary="Attributes in use")
def list_attributes(request: Request, session: DbSession) -> Response:
    """The attribute names in use (AttributeList)."""
    names = session.scalars(
        select(LatestValue.attribute).distinct().order_by(LatestValue.attribute)
    ).all()
    body = {
        "id": "urn:ngsi-ld:AttributeList:servicielle",
        "type": "AttributeList",
        "attributeList": list(names),
    }
    return entity_response(body, request)


@router.get("/jsonldContexts", summary="The contexts the hub serves")
@router.get("/jsonldContexts/", include_in_schema=False)
def list_contexts() -> list[str]:
    """URLs of the bundled contexts (core and Smart Data Models domains)."""
    return [CORE_CONTEXT_URL, *sorted(domain_contexts())]


@router.get("/jsonldContexts/{context_id:path}", summary="One bundled context")
def get_context(context_id: str) -> Response:
    """A bundled context by URL (or ``core``), served from the hub, never downloaded."""
    document = core_context() if context_id == "core" else bundled(context_id)
    if document is None:
        raise ResourceNotFound(f"no bundled context {context_id}")
    return JSONResponse(document, media_type="application/ld+json")
