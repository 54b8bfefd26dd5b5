"""Back-office pages of core: the dashboard, the audit log and the outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from servicielle.core.accounts.auth import Authorize
from servicielle.core.audit.repository import AuditRepository
from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.mail.repository import OutboxRepository
from servicielle.core.pagination import Page, Pagination
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render

router = APIRouter()


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request, principal: Annotated[Principal, Authorize("core.backoffice.access")]
) -> HTMLResponse:
    """The back-office home: the sections this person may open."""
    return render(request, "core/admin/dashboard.html")


@router.get("/journal", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: DbSession,
    paging: Pagination,
    principal: Annotated[Principal, Authorize("core.audit.read")],
    entity: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    """Who changed what, when and from where."""
    items, total = AuditRepository(session).search(paging, entity=entity.strip())
    page = Page[Any](items=list(items), total=total, page=paging.page, page_size=paging.page_size)
    return render(request, "core/admin/audit.html", {"page": page, "entity": entity})


@router.get("/courriels", response_class=HTMLResponse)
def outbox(
    request: Request,
    session: DbSession,
    paging: Pagination,
    principal: Annotated[Principal, Authorize("core.outbox.read")],
    recipient: Annotated[str, Query(max_length=320)] = "",
) -> HTMLResponse:
    """Emails sent, or kept when no SMTP server is configured."""
    items, total = OutboxRepository(session).search(paging, recipient=recipient)
    page = Page[Any](items=list(items), total=total, page=paging.page, page_size=paging.page_size)
    return render(request, "core/admin/outbox.html", {"page": page, "recipient": recipient})


@router.get("/courriels/{message_id}", response_class=HTMLResponse)
def outbox_message(
    request: Request,
    session: DbSession,
    message_id: int,
    principal: Annotated[Principal, Authorize("core.outbox.read")],
) -> HTMLResponse:
    """One email in full."""
    message = OutboxRepository(session).get(message_id)
    if message is None:
        raise NotFound(_("This email does not exist."))
    return render(request, "core/admin/outbox_message.html", {"message": message})
