"""Back office of a process's phases: add, edit, delete; dates typed on the territory's clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.posted import CsrfChecked, Posted
from servicielle.core.session import DbSession
from servicielle.participation.models import Feature, Phase, PhaseKind, Process
from servicielle.participation.phases import PHASE_LABELS, default_features
from servicielle.participation.processes import display, service
from servicielle.participation.processes.backoffice_common import (
    BASE,
    Configurator,
    admin_page,
    fields,
    many,
    process_or_404,
    saved,
)
from servicielle.participation.processes.forms import to_local_input
from servicielle.participation.processes.repository import ProcessRepository

router = APIRouter()


def _phase_or_404(session: Session, process: Process, phase_id: str) -> Phase:
    number = parse_id(phase_id)
    phase = ProcessRepository(session).phase(process.id, number) if number is not None else None
    if phase is None:
        raise NotFound(_("No such phase."))
    return phase


def _values(phase: Phase) -> dict[str, str]:
    return {
        "kind": phase.kind,
        "title": phase.title,
        "description": phase.description,
        "starts_at": to_local_input(phase.starts_at),
        "ends_at": to_local_input(phase.ends_at),
    }


def _new_values(session: Session, process: Process, kind: str) -> dict[str, str]:
    # A new phase starts where the last one ends, so the usual case needs no typing.
    phases = ProcessRepository(session).phases(process.id)
    last = phases[-1] if phases else None
    return {
        "kind": kind,
        "starts_at": to_local_input(last.ends_at) if last is not None else "",
        "ends_at": "",
    }


def _phase_page(
    request: Request,
    session: Session,
    process: Process,
    phase: Phase | None,
    *,
    values: Mapping[str, str],
    features: Sequence[str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        "participation/processes/admin/phase.html",
        {
            "process": process,
            "phase": phase,
            "values": values,
            "features": list(features),
            "errors": errors or {},
            "kind_options": [(str(k), _(PHASE_LABELS[k])) for k in PhaseKind],
            "feature_options": [(str(f), _(display.FEATURE_LABELS[f])) for f in Feature],
            "defaults": {str(k): default_features(k) for k in PhaseKind},
        },
        status_code=status_code,
    )


@router.get("/processus/{process_id}/phases/nouvelle", response_class=HTMLResponse)
def new_phase(
    request: Request, session: DbSession, process_id: str, principal: Configurator
) -> HTMLResponse:
    """The form for a new phase; ``?kind=`` pre-fills the kind and its features."""
    process = process_or_404(session, process_id)
    asked = request.query_params.get("kind", "")
    kind = asked if asked in set(PhaseKind) else str(PhaseKind.INFORMATION)
    return _phase_page(
        request,
        session,
        process,
        None,
        values=_new_values(session, process, kind),
        features=default_features(kind),
    )


@router.post("/processus/{process_id}/phases/nouvelle", response_class=HTMLResponse)
def create_phase(
    request: Request,
    session: DbSession,
    process_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Add a phase to a process."""
    process = process_or_404(session, process_id)
    values, chosen = fields(form), many(form, "features", 20)
    if values.get("action") == "defaults":
        kind = values.get("kind", "")
        chosen = default_features(kind) if kind in set(PhaseKind) else []
        return _phase_page(request, session, process, None, values=values, features=chosen)
    try:
        service.phase_from_form(session, process, None, values, chosen)
    except ServicielleError as exc:
        return _phase_page(
            request,
            session,
            process,
            None,
            values=values,
            features=chosen,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/processus/{process.id}")


@router.get("/processus/{process_id}/phases/{phase_id}", response_class=HTMLResponse)
def edit_phase(
    request: Request, session: DbSession, process_id: str, phase_id: str, principal: Configurator
) -> HTMLResponse:
    """A phase's form."""
    process = process_or_404(session, process_id)
    phase = _phase_or_404(session, process, phase_id)
    return _phase_page(
        request, session, process, phase, values=_values(phase), features=phase.features
    )


@router.post("/processus/{process_id}/phases/{phase_id}", response_class=HTMLResponse)
def update_phase(
    request: Request,
    session: DbSession,
    process_id: str,
    phase_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Save a phase."""
    process = process_or_404(session, process_id)
    phase = _phase_or_404(session, process, phase_id)
    values, chosen = fields(form), many(form, "features", 20)
    if values.get("action") == "defaults":
        kind = values.get("kind", "")
        chosen = default_features(kind) if kind in set(PhaseKind) else []
        return _phase_page(request, session, process, phase, values=values, features=chosen)
    try:
        with session.begin_nested():
            service.phase_from_form(session, process, phase, values, chosen)
    except ServicielleError as exc:
        session.refresh(phase)
        return _phase_page(
            request,
            session,
            process,
            phase,
            values=values,
            features=chosen,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/processus/{process.id}")


@router.post("/processus/{process_id}/phases/{phase_id}/suppression")
def delete_phase(
    session: DbSession,
    process_id: str,
    phase_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
) -> Response:
    """Remove a phase."""
    process = process_or_404(session, process_id)
    service.delete_phase(session, _phase_or_404(session, process, phase_id))
    return saved(f"{BASE}/processus/{process.id}", "deleted")
