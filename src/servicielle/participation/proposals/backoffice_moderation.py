"""Moderation pages: open flags grouped by content; hide, restore, or close the flags."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from servicielle.core.accounts.auth import Authorize, require_user
from servicielle.core.errors import NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.ids import parse_id
from servicielle.core.pagination import Page, Pagination
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.proposals import moderation
from servicielle.participation.proposals.service import FLAG_REASONS
from servicielle.participation.proposals.views_common import helpers, small_form

router = APIRouter(prefix="/participation/moderation")
Moderator = Annotated[Principal, Authorize("participation.moderate")]
PAGE = "/admin/participation/moderation"
# Only the CSRF token is posted.
Posted = Annotated[FormData, Depends(small_form(16 * 1024, max_fields=5))]
ACTIONS = {
    "masquer": (moderation.hide, N_("Hidden; its flags are closed.")),
    "retablir": (moderation.restore, N_("Shown again; its flags are closed.")),
    "classer": (moderation.resolve, N_("Flags closed; the content is left as it was.")),
}


@router.get("", response_class=HTMLResponse)
def moderation_queue(
    request: Request, session: DbSession, paging: Pagination, _principal: Moderator
) -> HTMLResponse:
    """Open flags, grouped by flagged proposal, comment or observation, most flagged first."""
    kind = request.query_params.get("type", "")
    kind = kind if kind in moderation.MODERATED else ""
    groups, total = moderation.open_flags(session, paging, kind)
    context: dict[str, Any] = {
        "page": Page[Any](items=groups, total=total, page=paging.page, page_size=paging.page_size),
        "kind": kind,
        "kinds": [(k, _(label)) for k, label in moderation.TARGET_LABELS.items()],
        "target_labels": {k: _(v) for k, v in moderation.TARGET_LABELS.items()},
        "reason_labels": {k: _(v) for k, v in FLAG_REASONS.items()},
        **helpers(),
    }
    done = request.query_params.get("fait", "")
    if done in ACTIONS:
        context["flash"] = _(ACTIONS[done][1])
    return render(request, "participation/moderation/queue.html", context)


@router.post("/{kind}/{target_id}/{action}", response_class=HTMLResponse)
def moderate(
    kind: str,
    target_id: str,
    action: str,
    session: DbSession,
    _form: Posted,
    principal: Moderator,
) -> Response:
    """Hide, restore (``retablir``) or close the flags (``classer``) of one piece of content."""
    number = parse_id(target_id)
    if action not in ACTIONS or kind not in moderation.MODERATED or number is None:
        raise NotFound(_("Nothing to moderate at this address."))
    run, _message = ACTIONS[action]
    run(session, kind, number, require_user(principal))
    return RedirectResponse(f"{PAGE}?{urlencode({'fait': action})}", status_code=303)
