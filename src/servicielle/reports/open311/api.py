"""Open311 GeoReport v2 at /open311/v2/: discovery, services, requests and tokens.

Every path takes ``.xml`` (the default without a suffix) or ``.json``; ``//`` in a path is
read as ``/`` (the ``open311`` client builds ``…/v2//requests.xml`` from an endpoint with a
trailing slash).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.routing import Match
from starlette.types import Scope

from servicielle.config import Settings
from servicielle.core.accounts.auth import principal_for_token
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.tokens import token_for_secret
from servicielle.core.db import utcnow
from servicielle.core.errors import Forbidden, NotFound
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.modules import get_registry
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession, audit_context
from servicielle.core.text import plain
from servicielle.reports.open311 import present
from servicielle.reports.open311.errors import open311_errors as open311_errors
from servicielle.reports.open311.formats import render
from servicielle.reports.open311.forms import PostedBody
from servicielle.reports.open311.params import (
    Params,
    check_format,
    check_jurisdiction,
    parse_search,
    parse_submission,
    split_format,
)
from servicielle.reports.open311.repository import Open311Repository
from servicielle.reports.repository import CategoryRepository, ReportRepository
from servicielle.reports.service import category_for, submit_report

PREFIX = "/open311/v2"
SUBMIT_PERMISSION = "reports.report.submit_api"
_SLASHES = re.compile(r"//+")
# Open data: any web page may read it.
PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*"}


class SlashTolerantRoute(APIRoute):
    """A route that reads ``a//b`` as ``a/b``."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match on the path with its repeated slashes collapsed."""
        path = scope.get("path", "")
        if scope.get("type") == "http" and "//" in path:
            scope = {**scope, "path": _SLASHES.sub("/", path)}
        return super().matches(scope)


router = APIRouter(tags=["open311"], route_class=SlashTolerantRoute)


def response_format(request: Request) -> str:
    """``xml`` or ``json`` from the route's suffix, and the jurisdiction_id checked."""
    fmt = check_format(request.path_params.get("fmt", "xml"))
    check_jurisdiction(request.query_params.get("jurisdiction_id"), _settings(request).base_url)
    return fmt


Format = Annotated[str, Depends(response_format)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _target(request: Request, name: str) -> tuple[str, str]:
    """(identifier, format) of a ``{name}.{fmt}`` path segment; jurisdiction checked."""
    # Without control characters: a %00 in the path would make PostgreSQL refuse the query.
    stem, fmt = split_format(plain(name))
    check_jurisdiction(request.query_params.get("jurisdiction_id"), _settings(request).base_url)
    return stem, fmt


@router.get(PREFIX + "/discovery.{fmt}", summary="Open311 service discovery")
@router.get(PREFIX + "/discovery", include_in_schema=False)
@router.get("/open311/discovery.{fmt}", include_in_schema=False)
def get_discovery(request: Request, fmt: Format) -> Response:
    """Where the endpoint is, what it speaks and how to get an API key."""
    document = present.discovery(_settings(request).base_url)
    return render(fmt, "discovery", document, headers=PUBLIC_HEADERS)


@router.get(PREFIX + "/services.{fmt}", summary="Open311 service list")
@router.get(PREFIX + "/services", include_in_schema=False)
def get_services(request: Request, session: DbSession, fmt: Format) -> Response:
    """The categories people can report in."""
    return render(fmt, "services", present.services(session), headers=PUBLIC_HEADERS)


@router.get(PREFIX + "/services/{name}", summary="Open311 service definition")
@router.get(PREFIX + "/service/{name}", include_in_schema=False)
def get_service_definition(request: Request, session: DbSession, name: str) -> Response:
    """A category's extra questions (``service/`` is the ``open311`` client's spelling)."""
    code, fmt = _target(request, name)
    category = category_for(session, code)
    questions = CategoryRepository(session).questions(category.id)
    document = present.service_definition(category, questions)
    return render(fmt, "service_definition", document, headers=PUBLIC_HEADERS)


@router.get(PREFIX + "/requests.{fmt}", summary="Open311 service requests")
@router.get(PREFIX + "/requests", include_in_schema=False)
def get_requests(request: Request, session: DbSession, fmt: Format) -> Response:
    """Public reports, newest first: the last 90 days unless dates are given."""
    query = parse_search(request.query_params.multi_items(), utcnow())
    reports = (
        []
        if query.no_match
        else Open311Repository(session).page(
            query.filters, page=query.page, page_size=query.page_size
        )
    )
    found = present.service_requests(
        session, reports, base_url=_settings(request).base_url, extensions=query.extensions
    )
    return render(fmt, "service_requests", found, headers=PUBLIC_HEADERS)


@router.get(PREFIX + "/requests/{name}", summary="Open311 service request")
def get_request(request: Request, session: DbSession, name: str) -> Response:
    """One public report, as an array of one."""
    identifier, fmt = _target(request, name)
    report_id = parse_id(identifier)
    report = ReportRepository(session).get_public(report_id) if report_id is not None else None
    if report is None:
        raise NotFound(_("No public service request %(id)s.") % {"id": identifier[:40]})
    extensions = Params(request.query_params.multi_items()).flag("extensions")
    found = present.service_requests(
        session, [report], base_url=_settings(request).base_url, extensions=extensions
    )
    return render(fmt, "service_requests", found, headers=PUBLIC_HEADERS)


@router.get(PREFIX + "/tokens/{name}", summary="Open311 request id from a token")
def get_token(request: Request, session: DbSession, name: str) -> Response:
    """The service_request_id a token stands for."""
    token, fmt = _target(request, name)
    report = ReportRepository(session).by_token(token) if len(token) <= 100 else None
    if report is None:
        raise NotFound(_("Unknown token %(token)s.") % {"token": token[:40]})
    found = [{"service_request_id": str(report.id), "token": token}]
    return render(fmt, "service_requests", found, headers=PUBLIC_HEADERS)


def api_client(session: Session, api_key: str | None) -> Principal:
    """The principal an Open311 api_key (an API token) speaks for; 403 otherwise."""
    if not api_key:
        raise Forbidden(_("api_key is required to submit a service request."))
    token = token_for_secret(session, api_key.strip())
    user = UserRepository(session).get(token.user_id) if token is not None else None
    if token is None or user is None or not user.is_active:
        raise Forbidden(_("This api_key is unknown, expired or revoked."))
    principal = principal_for_token(user, token)
    if not principal.may(get_registry().permission(SUBMIT_PERMISSION)):
        raise Forbidden(_("This api_key may not submit service requests."))
    context = audit_context(session)
    context.via, context.actor_id = "api", user.id
    return principal


@router.post(PREFIX + "/requests.{fmt}", summary="Open311 service request submission")
@router.post(PREFIX + "/requests", include_in_schema=False)
def post_request(request: Request, session: DbSession, fmt: Format, form: PostedBody) -> Response:
    """Store a report sent by an API client: form-encoded or multipart with photos."""
    settings = _settings(request)
    sent = Params(form.items)
    check_jurisdiction(sent.get("jurisdiction_id"), settings.base_url)
    principal = api_client(session, sent.get("api_key"))
    draft = parse_submission(form.items, form.photos).draft
    report = submit_report(session, settings, draft, principal)
    category = CategoryRepository(session).get(report.category_id)
    answer: list[dict[str, Any]] = [
        {
            "service_request_id": str(report.id),
            "service_notice": (category.notice if category is not None else "") or None,
            "account_id": None,
        }
    ]
    return render(fmt, "service_requests", answer)
