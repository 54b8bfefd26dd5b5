"""``POST /api/sensors/observations``: the high-rate ingest path over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from servicielle.core.accounts.auth import Authorize
from servicielle.core.errors import BadRequest, PayloadTooLarge
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.sensors.ingest import IngestReport, check_rows, parse_body, store_rows

router = APIRouter(prefix="/api/sensors", tags=["sensors"])
ObservationWriter = Annotated[Principal, Authorize("sensors.observation.write")]

MEDIA_TYPES = (
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "text/csv",
    "application/csv",
)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "application/json").split(";")[0].strip()


async def _raw_body(request: Request) -> bytes:
    """The body within the size limit, read before the (sync, thread-pooled) route runs."""
    media_type = _media_type(request)
    if media_type not in MEDIA_TYPES:
        raise BadRequest(
            f"unsupported content type {media_type}: send " + ", ".join(MEDIA_TYPES[:4])
        )
    limit = request.app.state.settings.sensors_batch_max_bytes
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is over the {limit // 1_048_576} MB limit; split it")
    return bytes(body)


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post("/observations", summary="Store a batch of observations")
def post_observations(
    request: Request,
    session: DbSession,
    principal: ObservationWriter,
    body: RawBody,
) -> dict[str, Any]:
    """JSON array, NDJSON or CSV rows; answers stored, duplicate and rejected counts."""
    settings = request.app.state.settings
    media_type = _media_type(request)
    items, from_text = parse_body(body, media_type, max_rows=settings.sensors_batch_max_rows)
    report = IngestReport()
    rows = check_rows(items, report)
    store_rows(session, rows, report, principal=principal, from_text=from_text)
    return report.to_dict()
