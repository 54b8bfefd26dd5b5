"""Routing rules in the back office: who receives the reports of a category in an area.

Administrators (``reports.admin``) see the rules in the order routing tries them, edit them,
and test where a point lies and who would receive a report there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import is_id
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.reports import settings_service as service
from servicielle.reports.backoffice import Posted, fields
from servicielle.reports.backoffice_settings import BASE, Configurator, saved, settings_page
from servicielle.reports.models import RoutingRule
from servicielle.reports.repository import CategoryRepository, RoutingRepository
from servicielle.reports.settings_repository import SettingsRepository

router = APIRouter(prefix="/signalements")


def _routing_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    rule: RoutingRule | None = None,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    territory = TerritoryRepository(session)
    categories = CategoryRepository(session).every()
    organisations = OrganisationRepository(session).list()
    communes = sorted(
        ((code, name) for code, name, _p in territory.commune_summaries()), key=lambda c: c[1]
    )
    geozones = territory.geozones()
    if values is None and rule is not None:
        values = {
            "category": str(rule.category_id or ""),
            "commune": rule.commune_code or "",
            "geozone": rule.geozone_slug or "",
            "organisation": str(rule.organisation_id),
        }
    context: dict[str, Any] = {
        "rule": rule,
        "ranked": service.ranked_rules(RoutingRepository(session).rules()),
        "category_options": [(c.id, c.name) for c in categories],
        "category_names": {c.id: c.name for c in categories},
        "commune_options": communes,
        "commune_names": dict(communes),
        "geozone_options": [(z.slug, z.name) for z in geozones],
        "geozone_names": {z.slug: z.name for z in geozones},
        "organisation_options": [(o.id, o.name) for o in organisations],
        "organisation_names": {o.id: o.name for o in organisations},
        "values": values or {},
        "errors": errors or {},
        "test": {},
        "test_errors": {},
        "test_values": {},
    }
    if rule is None and request.query_params.get("test") == "1":
        test_values = dict(request.query_params)
        context["test_values"] = test_values
        try:
            placement, organisation, category = service.try_route(session, test_values)
        except ServicielleError as exc:
            context["test_errors"] = exc.by_field("lat")
            status_code = max(status_code, exc.status)
        else:
            context["test"] = {
                "placement": placement,
                "organisation": organisation,
                "category": category,
            }
    template = "rule.html" if rule is not None else "routing.html"
    return settings_page(request, principal, template, context, status_code=status_code)


@router.get("/orientation", response_class=HTMLResponse)
def routing(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """Routing rules in the order they apply, a form for a new one, and a point to test."""
    return _routing_page(request, session, principal)


@router.post("/orientation", response_class=HTMLResponse)
def create_rule(
    request: Request, session: DbSession, _csrf: CsrfChecked, principal: Configurator, form: Posted
) -> Response:
    """Add a routing rule."""
    values = fields(form)
    try:
        service.save_rule(session, None, values)
    except ServicielleError as exc:
        return _routing_page(
            request,
            session,
            principal,
            values=values,
            errors=exc.by_field("category"),
            status_code=exc.status,
        )
    return saved(f"{BASE}/orientation")


def _rule(session: Session, rule_id: int) -> RoutingRule:
    rule = SettingsRepository(session).rule(rule_id) if is_id(rule_id) else None
    if rule is None:
        raise NotFound(_("No such routing rule."))
    return rule


@router.get("/orientation/{rule_id:int}", response_class=HTMLResponse)
def edit_rule(
    request: Request, session: DbSession, rule_id: int, principal: Configurator
) -> HTMLResponse:
    """A routing rule's form."""
    return _routing_page(request, session, principal, rule=_rule(session, rule_id))


@router.post("/orientation/{rule_id:int}", response_class=HTMLResponse)
def update_rule(
    request: Request,
    session: DbSession,
    rule_id: int,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Save a routing rule."""
    rule = _rule(session, rule_id)
    values = fields(form)
    try:
        with session.begin_nested():
            service.save_rule(session, rule, values)
    except ServicielleError as exc:
        return _routing_page(
            request,
            session,
            principal,
            rule=rule,
            values=values,
            errors=exc.by_field("category"),
            status_code=exc.status,
        )
    return saved(f"{BASE}/orientation")


@router.post("/orientation/{rule_id:int}/suppression")
def delete_rule(
    session: DbSession, rule_id: int, _csrf: CsrfChecked, principal: Configurator
) -> Response:
    """Remove a routing rule."""
    service.delete_rule(session, _rule(session, rule_id))
    return saved(f"{BASE}/orientation", "deleted")
