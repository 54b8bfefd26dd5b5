"""What the participation set-up pages share: the permission, the posted form, the page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from servicielle.core.accounts.auth import Authorize
from servicielle.core.errors import NotFound
from servicielle.core.i18n import N_, _, ngettext
from servicielle.core.ids import parse_id, whole_number
from servicielle.core.permissions import Principal
from servicielle.core.templating import render
from servicielle.participation.budgets.models import Budget
from servicielle.participation.budgets.repository import BudgetSetupRepository
from servicielle.participation.models import Process
from servicielle.participation.processes import display
from servicielle.participation.processes.repository import ProcessRepository

Configurator = Annotated[Principal, Authorize("participation.admin")]
BASE = "/admin/participation"
# What a redirect's ``done`` says: a fixed text, never one taken from the URL.
DONE: dict[str, Any] = {
    "saved": N_("Saved."),
    "deleted": N_("Deleted."),
    "created": (N_("%(num)d project created."), N_("%(num)d projects created.")),
    "released": (
        N_("Deleted; %(num)d proposal no longer has a category."),
        N_("Deleted; %(num)d proposals no longer have a category."),
    ),
}


def fields(form: FormData) -> dict[str, str]:
    """The form's text fields (the last value of each)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def many(form: FormData, name: str, limit: int = 200) -> list[str]:
    """Every value posted under ``name`` (ticked boxes), at most ``limit``."""
    return [value for value in form.getlist(name) if isinstance(value, str)][:limit]


def done_message(params: Mapping[str, str]) -> str | None:
    """The confirmation a redirect asked for."""
    message = DONE.get(params.get("done", ""))
    if message is None:
        return None
    if isinstance(message, tuple):
        count = whole_number(params.get("n"), max_digits=6) or 0
        return ngettext(message[0], message[1], count) % {"num": count}
    return _(message)


def admin_page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A back-office page of this area, with the confirmation a redirect asked for."""
    page = {"errors": {}, "values": {}, **display.helpers(), **context}
    message = done_message(request.query_params)
    if message is not None:
        page["flash"] = message
    return render(request, template, page, status_code=status_code)


def saved(url: str, done: str = "saved", count: int | None = None) -> RedirectResponse:
    """Back to ``url`` after a change, saying what was done."""
    suffix = f"&n={count}" if count is not None else ""
    return RedirectResponse(f"{url}?done={done}{suffix}", status_code=303)


def process_or_404(session: Session, process_id: str) -> Process:
    """The process of a back-office URL, or NotFound (for ids no row can have too)."""
    number = parse_id(process_id)
    process = ProcessRepository(session).get(number) if number is not None else None
    if process is None:
        raise NotFound(_("No such participatory process."))
    return process


def budget_or_404(session: Session, budget_id: str) -> Budget:
    """The budget of a back-office URL, or NotFound."""
    number = parse_id(budget_id)
    budget = BudgetSetupRepository(session).budget(number) if number is not None else None
    if budget is None:
        raise NotFound(_("No such budget."))
    return budget


def process_of_budget(session: Session, budget: Budget) -> Process:
    """The process a budget belongs to."""
    process = ProcessRepository(session).get(budget.process_id)
    assert process is not None  # a foreign key
    return process
