"""Back office of participation: the landing page (processes), a process's settings.

Phases and categories have their own modules, included here: the manifest mounts this
``router`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import ServicielleError
from servicielle.core.posted import CsrfChecked, Posted
from servicielle.core.session import DbSession
from servicielle.participation.budgets.repository import BudgetSetupRepository
from servicielle.participation.models import Process
from servicielle.participation.phases import current_phase
from servicielle.participation.processes import (
    backoffice_categories,
    backoffice_phases,
    display,
    service,
)
from servicielle.participation.processes.backoffice_common import (
    BASE,
    Configurator,
    admin_page,
    fields,
    many,
    process_or_404,
    saved,
)
from servicielle.participation.processes.repository import ProcessRepository

router = APIRouter(prefix="/participation")
TEMPLATES = "participation/processes/admin"


@router.get("", response_class=HTMLResponse)
def processes(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """Every process, published or not, with its running phase; the module's landing page."""
    repository = ProcessRepository(session)
    every = repository.every()
    phases = repository.phases_of({p.id for p in every})
    rows = [
        {
            "process": process,
            "running": current_phase(phases.get(process.id, [])),
            "phases": len(phases.get(process.id, [])),
        }
        for process in every
    ]
    return admin_page(request, f"{TEMPLATES}/list.html", {"rows": rows})


def _values(process: Process) -> dict[str, str]:
    return {
        "slug": process.slug,
        "title": process.title,
        "summary": process.summary,
        "description": process.description,
        "published": "1" if process.published else "",
        "support_threshold": str(process.support_threshold or ""),
        "support_expiry_days": str(process.support_expiry_days or ""),
        "flags_to_hide": str(process.flags_to_hide),
        "proposals_per_hour": str(process.proposals_per_hour),
        "comments_per_hour": str(process.comments_per_hour),
    }


NEW_VALUES = {"flags_to_hide": "3", "proposals_per_hour": "5", "comments_per_hour": "20"}


def _process_page(
    request: Request,
    session: Session,
    process: Process | None,
    *,
    values: Mapping[str, str] | None = None,
    scope: Sequence[str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = ProcessRepository(session)
    phases = repository.phases(process.id) if process is not None else []
    if values is None:
        values = _values(process) if process is not None else NEW_VALUES
    if scope is None:
        scope = list(process.scope) if process is not None else []
    return admin_page(
        request,
        f"{TEMPLATES}/process.html",
        {
            "process": process,
            "values": values,
            "scope": list(scope),
            "errors": errors or {},
            "geozone_options": [(z.slug, z.name) for z in repository.geozones()],
            "timeline": display.timeline(phases),
            "budgets": BudgetSetupRepository(session).budgets(process.id) if process else [],
        },
        status_code=status_code,
    )


@router.get("/processus/nouveau", response_class=HTMLResponse)
def new_process(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """The form for a new process."""
    return _process_page(request, session, None)


@router.post("/processus/nouveau", response_class=HTMLResponse)
def create_process(
    request: Request, session: DbSession, _csrf: CsrfChecked, principal: Configurator, form: Posted
) -> Response:
    """Create a process."""
    values, scope = fields(form), many(form, "scope")
    try:
        process = service.process_from_form(session, None, values, scope)
    except ServicielleError as exc:
        return _process_page(
            request,
            session,
            None,
            values=values,
            scope=scope,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/processus/{process.id}")


@router.get("/processus/{process_id}", response_class=HTMLResponse)
def edit_process(
    request: Request, session: DbSession, process_id: str, principal: Configurator
) -> HTMLResponse:
    """A process's settings, its phases and its budgets."""
    return _process_page(request, session, process_or_404(session, process_id))


@router.post("/processus/{process_id}", response_class=HTMLResponse)
def update_process(
    request: Request,
    session: DbSession,
    process_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Save a process's settings."""
    process = process_or_404(session, process_id)
    values, scope = fields(form), many(form, "scope")
    try:
        with session.begin_nested():
            service.process_from_form(session, process, values, scope)
    except ServicielleError as exc:
        session.refresh(process)
        return _process_page(
            request,
            session,
            process,
            values=values,
            scope=scope,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/processus/{process.id}")


router.include_router(backoffice_phases.router)
router.include_router(backoffice_categories.router)
