"""Back office of the budget set-up: a budget's rules and its envelopes.

Its projects' pages are in ``processes/backoffice_projects.py``, included here. Once people
voted, the rules, envelopes and projects are frozen (``setup.ensure_unlocked``).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import N_, _
from servicielle.core.ids import parse_id
from servicielle.core.posted import CsrfChecked, Posted
from servicielle.core.session import DbSession
from servicielle.participation.budgets import setup
from servicielle.participation.budgets.models import BallotKind, Budget, Envelope, TallyRule
from servicielle.participation.budgets.repository import BudgetSetupRepository
from servicielle.participation.models import Process
from servicielle.participation.processes import backoffice_projects
from servicielle.participation.processes.backoffice_common import (
    BASE,
    Configurator,
    admin_page,
    budget_or_404,
    fields,
    process_of_budget,
    process_or_404,
    saved,
)
from servicielle.participation.processes.repository import ProcessRepository

router = APIRouter(prefix="/participation")
TEMPLATES = "participation/budget_setup"
BALLOT_KIND_LABELS = {
    BallotKind.APPROVAL: N_("Approval: choose between a minimum and a maximum of projects"),
    BallotKind.KNAPSACK: N_("Within the envelope: choose projects whose costs fit the envelope"),
    BallotKind.CUMULATIVE: N_("Points: spread points over the projects"),
}
TALLY_RULE_LABELS = {
    TallyRule.GREEDY: N_("Most votes first (greedy), as Paris and CONSUL count"),
    TallyRule.MES: N_("Method of Equal Shares"),
    TallyRule.MES_ADD1: N_("Equal Shares with Add1 completion (Wieliczka, Świecie, Assen)"),
}
THRESHOLD_LABELS = {
    "swiecie": N_(
        "Świecie's threshold: a project needs a share of voters above its cost / 3× the budget"
    ),
}


def _values(budget: Budget) -> dict[str, str]:
    values = {name: getattr(budget, name) for name in ("title", "description", *setup.RULE_FIELDS)}
    return {
        name: ("1" if value else "")
        if isinstance(value, bool)
        else ("" if value is None else str(value))
        for name, value in values.items()
    }


def _budget_page(
    request: Request,
    session: Session,
    process: Process,
    budget: Budget | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = BudgetSetupRepository(session)
    if values is None:
        values = _values(budget) if budget is not None else _values(Budget(**NEW_BUDGET))
    zones = {z.id: z.name for z in ProcessRepository(session).geozones()}
    envelopes = repository.envelopes(budget.id) if budget is not None else []
    return admin_page(
        request,
        f"{TEMPLATES}/budget.html",
        {
            "process": process,
            "budget": budget,
            "values": values,
            "errors": errors or {},
            "locked": budget is not None and repository.has_ballots(budget.id),
            "ballots": repository.ballot_count(budget.id) if budget is not None else 0,
            "envelopes": envelopes,
            "project_counts": repository.project_counts(budget.id) if budget is not None else {},
            "zone_names": zones,
            "kind_options": [(str(k), _(v)) for k, v in BALLOT_KIND_LABELS.items()],
            "rule_options": [(str(k), _(v)) for k, v in TALLY_RULE_LABELS.items()],
            "threshold_options": [(k, _(v)) for k, v in THRESHOLD_LABELS.items()],
        },
        status_code=status_code,
    )


NEW_BUDGET: dict[str, object] = {
    "title": "",
    "description": "",
    "ballot_kind": BallotKind.APPROVAL,
    "min_projects": 1,
    "max_projects": None,
    "min_spend_percent": 0,
    "points_total": 10,
    "points_per_project": 3,
    "min_age": 16,
    "residents_only": True,
    "tally_rule": TallyRule.GREEDY,
    "tally_completion": False,
    "tally_threshold": None,
}


@router.get("/processus/{process_id}/budgets/nouveau", response_class=HTMLResponse)
def new_budget(
    request: Request, session: DbSession, process_id: str, principal: Configurator
) -> HTMLResponse:
    """The form for a new budget of a process."""
    return _budget_page(request, session, process_or_404(session, process_id), None)


@router.post("/processus/{process_id}/budgets/nouveau", response_class=HTMLResponse)
def create_budget(
    request: Request,
    session: DbSession,
    process_id: str,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Create a budget."""
    process = process_or_404(session, process_id)
    values = fields(form)
    try:
        budget = setup.budget_from_form(session, process, None, values)
    except ServicielleError as exc:
        return _budget_page(
            request,
            session,
            process,
            None,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/budgets/{budget.id}")


@router.get("/budgets/{budget_id}", response_class=HTMLResponse)
def edit_budget(
    request: Request, session: DbSession, budget_id: str, principal: Configurator
) -> HTMLResponse:
    """A budget's rules and envelopes."""
    budget = budget_or_404(session, budget_id)
    return _budget_page(request, session, process_of_budget(session, budget), budget)


@router.post("/budgets/{budget_id}", response_class=HTMLResponse)
def update_budget(
    request: Request,
    session: DbSession,
    budget_id: str,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Save a budget: title and description always, its rules while nobody voted."""
    budget = budget_or_404(session, budget_id)
    process = process_of_budget(session, budget)
    values = fields(form)
    if BudgetSetupRepository(session).has_ballots(budget.id):
        # The frozen rules are shown disabled, so the browser does not send them back.
        values = {
            **_values(budget),
            "title": values.get("title", ""),
            "description": values.get("description", ""),
        }
    try:
        with session.begin_nested():
            setup.budget_from_form(session, process, budget, values)
    except ServicielleError as exc:
        session.refresh(budget)
        return _budget_page(
            request,
            session,
            process,
            budget,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/budgets/{budget.id}")


@router.post("/budgets/{budget_id}/suppression", response_class=HTMLResponse)
def delete_budget(
    request: Request,
    session: DbSession,
    budget_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
) -> Response:
    """Delete a budget nobody voted in."""
    budget = budget_or_404(session, budget_id)
    process = process_of_budget(session, budget)
    try:
        setup.delete_budget(session, budget)
    except ServicielleError as exc:
        return _budget_page(
            request, session, process, budget, errors=exc.by_field(), status_code=exc.status
        )
    return saved(f"{BASE}/processus/{process.id}", "deleted")


# ---------- Envelopes ----------


def _envelope_or_404(session: Session, budget: Budget, envelope_id: str) -> Envelope:
    number = parse_id(envelope_id)
    repository = BudgetSetupRepository(session)
    envelope = repository.envelope(budget.id, number) if number is not None else None
    if envelope is None:
        raise NotFound(_("No such envelope."))
    return envelope


def _envelope_page(
    request: Request,
    session: Session,
    budget: Budget,
    envelope: Envelope | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = (
            {
                "title": envelope.title,
                "amount": str(envelope.amount),
                "geozone_id": str(envelope.geozone_id or ""),
            }
            if envelope is not None
            else {}
        )
    return admin_page(
        request,
        f"{TEMPLATES}/envelope.html",
        {
            "process": process_of_budget(session, budget),
            "budget": budget,
            "envelope": envelope,
            "values": values,
            "errors": errors or {},
            "locked": BudgetSetupRepository(session).has_ballots(budget.id),
            "zone_options": [(z.id, z.name) for z in ProcessRepository(session).geozones()],
        },
        status_code=status_code,
    )


@router.get("/budgets/{budget_id}/enveloppes/nouvelle", response_class=HTMLResponse)
def new_envelope(
    request: Request, session: DbSession, budget_id: str, principal: Configurator
) -> HTMLResponse:
    """The form for a new envelope."""
    return _envelope_page(request, session, budget_or_404(session, budget_id), None)


@router.get("/budgets/{budget_id}/enveloppes/{envelope_id}", response_class=HTMLResponse)
def edit_envelope(
    request: Request, session: DbSession, budget_id: str, envelope_id: str, principal: Configurator
) -> HTMLResponse:
    """An envelope's form."""
    budget = budget_or_404(session, budget_id)
    return _envelope_page(request, session, budget, _envelope_or_404(session, budget, envelope_id))


@router.post("/budgets/{budget_id}/enveloppes/{envelope_id}", response_class=HTMLResponse)
def save_envelope(
    request: Request,
    session: DbSession,
    budget_id: str,
    envelope_id: str,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Create (``nouvelle``) or save an envelope."""
    budget = budget_or_404(session, budget_id)
    envelope = None if envelope_id == "nouvelle" else _envelope_or_404(session, budget, envelope_id)
    values = fields(form)
    try:
        with session.begin_nested():
            setup.envelope_from_form(session, budget, envelope, values)
    except ServicielleError as exc:
        if envelope is not None:
            session.refresh(envelope)
        return _envelope_page(
            request,
            session,
            budget,
            envelope,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/budgets/{budget.id}")


@router.post(
    "/budgets/{budget_id}/enveloppes/{envelope_id}/suppression", response_class=HTMLResponse
)
def delete_envelope(
    request: Request,
    session: DbSession,
    budget_id: str,
    envelope_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
) -> Response:
    """Delete an envelope and its projects, while nobody voted."""
    budget = budget_or_404(session, budget_id)
    envelope = _envelope_or_404(session, budget, envelope_id)
    try:
        setup.delete_envelope(session, budget, envelope)
    except ServicielleError as exc:
        return _envelope_page(
            request, session, budget, envelope, errors=exc.by_field(), status_code=exc.status
        )
    return saved(f"{BASE}/budgets/{budget.id}", "deleted")


router.include_router(backoffice_projects.router)
