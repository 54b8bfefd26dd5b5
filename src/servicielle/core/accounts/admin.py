"""Back-office pages for people: list, search, roles and memberships."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from servicielle.core.accounts import service
from servicielle.core.accounts.auth import Authorize
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.pagination import Page, Pagination
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import OrganisationRepository

router = APIRouter(prefix="/utilisateurs")
Admin = Annotated[Principal, Authorize("accounts.user.manage")]


@router.get("", response_class=HTMLResponse)
def users(
    request: Request,
    session: DbSession,
    paging: Pagination,
    principal: Admin,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Every account, newest first, searchable by name or email."""
    items, total = UserRepository(session).search(q.strip(), paging)
    page = Page[Any](items=list(items), total=total, page=paging.page, page_size=paging.page_size)
    return render(request, "accounts/admin/users.html", {"page": page, "q": q})


@router.get("/{user_id}", response_class=HTMLResponse)
def user_detail(
    request: Request, session: DbSession, user_id: int, principal: Admin
) -> HTMLResponse:
    """One account: roles, memberships, state."""
    user = UserRepository(session).get(user_id)
    if user is None:
        raise NotFound(_("This account does not exist."))
    return render(
        request,
        "accounts/admin/user.html",
        {
            "user": user,
            "organisations": OrganisationRepository(session).list(),
        },
    )


@router.post("/{user_id}")
def update_user(
    request: Request,
    session: DbSession,
    user_id: int,
    principal: Admin,
    _csrf: CsrfChecked,
    action: Annotated[str, Form(max_length=40)] = "",
    organisation_id: Annotated[int, Form()] = 0,
) -> Response:
    """Grant or withdraw administration, (de)activate, add or remove a membership."""
    user = UserRepository(session).get(user_id)
    if user is None:
        raise NotFound(_("This account does not exist."))
    service.administer(
        session, principal, user=user, action=action, organisation_id=organisation_id
    )
    return RedirectResponse(f"/admin/utilisateurs/{user_id}", status_code=303)
