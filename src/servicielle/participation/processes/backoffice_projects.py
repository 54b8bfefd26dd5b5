"""Back office of a budget's projects: the list, one project, projects from accepted proposals.

Mounted through ``budgets/backoffice.py``'s router (under /admin/participation).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.posted import CsrfChecked, Posted
from servicielle.core.session import DbSession
from servicielle.participation.budgets import setup
from servicielle.participation.budgets.models import Budget, Project
from servicielle.participation.budgets.repository import BudgetSetupRepository
from servicielle.participation.processes.backoffice_common import (
    BASE,
    Configurator,
    admin_page,
    budget_or_404,
    fields,
    many,
    process_of_budget,
    saved,
)
from servicielle.participation.processes.repository import CategoryRepository, ProcessRepository

router = APIRouter()
TEMPLATES = "participation/budget_setup"


def _project_or_404(session: Session, budget: Budget, project_id: str) -> Project:
    number = parse_id(project_id)
    project = (
        BudgetSetupRepository(session).project(budget.id, number) if number is not None else None
    )
    if project is None:
        raise NotFound(_("No such project."))
    return project


def _projects_page(
    request: Request,
    session: Session,
    budget: Budget,
    *,
    errors: dict[str, str] | None = None,
    ticked: Mapping[int, int] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = BudgetSetupRepository(session)
    envelopes = list(repository.envelopes(budget.id))
    proposals = repository.accepted_proposals(budget.process_id, budget.id)
    defaults = {}
    for proposal in proposals:
        envelope = setup.default_envelope(envelopes, proposal)
        defaults[proposal.id] = envelope.id if envelope is not None else 0
    projects = repository.projects(budget.id)
    return admin_page(
        request,
        f"{TEMPLATES}/projects.html",
        {
            "process": process_of_budget(session, budget),
            "budget": budget,
            "envelopes": envelopes,
            "by_envelope": {
                e.id: [p for p in projects if p.envelope_id == e.id] for e in envelopes
            },
            "proposals": proposals,
            "defaults": {**defaults, **(ticked or {})},
            "ticked": set(ticked or {}),
            "locked": repository.has_ballots(budget.id),
            "category_names": {c.id: c.name for c in CategoryRepository(session).every()},
            "zone_names": {z.id: z.name for z in ProcessRepository(session).geozones()},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/budgets/{budget_id}/projets", response_class=HTMLResponse)
def projects(
    request: Request, session: DbSession, budget_id: str, principal: Configurator
) -> HTMLResponse:
    """The budget's projects by envelope, and the accepted proposals not yet projects."""
    return _projects_page(request, session, budget_or_404(session, budget_id))


@router.post("/budgets/{budget_id}/projets/depuis-propositions", response_class=HTMLResponse)
def from_proposals(
    request: Request,
    session: DbSession,
    budget_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Make projects of the ticked accepted proposals, each in its chosen envelope."""
    budget = budget_or_404(session, budget_id)
    values = fields(form)
    choices: dict[int, int] = {}
    for raw in many(form, "proposals", 2000):
        proposal_id = parse_id(raw)
        if proposal_id is not None:
            choices[proposal_id] = parse_id(values.get(f"envelope-{proposal_id}")) or 0
    try:
        with session.begin_nested():
            created = setup.projects_from_proposals(session, budget, choices)
    except ServicielleError as exc:
        return _projects_page(
            request,
            session,
            budget,
            errors=exc.by_field("proposals"),
            ticked=choices,
            status_code=exc.status,
        )
    return saved(f"{BASE}/budgets/{budget.id}/projets", "created", len(created))


def _project_page(
    request: Request,
    session: Session,
    budget: Budget,
    project: Project | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = BudgetSetupRepository(session)
    envelopes = repository.envelopes(budget.id)
    if values is None:
        if project is not None:
            values = {
                "envelope_id": str(project.envelope_id),
                "title": project.title,
                "description": project.description,
                "cost": str(project.cost),
                "category_id": str(project.category_id or ""),
                "geozone_id": str(project.geozone_id or ""),
                "latitude": "" if project.latitude is None else str(project.latitude),
                "longitude": "" if project.longitude is None else str(project.longitude),
                "address": project.address,
            }
        else:
            values = {"envelope_id": str(envelopes[0].id) if envelopes else ""}
    return admin_page(
        request,
        f"{TEMPLATES}/project.html",
        {
            "process": process_of_budget(session, budget),
            "budget": budget,
            "project": project,
            "values": values,
            "errors": errors or {},
            "locked": repository.has_ballots(budget.id),
            "envelope_options": [(e.id, e.title) for e in envelopes],
            "category_options": [(c.id, c.name) for c in CategoryRepository(session).every()],
            "zone_options": [(z.id, z.name) for z in ProcessRepository(session).geozones()],
        },
        status_code=status_code,
    )


@router.get("/budgets/{budget_id}/projets/nouveau", response_class=HTMLResponse)
def new_project(
    request: Request, session: DbSession, budget_id: str, principal: Configurator
) -> HTMLResponse:
    """The form for a new project."""
    return _project_page(request, session, budget_or_404(session, budget_id), None)


@router.get("/budgets/{budget_id}/projets/{project_id}", response_class=HTMLResponse)
def edit_project(
    request: Request, session: DbSession, budget_id: str, project_id: str, principal: Configurator
) -> HTMLResponse:
    """A project's form."""
    budget = budget_or_404(session, budget_id)
    return _project_page(request, session, budget, _project_or_404(session, budget, project_id))


@router.post("/budgets/{budget_id}/projets/{project_id}", response_class=HTMLResponse)
def save_project(
    request: Request,
    session: DbSession,
    budget_id: str,
    project_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Create (``nouveau``) or save a project, while nobody voted."""
    budget = budget_or_404(session, budget_id)
    project = None if project_id == "nouveau" else _project_or_404(session, budget, project_id)
    values = fields(form)
    try:
        with session.begin_nested():
            setup.project_from_form(session, budget, project, values)
    except ServicielleError as exc:
        if project is not None:
            session.refresh(project)
        return _project_page(
            request,
            session,
            budget,
            project,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/budgets/{budget.id}/projets")


@router.post("/budgets/{budget_id}/projets/{project_id}/suppression", response_class=HTMLResponse)
def delete_project(
    request: Request,
    session: DbSession,
    budget_id: str,
    project_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
) -> Response:
    """Take a project off the ballot, while nobody voted."""
    budget = budget_or_404(session, budget_id)
    project = _project_or_404(session, budget, project_id)
    try:
        setup.delete_project(session, budget, project)
    except ServicielleError as exc:
        return _projects_page(
            request, session, budget, errors=exc.by_field("form"), status_code=exc.status
        )
    return saved(f"{BASE}/budgets/{budget.id}/projets", "deleted")
