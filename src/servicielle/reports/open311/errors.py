"""Open311 errors: ``<errors><error><code/><description/></error></errors>`` or its JSON.

GeoReport v2 knows three statuses: 404 for a missing resource, 403 for the api_key, 400 for
everything else; a bug stays a 500, in the same format.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from servicielle.core.handlers import ProblemInfo
from servicielle.core.i18n import _
from servicielle.reports.open311.formats import render

# Headers that would contradict the status Open311 answers with.
_DROPPED_HEADERS = frozenset({"www-authenticate", "allow"})


def open311_status(status: int) -> int:
    """The status GeoReport v2 allows for ours."""
    if status in (404, 403):
        return status
    if status == 401:
        return 403
    if status >= 500:
        return status
    return 400


def _descriptions(request: Request, info: ProblemInfo) -> list[str]:
    if info.status == 404 and info.exc is not None and not info.errors:
        if info.detail in ("Not Found", ""):
            return [_("No such Open311 resource: %(path)s") % {"path": request.url.path}]
    if info.status == 405:
        return [
            _("%(method)s is not allowed on %(path)s.")
            % {"method": request.method, "path": request.url.path}
        ]
    if info.status >= 500:
        return [_("An unexpected error occurred. Please try again later.")]
    named = [
        f"{error['field']}: {error['message']}"
        for error in info.errors
        if error.get("field") and error.get("message")
    ]
    return named or [info.detail]


def format_of(request: Request) -> str:
    """The format the path asks for: JSON for ``.json``, XML otherwise."""
    return "json" if request.url.path.lower().endswith(".json") else "xml"


def open311_errors(request: Request, info: ProblemInfo) -> Response:
    """Render any error under /open311/ as Open311 errors in the path's format."""
    status = open311_status(info.status)
    errors: list[dict[str, Any]] = [
        {"code": status, "description": text} for text in _descriptions(request, info)
    ]
    headers = {
        name: value
        for name, value in (info.headers or {}).items()
        if name.lower() not in _DROPPED_HEADERS
    }
    return render(format_of(request), "errors", errors, status_code=status, headers=headers)
