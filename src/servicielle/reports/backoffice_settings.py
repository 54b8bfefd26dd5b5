"""Settings of citizen reports: categories and their questions, and what every settings page
shares; routing rules are in ``backoffice_routing``, reply templates in ``backoffice_templates``.

Categories, questions and routing rules are for administrators (``reports.admin``); reply
templates for anyone who handles reports, each keeping to their own organisation's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import Authorize
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import N_, _
from servicielle.core.ids import is_id
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.reports import settings_service as service
from servicielle.reports.backoffice import Posted, done_message, fields, section_context
from servicielle.reports.models import CategoryQuestion, ReportCategory
from servicielle.reports.questions import DATATYPES
from servicielle.reports.repository import CategoryRepository
from servicielle.reports.settings_repository import SettingsRepository

router = APIRouter(prefix="/signalements")
Configurator = Annotated[Principal, Authorize("reports.admin")]
BASE = "/admin/signalements"
DONE = {
    "saved": N_("Saved."),
    "deleted": N_("Deleted."),
    "deactivated": N_("Reports were made in this category: it is deactivated, not deleted."),
}
DATATYPE_LABELS = {
    "string": N_("Short text"),
    "text": N_("Long text"),
    "number": N_("Number"),
    "datetime": N_("Date and time"),
    "singlevaluelist": N_("One choice in a list"),
    "multivaluelist": N_("Several choices in a list"),
}


def settings_page(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A settings page with its menu, and the confirmation a redirect asked for."""
    page = {"errors": {}, "values": {}, **context, **section_context(principal)}
    message = done_message(request.query_params, DONE)
    if message is not None:
        page["flash"] = message
    return render(request, f"reports/admin/{template}", page, status_code=status_code)


def saved(url: str, done: str = "saved") -> RedirectResponse:
    """Back to ``url`` after a change, saying what was done."""
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _category(session: Session, category_id: int) -> ReportCategory:
    category = SettingsRepository(session).category(category_id) if is_id(category_id) else None
    if category is None:
        raise NotFound(_("No such category."))
    return category


# ---------- Categories ----------


