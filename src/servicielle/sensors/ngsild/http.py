"""Request and response plumbing shared by the NGSI-LD routes: bodies, contexts, rendering."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from servicielle.sensors.models import SensorEntity
from servicielle.sensors.ngsild.contexts import (
    CORE_CONTEXT_URL,
    context_from_link,
    link_header,
)
from servicielle.sensors.ngsild.entity import concise, format_instant, simplified
from servicielle.sensors.ngsild.errors import BadRequestData, InvalidRequest

MAX_BODY_BYTES = 20 * 1024 * 1024
LD_JSON = "application/ld+json"
JSON = "application/json"


async def read_json(request: Request, *, limit: int = MAX_BODY_BYTES) -> Any:
    """The request body as JSON, with the media type and @context rules of NGSI-LD."""
    media = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
    if media not in (JSON, LD_JSON, "application/merge-patch+json", ""):
        raise InvalidRequest(
            f"unsupported content type {media}: send application/json or application/ld+json",
            status=415,
        )
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise InvalidRequest(
                f"the body is larger than the {limit // 1_048_576} MB limit", status=413
            )
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from None
    link = context_from_link(request.headers.get("link"))
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict) and "@context" in item:
            if media == JSON:
                raise BadRequestData(
                    "@context in a body sent as application/json: use application/ld+json, "
                    "or a Link header"
                )
            if link:
                raise BadRequestData("@context given both in the body and in a Link header")
        elif isinstance(item, dict) and link:
            item["@context"] = link
    return data


async def json_body(request: Request) -> Any:
    """The JSON body, read before the route runs: routes stay sync, in the thread pool.

    An ``async`` route doing database work would block the event loop; on PostgreSQL, two
    such requests waiting on each other's row locks would stall the whole worker.
    """
    return await read_json(request)


JsonBody = Annotated[Any, Depends(json_body)]


def wants_ld(request: Request) -> bool:
    """Whether the client asked for @context in the body (Accept: application/ld+json)."""
    return LD_JSON in request.headers.get("accept", "")


@dataclass(frozen=True)
class RenderOptions:
    """How to render entities: format, attribute projection, system attributes, @context."""

    form: str = "normalized"
    attrs: frozenset[str] | None = None
    sys_attrs: bool = False
    with_context: bool = False


def parse_options(raw: str | None) -> tuple[str, bool, bool]:
    """(form, sysAttrs, count) from an ``options`` parameter."""
    words = {w.strip() for w in (raw or "").split(",") if w.strip()}
    form = "normalized"
    if words & {"keyValues", "simplified"}:
        form = "keyValues"
    elif "concise" in words:
        form = "concise"
    return form, "sysAttrs" in words, "count" in words


def render_entity(
    entity: SensorEntity, attrs: Mapping[str, Mapping[str, Any]], options: RenderOptions
) -> dict[str, Any]:
    """One entity in the asked form."""
    body: dict[str, Any] = {"id": entity.id, "type": entity.type}
    for name, attribute in attrs.items():
        if options.attrs is not None and name not in options.attrs:
            continue
        if options.form == "keyValues":
            body[name] = simplified(attribute)
        elif options.form == "concise":
            body[name] = concise(attribute)
        else:
            body[name] = dict(attribute)
    if options.sys_attrs:
        body["createdAt"] = format_instant(entity.created_at)
        body["modifiedAt"] = format_instant(entity.modified_at)
    if options.with_context:
        body["@context"] = entity.context or [CORE_CONTEXT_URL]
    return body


def entity_response(
    body: Any, request: Request, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON-LD with @context in the body, or JSON with the context in a Link header."""
    headers = dict(headers or {})
    if wants_ld(request):
        return JSONResponse(body, status_code=status, media_type=LD_JSON, headers=headers)
    headers["Link"] = link_header()
    return JSONResponse(body, status_code=status, media_type=JSON, headers=headers)


def split_list(raw: str | None) -> list[str]:
    """A comma-separated parameter as a list (empty items dropped)."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def parse_limit(raw: str | None, *, default: int = 20, maximum: int = 1000) -> int:
    """``limit``: 0 (count only) to ``maximum``."""
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequestData(f"limit must be an integer, got {raw!r}") from None
    if limit < 0:
        raise BadRequestData("limit must not be negative")
    if limit > maximum:
        raise BadRequestData(f"limit is above the maximum of {maximum}")
    return limit


def parse_offset(raw: str | None) -> int:
    """``offset``: 0 or more."""
    if not raw:
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise BadRequestData(f"offset must be an integer, got {raw!r}") from None
    if offset < 0:
        raise BadRequestData("offset must not be negative")
    return offset


def sequence_of_objects(data: Any, what: str, *, maximum: int) -> Sequence[Any]:
    """A JSON array for a batch, within the batch limit."""
    if not isinstance(data, list):
        raise InvalidRequest(f"{what} expects a JSON array")
    if len(data) > maximum:
        raise InvalidRequest(
            f"the batch holds {len(data)} items; the limit is {maximum} per request", status=413
        )
    return data
