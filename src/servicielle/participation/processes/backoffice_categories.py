"""Back office of proposal categories: one page to add, rename, reorder and delete them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.posted import CsrfChecked, Posted
from servicielle.core.session import DbSession
from servicielle.participation.models import ProposalCategory
from servicielle.participation.processes import categories as service
from servicielle.participation.processes.backoffice_common import (
    BASE,
    Configurator,
    admin_page,
    fields,
    saved,
)
from servicielle.participation.processes.repository import CategoryRepository

router = APIRouter()
PAGE = f"{BASE}/categories"


def _category_or_404(session: Session, category_id: str) -> ProposalCategory:
    number = parse_id(category_id)
    category = CategoryRepository(session).get(number) if number is not None else None
    if category is None:
        raise NotFound(_("No such category."))
    return category


def _page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = CategoryRepository(session)
    return admin_page(
        request,
        "participation/processes/admin/categories.html",
        {
            "categories": repository.every(),
            "counts": repository.proposal_counts(),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/categories", response_class=HTMLResponse)
def categories(request: Request, session: DbSession, principal: Configurator) -> HTMLResponse:
    """Every category with its number of proposals, and the forms to change them."""
    return _page(request, session)


@router.post("/categories", response_class=HTMLResponse)
def add_category(
    request: Request, session: DbSession, _csrf: CsrfChecked, principal: Configurator, form: Posted
) -> Response:
    """Add a category at the end of the list."""
    values = fields(form)
    try:
        service.add_category(session, values.get("name", ""))
    except ServicielleError as exc:
        return _page(
            request, session, values=values, errors=exc.by_field("name"), status_code=exc.status
        )
    return saved(PAGE)


@router.post("/categories/{category_id}", response_class=HTMLResponse)
def change_category(
    request: Request,
    session: DbSession,
    category_id: str,
    _csrf: CsrfChecked,
    principal: Configurator,
    form: Posted,
) -> Response:
    """Rename a category, or move it up or down."""
    category = _category_or_404(session, category_id)
    values = fields(form)
    action = values.get("action", "rename")
    try:
        with session.begin_nested():
            if action in ("up", "down"):
                service.move_category(session, category, action)
            else:
                service.rename_category(session, category, values.get("name", ""))
    except ServicielleError as exc:
        session.refresh(category)
        # Errors are keyed by row: each category has its own name field on the page.
        errors = {f"name-{category.id}": message for message in exc.by_field("name").values()}
        return _page(
            request,
            session,
            values={f"name-{category.id}": values.get("name", "")},
            errors=errors,
            status_code=exc.status,
        )
    return saved(PAGE)


@router.post("/categories/{category_id}/suppression")
def delete_category(
    session: DbSession, category_id: str, _csrf: CsrfChecked, principal: Configurator
) -> Response:
    """Delete a category; the proposals filed under it lose their category."""
    released = service.delete_category(session, _category_or_404(session, category_id))
    return saved(PAGE, "released", released) if released else saved(PAGE, "deleted")
