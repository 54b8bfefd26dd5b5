"""NGSI-LD ProblemDetails: only the eleven error types ngsildclient 0.5.2 knows.

Newer spec versions add more (AccessDenied, Conflict...), but the client raises TypeError on
any type it does not know, so every error on an NGSI-LD route maps onto one of these.
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from servicielle.core.errors import ServicielleError
from servicielle.core.handlers import ProblemInfo

ERRORS_BASE = "https://uri.etsi.org/ngsi-ld/errors/"
NGSI_TYPES = {
    "InvalidRequest": 400,
    "BadRequestData": 400,
    "AlreadyExists": 409,
    "OperationNotSupported": 422,
    "ResourceNotFound": 404,
    "InternalError": 500,
    "TooComplexQuery": 403,
    "TooManyResults": 403,
    "LdContextNotAvailable": 503,
    "NoMultiTenantSupport": 501,
    "NonexistentTenant": 404,
}


class NgsiError(ServicielleError):
    """An error with its NGSI-LD type; ``status`` defaults to the type's."""

    ngsi_type: ClassVar[str] = "InternalError"

    def __init__(self, detail: str, *, status: int | None = None, **kwargs: object) -> None:
        super().__init__(detail, **kwargs)  # type: ignore[arg-type]
        self.ngsi_status = status or NGSI_TYPES[self.ngsi_type]


def _error(name: str, title: str) -> type[NgsiError]:
    return type(
        name,
        (NgsiError,),
        {
            "ngsi_type": name,
            "status": NGSI_TYPES[name],
            "title": title,
            "type_slug": name,
            "__doc__": f"NGSI-LD {name}.",
        },
    )


InvalidRequest = _error("InvalidRequest", "Invalid request")
BadRequestData = _error("BadRequestData", "Bad request data")
AlreadyExists = _error("AlreadyExists", "Already exists")
OperationNotSupported = _error("OperationNotSupported", "Operation not supported")
ResourceNotFound = _error("ResourceNotFound", "Resource not found")
TooManyResults = _error("TooManyResults", "Too many results")
LdContextNotAvailable = _error("LdContextNotAvailable", "@context not available")
NonexistentTenant = _error("NonexistentTenant", "Nonexistent tenant")


def _type_for(info: ProblemInfo) -> str:
    if isinstance(info.exc, NgsiError):
        return info.exc.ngsi_type
    return {
        404: "ResourceNotFound",
        409: "AlreadyExists",
        422: "BadRequestData",
        500: "InternalError",
        503: "LdContextNotAvailable",
    }.get(
        info.status, "InvalidRequest" if info.status in (400, 405, 406, 415) else "BadRequestData"
    )


def _status_for(info: ProblemInfo) -> int:
    if isinstance(info.exc, NgsiError):
        return info.exc.ngsi_status
    # 422 from request parsing is bad data for NGSI-LD, which answers 400.
    return 400 if info.status == 422 else info.status


def problem_details(request: Request, info: ProblemInfo) -> Response:
    """Render any error on an NGSI-LD route as ProblemDetails of a standard type."""
    status = _status_for(info)
    body: dict[str, object] = {
        "type": ERRORS_BASE + _type_for(info),
        "title": info.title,
        "status": status,
        "detail": info.detail,
        "instance": request.url.path,
    }
    if info.errors:
        body["errors"] = info.errors
    return JSONResponse(
        body, status_code=status, media_type="application/json", headers=info.headers
    )


def ensure_standard(exc: ServicielleError) -> NgsiError:
    """The NGSI-LD error a domain error stands for (batch results embed ProblemDetails)."""
    if isinstance(exc, NgsiError):
        return exc
    if exc.status == 404:
        return ResourceNotFound(exc.detail)
    if exc.status == 409:
        return AlreadyExists(exc.detail)
    return BadRequestData(exc.detail, status=exc.status)


def as_problem(exc: ServicielleError) -> dict[str, object]:
    """ProblemDetails body of ``exc`` (for the errors of a 207 answer)."""
    error = ensure_standard(exc)
    return {
        "type": ERRORS_BASE + error.ngsi_type,
        "title": error.title,
        "status": error.ngsi_status,
        "detail": error.detail,
    }