@router.get("/categories", response_class=HTMLResponse)
def categories(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """Every category with its number of reports and questions."""
    every = CategoryRepository(session).every()
    questions = CategoryRepository(session).questions_of({c.id for c in every})
    return settings_page(
        request,
        principal,
        "categories.html",
        {
            "categories": every,
            "report_counts": SettingsRepository(session).report_counts(),
            "question_counts": {i: len(q) for i, q in questions.items()},
        },
    )


def _category_values(category: ReportCategory) -> dict[str, str]:
    return {
        "code": category.code,
        "name": category.name,
        "group": category.group,
        "description": category.description,
        "keywords": category.keywords,
        "notice": category.notice,
        "target_days": str(category.target_days or ""),
        "position": str(category.position),
        "active": "1" if category.active else "",
    }


def _category_page(
    request: Request,
    session: Session,
    principal: Principal,
    category: ReportCategory | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = _category_values(category) if category else {"active": "1", "position": "0"}
    return settings_page(
        request,
        principal,
        "category.html",
        {
            "category": category,
            "questions": CategoryRepository(session).questions(category.id) if category else [],
            "report_count": (
                SettingsRepository(session).reports_in_category(category.id) if category else 0
            ),
            "values": values,
            "errors": errors or {},
            "datatype_labels": {k: _(v) for k, v in DATATYPE_LABELS.items()},
        },
        status_code=status_code,
    )


@router.get("/categories/nouvelle", response_class=HTMLResponse)
def new_category(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """The form for a new category."""
    return _category_page(request, session, principal, None)


@router.post("/categories/nouvelle", response_class=HTMLResponse)
def create_category(
    request: Request, session: DbSession, _csrf: CsrfChecked, principal: Configurator, form: Posted
) -> Response:
    """Create a category."""
    values = fields(form)
    try:
        category = service.save_category(session, None, values)
    except ServicielleError as exc:
        return _category_page(
            request,
            session,
            principal,
            None,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/categories/{category.id}")


@router.get("/categories/{category_id:int}", response_class=HTMLResponse)
def edit_category(
    request: Request, session: DbSession, category_id: int, principal: Configurator
) -> HTMLResponse:
    """A category's settings and its questions."""
    return _category_page(request, session, principal, _category(session, category_id))


@router.post("/categories/{category_id:int}", response_class=HTMLResponse)
def update_category(
    request: Request,
    session: DbSession,
    category_id: int,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Save a category's settings."""
    category = _category(session, category_id)
    values = fields(form)
    try:
        with session.begin_nested():
            service.save_category(session, category, values)
    except ServicielleError as exc:
        return _category_page(
            request,
            session,
            principal,
            category,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/categories/{category.id}")


@router.post("/categories/{category_id:int}/suppression")
def delete_category(
    session: DbSession, category_id: int, _csrf: CsrfChecked, principal: Configurator
) -> Response:
    """Delete a category nobody used, or deactivate it."""
    deleted = service.retire_category(session, _category(session, category_id))
    if deleted:
        return saved(f"{BASE}/categories", "deleted")
    return saved(f"{BASE}/categories/{category_id}", "deactivated")


# ---------- Questions ----------


def _question_values(question: CategoryQuestion) -> dict[str, str]:
    return {
        "code": question.code,
        "datatype": question.datatype,
        "required": "1" if question.required else "",
        "variable": "1" if question.variable else "",
        "order": str(question.order),
        "description": question.description,
        "datatype_description": question.datatype_description,
        "values": service.values_text(question.values),
    }


def _question_page(
    request: Request,
    session: Session,
    principal: Principal,
    category: ReportCategory,
    question: CategoryQuestion | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        if question is not None:
            values = _question_values(question)
        else:
            taken = [q.order for q in CategoryRepository(session).questions(category.id)]
            values = {
                "variable": "1",
                "datatype": "string",
                "order": str(max(taken, default=0) + 1),
            }
    return settings_page(
        request,
        principal,
        "question.html",
        {
            "category": category,
            "question": question,
            "values": values,
            "errors": errors or {},
            "datatype_options": [(d, _(DATATYPE_LABELS[d])) for d in DATATYPES],
        },
        status_code=status_code,
    )


def _question(session: Session, category: ReportCategory, question_id: int) -> CategoryQuestion:
    repository = SettingsRepository(session)
    question = repository.question(category.id, question_id) if is_id(question_id) else None
    if question is None:
        raise NotFound(_("No such question."))
    return question


@router.get("/categories/{category_id:int}/questions/nouvelle", response_class=HTMLResponse)
def new_question(
    request: Request, session: DbSession, category_id: int, principal: Configurator
) -> HTMLResponse:
    """The form for a new question of a category."""
    return _question_page(request, session, principal, _category(session, category_id), None)


@router.post("/categories/{category_id:int}/questions/nouvelle", response_class=HTMLResponse)
def create_question(
    request: Request,
    session: DbSession,
    category_id: int,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Add a question to a category."""
    category = _category(session, category_id)
    values = fields(form)
    try:
        service.save_question(session, category, None, values)
    except ServicielleError as exc:
        return _question_page(
            request,
            session,
            principal,
            category,
            None,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/categories/{category.id}")


@router.get(
    "/categories/{category_id:int}/questions/{question_id:int}", response_class=HTMLResponse
)
def edit_question(
    request: Request,
    session: DbSession,
    category_id: int,
    question_id: int,
    principal: Configurator,
) -> HTMLResponse:
    """A question's settings."""
    category = _category(session, category_id)
    question = _question(session, category, question_id)
    return _question_page(request, session, principal, category, question)


@router.post(
    "/categories/{category_id:int}/questions/{question_id:int}", response_class=HTMLResponse
)
def update_question(
    request: Request,
    session: DbSession,
    category_id: int,
    question_id: int,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Save a question."""
    category = _category(session, category_id)
    question = _question(session, category, question_id)
    values = fields(form)
    try:
        with session.begin_nested():
            service.save_question(session, category, question, values)
    except ServicielleError as exc:
        return _question_page(
            request,
            session,
            principal,
            category,
            question,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return saved(f"{BASE}/categories/{category.id}")


@router.post("/categories/{category_id:int}/questions/{question_id:int}/suppression")
def delete_question(
    session: DbSession,
    category_id: int,
    question_id: int,
    _csrf: CsrfChecked,
    principal: Configurator,
) -> Response:
    """Remove a question."""
    category = _category(session, category_id)
    service.delete_question(session, _question(session, category, question_id))
    return saved(f"{BASE}/categories/{category.id}", "deleted")
