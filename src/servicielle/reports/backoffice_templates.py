"""Reply templates in the back office: public notes agents reuse, suggested for a status.

Anyone who handles reports manages their own organisations' templates; templates for every
organisation are for administrators.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import is_id
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports import settings_service as service
from servicielle.reports.backoffice import Handler, Posted, fields
from servicielle.reports.backoffice_settings import BASE, saved, settings_page
from servicielle.reports.models import ReplyTemplate
from servicielle.reports.queue import StaffReportRepository
from servicielle.reports.settings_repository import SettingsRepository

router = APIRouter(prefix="/signalements")


def _template(session: Session, principal: Principal, template_id: int) -> ReplyTemplate:
    template = SettingsRepository(session).template(template_id) if is_id(template_id) else None
    if template is None:
        raise NotFound(_("No such reply template."))
    service.check_template_owner(principal, template)
    return template


def _organisation_options(session: Session, principal: Principal) -> list[tuple[int, str]]:
    organisations = OrganisationRepository(session)
    found = (
        organisations.list()
        if principal.is_admin
        else organisations.by_ids(set(principal.organisation_ids))
    )
    return [(o.id, o.name) for o in found]


@router.get("/modeles", response_class=HTMLResponse)
def templates(request: Request, session: DbSession, principal: Handler) -> HTMLResponse:
    """The reply templates one may manage."""
    organisations = OrganisationRepository(session).list()
    return settings_page(
        request,
        principal,
        "templates.html",
        {
            "templates": StaffReportRepository(session, principal).managed_templates(),
            "organisation_names": {o.id: o.name for o in organisations},
        },
    )


def _template_page(
    request: Request,
    session: Session,
    principal: Principal,
    template: ReplyTemplate | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = (
            {
                "title": template.title,
                "body": template.body,
                "status": template.status or "",
                "organisation": str(template.organisation_id or ""),
            }
            if template is not None
            else {}
        )
    return settings_page(
        request,
        principal,
        "template.html",
        {
            "template": template,
            "values": values,
            "errors": errors or {},
            "organisation_options": _organisation_options(session, principal),
        },
        status_code=status_code,
    )


@router.get("/modeles/nouveau", response_class=HTMLResponse)
def new_template(request: Request, session: DbSession, principal: Handler) -> HTMLResponse:
    """The form for a new reply template."""
    return _template_page(request, session, principal, None)


@router.post("/modeles/nouveau", response_class=HTMLResponse)
def create_template(
    request: Request, session: DbSession, _csrf: CsrfChecked, principal: Handler, form: Posted
) -> Response:
    """Create a reply template."""
    values = fields(form)
    try:
        service.save_template(session, principal, None, values)
    except ServicielleError as exc:
        return _template_page(
            request,
            session,
            principal,
            None,
            values=values,
            errors=exc.by_field("title"),
            status_code=exc.status,
        )
    return saved(f"{BASE}/modeles")


@router.get("/modeles/{template_id:int}", response_class=HTMLResponse)
def edit_template(
    request: Request, session: DbSession, template_id: int, principal: Handler
) -> HTMLResponse:
    """A reply template's form."""
    template = _template(session, principal, template_id)
    return _template_page(request, session, principal, template)


@router.post("/modeles/{template_id:int}", response_class=HTMLResponse)
def update_template(
    request: Request,
    session: DbSession,
    template_id: int,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Save a reply template."""
    template = _template(session, principal, template_id)
    values = fields(form)
    try:
        with session.begin_nested():
            service.save_template(session, principal, template, values)
    except ServicielleError as exc:
        return _template_page(
            request,
            session,
            principal,
            template,
            values=values,
            errors=exc.by_field("title"),
            status_code=exc.status,
        )
    return saved(f"{BASE}/modeles")


@router.post("/modeles/{template_id:int}/suppression")
def delete_template(
    session: DbSession, template_id: int, _csrf: CsrfChecked, principal: Handler
) -> Response:
    """Delete a reply template."""
    service.delete_template(session, principal, _template(session, principal, template_id))
    return saved(f"{BASE}/modeles", "deleted")
