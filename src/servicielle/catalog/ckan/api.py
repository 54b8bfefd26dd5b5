"""``/api/3/action/{name}`` and ``/api/action/{name}``: CKAN's envelope, errors and transport."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from servicielle.catalog.ckan import actions
from servicielle.catalog.ckan.actions import Context, SearchQueryError
from servicielle.catalog.ckan.convert import CKAN_NAMES
from servicielle.catalog.resources import Upload
from servicielle.catalog.storage import PayloadTooLarge
from servicielle.core.accounts.auth import get_principal
from servicielle.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServicielleError,
    Unauthenticated,
)
from servicielle.core.i18n import _
from servicielle.core.session import DbSession

router = APIRouter(tags=["ckan"], include_in_schema=False)

# Importing registers the datastore actions next to the catalog ones.
from servicielle.catalog.ckan import datastore_actions  # noqa: E402, F401


class CkanResponse(JSONResponse):
    """CKAN's JSON, always ``application/json`` (data.gouv.fr refuses anything else)."""

    media_type = "application/json"


def _help(request: Request, name: str) -> str:
    return str(request.base_url).rstrip("/") + f"/api/3/action/help_show?name={name}"


def _error(request: Request, name: str, status: int, error: dict[str, Any]) -> Response:
    body = {"help": _help(request, name), "success": False, "error": error}
    return CkanResponse(body, status_code=status)


def _validation_fields(exc: ServicielleError) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        name = str(item.get("field") or "data")
        fields.setdefault(CKAN_NAMES.get(name, name), []).append(str(item.get("message", "")))
    return fields or {"data": [exc.detail]}


def error_response(request: Request, name: str, exc: ServicielleError) -> Response:
    """A domain error as CKAN reports it; clients read ``__type``, not the status."""
    if isinstance(exc, NotFound):
        return _error(
            request, name, 404, {"__type": "Not Found Error", "message": f"Not found: {exc.detail}"}
        )
    if isinstance(exc, Forbidden | Unauthenticated):
        return _error(
            request,
            name,
            403,
            {"__type": "Authorization Error", "message": f"Access denied: {exc.detail}"},
        )
    if isinstance(exc, SearchQueryError):
        return _error(request, name, 400, {"__type": "Search Query Error", "message": exc.detail})
    if isinstance(exc, PayloadTooLarge):
        return _error(request, name, 413, {"__type": "Validation Error", "upload": [exc.detail]})
    if isinstance(exc, BadRequest) and exc.type_slug == "invalid-query":
        return _error(request, name, 409, {"__type": "Validation Error", **_validation_fields(exc)})
    if isinstance(exc, InvalidInput | Conflict):
        return _error(request, name, 409, {"__type": "Validation Error", **_validation_fields(exc)})
    return _error(
        request, name, exc.status, {"__type": "Internal Server Error", "message": exc.detail}
    )


def _bad_request(message: str) -> Response:
    # CKAN answers these two cases with a bare JSON string, and clients expect exactly that.
    return Response(json.dumps(message), status_code=400, media_type="application/json")


async def _data(
    request: Request, files: dict[str, Upload], opened: list[FormData]
) -> dict[str, Any]:
    if request.method == "GET":
        data: dict[str, Any] = {}
        for key in request.query_params:
            values = request.query_params.getlist(key)
            data[key] = values[0] if len(values) == 1 else values
        return data
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form(max_files=5, max_fields=200)
        opened.append(form)
        data = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = Upload(filename=value.filename or key, stream=value.file)
            else:
                data[key] = value
        return data
    body = await request.body()
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        raise BadRequest("Bad request: JSON Error: cannot parse the request body") from None
    if not isinstance(parsed, dict):
        raise BadRequest("Bad request: JSON Error: the body must be a JSON object")
    return parsed


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"])
@router.api_route("/api/action/{name}", methods=["GET", "POST"])
async def call(name: str, request: Request, session: DbSession) -> Response:
    """Run one CKAN action."""
    func = actions.READ_ACTIONS.get(name) or actions.WRITE_ACTIONS.get(name)
    if func is None:
        return _bad_request(f"Bad request: Action name not known: {name}")
    if request.method == "GET" and name in actions.WRITE_ACTIONS:
        return _bad_request(
            "Bad request: JSON Error: Invalid request. Please use POST method for your request"
        )
    files: dict[str, Upload] = {}
    opened: list[FormData] = []
    declared = request.headers.get("content-length", "")
    limit = request.app.state.settings.upload_max_bytes
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        # Refused before reading: a 500 MB body is not spooled to disk only to be dropped.
        return error_response(
            request,
            name,
            PayloadTooLarge(
                _("The file is larger than the limit of {limit} MB.").format(
                    limit=limit // (1024 * 1024)
                )
            ),
        )
    try:
        data = await _data(request, files, opened)

        def run() -> Any:
            principal = get_principal(request, session)
            context = Context(session, request.app.state.settings, principal, files)
            return func(context, data)

        # Database work leaves the event loop: a request waiting on a row lock must not
        # stall the others (the one holding the lock among them).
        result = await run_in_threadpool(run)
    except BadRequest as exc:
        if exc.type_slug == "bad-request":
            return _bad_request(exc.detail)
        return error_response(request, name, exc)
    except ServicielleError as exc:
        return error_response(request, name, exc)
    finally:
        for form in opened:
            await form.close()
    body = {"help": _help(request, name), "success": True, "result": result}
    callback = request.query_params.get("callback")
    if (
        request.method == "GET"
        and callback
        and callback.replace("_", "").replace(".", "").isalnum()
    ):
        payload = json.dumps(body, default=str)
        return Response(f"{callback}({payload});", media_type="application/javascript")
    return Response(json.dumps(body, default=str), media_type="application/json")


@router.get("/api/3")
@router.get("/api")
def version() -> dict[str, int]:
    """The API version, as CKAN answers it."""
    return {"version": 3}
