"""The one place errors become responses: problem details for APIs, pages for browsers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicielle.core.errors import ServicielleError, Unauthenticated
from servicielle.core.i18n import N_, _
from servicielle.core.templating import render

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/healthz", "/readyz")
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ProblemInfo:
    """An error about to be answered, for modules whose standard fixes its own error format."""

    status: int
    title: str
    detail: str
    type_slug: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] | None = None
    exc: Exception | None = None


# A module's error format: (request, problem) → response; chosen by path prefix.
ErrorFormat = Callable[[Request, ProblemInfo], Response]


def _own_format(request: Request, info: ProblemInfo) -> Response | None:
    formats: dict[str, ErrorFormat] = getattr(request.app.state, "error_formats", {})
    for prefix, render_error in formats.items():
        if request.url.path.startswith(prefix):
            return render_error(request, info)
    return None


def wants_json(request: Request) -> bool:
    """APIs answer problem details; everything else is a page."""
    path = request.url.path
    return path.startswith(API_PREFIXES) or "text/html" not in request.headers.get(
        "accept", "text/html"
    )


def problem(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    type_slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {
        "type": f"https://servicielle.fr/problems/{type_slug}" if type_slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _page(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "core/error.html",
        {"title": title, "detail": detail},
        status_code=status,
        headers=headers,
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    """Render a ServicielleError."""
    assert isinstance(exc, ServicielleError)
    info = ProblemInfo(
        exc.status, exc.title, exc.detail, exc.type_slug, exc.errors, exc.headers, exc
    )
    if (own := _own_format(request, info)) is not None:
        return own
    if wants_json(request):
        return problem(
            request,
            status=exc.status,
            title=exc.title,
            detail=exc.detail,
            type_slug=exc.type_slug,
            errors=exc.errors,
            headers=exc.headers,
        )
    if isinstance(exc, Unauthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/compte/connexion?next={quote(target, safe='')}", status_code=303)
    return _page(request, exc.status, _(exc.title), exc.detail, exc.headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


async def validation_error(request: Request, exc: Exception) -> Response:
    """Request parsing failed: 400 for unreadable JSON, 422 naming each bad field."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _location(tuple(e.get("loc", ()))),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    malformed = any(e["type"] == "json_invalid" for e in errors)
    status, title = (400, N_("Bad request")) if malformed else (422, N_("Invalid input"))
    detail = (
        "The request body is not valid JSON."
        if malformed
        else "Invalid value for: " + ", ".join(sorted({e["field"] for e in errors}))
    )
    slug = "bad-request" if malformed else "invalid-input"
    if (own := _own_format(request, ProblemInfo(status, title, detail, slug, errors))) is not None:
        return own
    if wants_json(request):
        return problem(
            request,
            status=status,
            title=title,
            detail=detail,
            type_slug="bad-request" if malformed else "invalid-input",
            errors=errors,
        )
    return _page(request, status, _(title), _("The request contains invalid values."))


async def http_error(request: Request, exc: Exception) -> Response:
    """Framework errors (unknown route, wrong method) in the same two formats."""
    assert isinstance(exc, StarletteHTTPException)
    titles = {
        404: N_("Not found"),
        405: N_("Method not allowed"),
        400: N_("Bad request"),
        413: N_("Payload too large"),
    }
    title = titles.get(exc.status_code, N_("Error"))
    headers = getattr(exc, "headers", None)
    info = ProblemInfo(exc.status_code, title, str(exc.detail), headers=headers, exc=exc)
    if (own := _own_format(request, info)) is not None:
        return own
    if wants_json(request):
        detail = "No such API endpoint." if exc.status_code == 404 else str(exc.detail)
        return problem(
            request,
            status=exc.status_code,
            title=title,
            detail=detail,
            headers=headers,
        )
    detail = _("This page does not exist or has moved.") if exc.status_code == 404 else _(title)
    return _page(request, exc.status_code, _(title), detail)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug: logged with its traceback, answered without leaking it."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    info = ProblemInfo(500, "Internal error", "An unexpected error occurred.", exc=exc)
    if (own := _own_format(request, info)) is not None:
        return own
    if wants_json(request):
        return problem(
            request, status=500, title="Internal error", detail="An unexpected error occurred."
        )
    return _page(
        request,
        500,
        _("Internal error"),
        _("An unexpected error occurred. Please try again later."),
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ServicielleError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
