"""Settings of citizen reports: categories and their questions, routing, reply templates.

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
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.reports import settings_service as service
from servicielle.reports.backoffice import Handler, Posted, done_message, fields, section_context
from servicielle.reports.models import CategoryQuestion, ReplyTemplate, ReportCategory, RoutingRule
from servicielle.reports.questions import DATATYPES
from servicielle.reports.queue import SettingsRepository, StaffReportRepository
from servicielle.reports.repository import CategoryRepository, RoutingRepository

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


def _page(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    page = {"errors": {}, "values": {}, **context, **section_context(principal)}
    message = done_message(request.query_params, DONE)
    if message is not None:
        page["flash"] = message
    return render(request, f"reports/admin/{template}", page, status_code=status_code)


def _saved(url: str, done: str = "saved") -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _category(session: Session, category_id: int) -> ReportCategory:
    category = SettingsRepository(session).category(category_id)
    if category is None:
        raise NotFound(_("No such category."))
    return category


# ---------- Categories ----------


@router.get("/categories", response_class=HTMLResponse)
def categories(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """Every category with its number of reports and questions."""
    every = CategoryRepository(session).every()
    questions = CategoryRepository(session).questions_of({c.id for c in every})
    return _page(
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
    return _page(
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
    return _saved(f"{BASE}/categories/{category.id}")


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
    return _saved(f"{BASE}/categories/{category.id}")


@router.post("/categories/{category_id:int}/suppression")
def delete_category(
    session: DbSession, category_id: int, _csrf: CsrfChecked, principal: Configurator
) -> Response:
    """Delete a category nobody used, or deactivate it."""
    deleted = service.retire_category(session, _category(session, category_id))
    if deleted:
        return _saved(f"{BASE}/categories", "deleted")
    return _saved(f"{BASE}/categories/{category_id}", "deactivated")


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
    return _page(
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
    question = SettingsRepository(session).question(category.id, question_id)
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
    return _saved(f"{BASE}/categories/{category.id}")


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
    return _saved(f"{BASE}/categories/{category.id}")


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
    return _saved(f"{BASE}/categories/{category.id}", "deleted")


# ---------- Routing ----------


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
    return _page(request, principal, template, context, status_code=status_code)


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
    return _saved(f"{BASE}/orientation")


def _rule(session: Session, rule_id: int) -> RoutingRule:
    rule = SettingsRepository(session).rule(rule_id)
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
    return _saved(f"{BASE}/orientation")


@router.post("/orientation/{rule_id:int}/suppression")
def delete_rule(
    session: DbSession, rule_id: int, _csrf: CsrfChecked, principal: Configurator
) -> Response:
    """Remove a routing rule."""
    service.delete_rule(session, _rule(session, rule_id))
    return _saved(f"{BASE}/orientation", "deleted")


# ---------- Reply templates ----------


def _template(session: Session, principal: Principal, template_id: int) -> ReplyTemplate:
    template = SettingsRepository(session).template(template_id)
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
    return _page(
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
    return _page(
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
    return _saved(f"{BASE}/modeles")


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
    return _saved(f"{BASE}/modeles")


@router.post("/modeles/{template_id:int}/suppression")
def delete_template(
    session: DbSession, template_id: int, _csrf: CsrfChecked, principal: Handler
) -> Response:
    """Delete a reply template."""
    service.delete_template(session, principal, _template(session, principal, template_id))
    return _saved(f"{BASE}/modeles", "deleted")
