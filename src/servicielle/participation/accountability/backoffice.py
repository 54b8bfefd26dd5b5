"""Back office of accountability: results across processes, their progress and milestones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from servicielle.core.accounts.auth import Authorize
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import N_, _
from servicielle.core.ids import parse_id
from servicielle.core.permissions import Principal
from servicielle.core.posted import posted_form
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.accountability import service
from servicielle.participation.accountability.models import Result, ResultStatus
from servicielle.participation.accountability.repository import AccountabilityRepository
from servicielle.participation.accountability.views import page_helpers

router = APIRouter(prefix="/participation/realisations")
Staff = Annotated[Principal, Authorize("participation.accountability")]
BASE = "/admin/participation/realisations"
DONE = {
    "created": N_("The results were created from the winning projects."),
    "saved": N_("The result is saved."),
    "milestone": N_("The milestone is saved."),
    "deleted": N_("The milestone is deleted."),
}


async def posted_fields(form: Annotated[FormData, Depends(posted_form)]) -> dict[str, str]:
    """The posted text fields, read once under the shared size cap, CSRF checked."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(posted_fields)]


def _flash(request: Request, context: dict[str, Any]) -> None:
    done = DONE.get(request.query_params.get("done", ""))
    if done:
        context["flash"] = _(done)


def _result(session: DbSession, result_id: str) -> Result:
    number = parse_id(result_id)
    result = AccountabilityRepository(session).result(number) if number else None
    if result is None:
        raise NotFound(_("No such result."))
    return result


def _list_page(
    request: Request,
    session: DbSession,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = AccountabilityRepository(session)
    results = repository.every_result()
    processes = repository.processes({r.process_id for r in results})
    context: dict[str, Any] = {
        "groups": [(p, [r for r in results if r.process_id == p.id]) for p in processes],
        "budgets": repository.published_budgets(),
        "process_titles": {p.id: p.title for p in repository.processes()},
        "errors": errors or {},
        **page_helpers(),
    }
    _flash(request, context)
    return render(
        request, "participation/accountability/admin_list.html", context, status_code=status_code
    )


def _result_page(
    request: Request,
    session: DbSession,
    result: Result,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = AccountabilityRepository(session)
    context: dict[str, Any] = {
        "result": result,
        "process": next(iter(repository.processes({result.process_id})), None),
        "milestones": repository.milestones([result.id]).get(result.id, []),
        "statuses": [(s.value, service.status_label(s)) for s in ResultStatus],
        "errors": errors or {},
        "values": values or {},
        **page_helpers(),
    }
    _flash(request, context)
    return render(
        request, "participation/accountability/admin_result.html", context, status_code=status_code
    )


@router.get("", response_class=HTMLResponse)
def results_list(request: Request, session: DbSession, _principal: Staff) -> HTMLResponse:
    """Every result being made, by process; create them from a budget's winners."""
    return _list_page(request, session)


@router.post("/depuis-budget", response_class=HTMLResponse)
def from_winners(request: Request, session: DbSession, _principal: Staff, form: Posted) -> Response:
    """Create one result per funded project of a published budget."""
    number = parse_id(form.get("budget"))
    budget = AccountabilityRepository(session).budget(number) if number else None
    if budget is None:
        return _list_page(
            request, session, errors={"budget": _("Choose a budget.")}, status_code=422
        )
    try:
        service.create_from_winners(session, budget)
    except ServicielleError as exc:
        return _list_page(request, session, errors={"budget": exc.detail}, status_code=exc.status)
    return RedirectResponse(f"{BASE}?done=created", status_code=303)


@router.get("/{result_id}", response_class=HTMLResponse)
def edit_result(
    result_id: str, request: Request, session: DbSession, _principal: Staff
) -> HTMLResponse:
    """A result's form and its milestones."""
    return _result_page(request, session, _result(session, result_id))


@router.post("/{result_id}", response_class=HTMLResponse)
def save_result(
    result_id: str, request: Request, session: DbSession, _principal: Staff, form: Posted
) -> Response:
    """Save a result's status, progress, money, dates and description."""
    result = _result(session, result_id)
    try:
        service.update_result(session, result, form)
    except ServicielleError as exc:
        return _result_page(
            request, session, result, errors=exc.by_field(), values=form, status_code=exc.status
        )
    return RedirectResponse(f"{BASE}/{result.id}?done=saved", status_code=303)


@router.post("/{result_id}/jalons", response_class=HTMLResponse)
def add_milestone(
    result_id: str, request: Request, session: DbSession, _principal: Staff, form: Posted
) -> Response:
    """Add a dated milestone."""
    result = _result(session, result_id)
    try:
        service.add_milestone(session, result, form)
    except ServicielleError as exc:
        values = {f"new-{k}": v for k, v in form.items()}
        return _result_page(
            request, session, result, errors=exc.by_field(), values=values, status_code=exc.status
        )
    return RedirectResponse(f"{BASE}/{result.id}?done=milestone", status_code=303)


@router.post("/{result_id}/jalons/{milestone_id}", response_class=HTMLResponse)
def save_milestone(
    result_id: str,
    milestone_id: str,
    request: Request,
    session: DbSession,
    _principal: Staff,
    form: Posted,
) -> Response:
    """Change a milestone."""
    result = _result(session, result_id)
    number = parse_id(milestone_id)
    milestone = AccountabilityRepository(session).milestone(result.id, number) if number else None
    if milestone is None:
        raise NotFound(_("No such milestone."))
    try:
        service.update_milestone(session, milestone, form)
    except ServicielleError as exc:
        values = {f"m{milestone.id}-{k}": v for k, v in form.items()}
        return _result_page(
            request, session, result, errors=exc.by_field(), values=values, status_code=exc.status
        )
    return RedirectResponse(f"{BASE}/{result.id}?done=milestone", status_code=303)


@router.post("/{result_id}/jalons/{milestone_id}/supprimer", response_class=HTMLResponse)
def delete_milestone(
    result_id: str, milestone_id: str, session: DbSession, _principal: Staff, _form: Posted
) -> Response:
    """Delete a milestone."""
    result = _result(session, result_id)
    number = parse_id(milestone_id)
    milestone = AccountabilityRepository(session).milestone(result.id, number) if number else None
    if milestone is None:
        raise NotFound(_("No such milestone."))
    service.delete_milestone(session, milestone)
    return RedirectResponse(f"{BASE}/{result.id}?done=deleted", status_code=303)
