"""The notification preferences page and the digest's unsubscribe link.

The unsubscribe link shows a page with a button first: mail scanners and link prefetchers
open links, they do not post.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal, require_user
from servicielle.core.accounts.models import User
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.posted import CsrfChecked, Posted
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.notifications import service
from servicielle.participation.notifications.digests import (
    PREFERENCES_PATH,
    unsubscribe_user_id,
)
from servicielle.participation.notifications.repository import FollowRepository

router = APIRouter()
MAX_TOKEN = 500
# What the page says after a change (?fait=...): a message, never free text from the URL.
DONE_MESSAGES = {
    "digest": N_("Your digest preference is saved."),
    "suivi": N_("You no longer follow it."),
}


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    frequency: str | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "participation/notifications/preferences.html",
        {
            "frequency": frequency or service.current_frequency(session, user),
            "followed": FollowRepository(session).followed(user.id),
            "errors": errors or {},
            "done": _(DONE_MESSAGES[done]) if done in DONE_MESSAGES else "",
        },
        status_code=status_code,
    )


def _message(request: Request, *, title: str, message: str, status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "participation/notifications/message.html",
        {"title": title, "message": message},
        status_code=status_code,
    )


def _link_expired(request: Request) -> HTMLResponse:
    return _message(
        request,
        title=_("This link has expired"),
        message=_(
            "The link you followed is invalid or has expired. Sign in to choose which emails "
            "you receive."
        ),
        status_code=404,
    )


@router.get("/participation/notifications", response_class=HTMLResponse)
def preferences(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    fait: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Choose the digest and see what one follows (a sign-in link for visitors)."""
    if principal.user is None:
        return render(
            request,
            "participation/notifications/sign_in.html",
            {"sign_in_url": "/compte/connexion?next=" + quote(PREFERENCES_PATH, safe="")},
        )
    return _page(request, session, principal.user, done=fait)


@router.post("/participation/notifications", response_class=HTMLResponse)
def save_preferences(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form: Posted,
) -> Response:
    """Opt in to a daily or weekly digest, or out of it."""
    user = require_user(principal)
    sent = form.get("frequency")
    frequency = sent[:20] if isinstance(sent, str) else ""
    try:
        service.set_frequency(session, user, frequency)
    except InvalidInput as exc:
        errors = {"frequency": " ".join(exc.by_field("frequency").values())}
        return _page(request, session, user, frequency=frequency, errors=errors, status_code=422)
    return RedirectResponse(f"{PREFERENCES_PATH}?fait=digest", status_code=303)


@router.post("/participation/notifications/suivis/{follow_id}/retirer")
def unfollow(
    follow_id: str, session: DbSession, principal: CurrentPrincipal, _csrf: CsrfChecked
) -> Response:
    """Stop following a process or a proposal."""
    service.unfollow(session, require_user(principal), follow_id)
    return RedirectResponse(f"{PREFERENCES_PATH}?fait=suivi#suivis", status_code=303)


@router.get("/participation/notifications/arret/{token}", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request) -> HTMLResponse:
    """Ask for a click before stopping the digest (a GET changes nothing)."""
    if unsubscribe_user_id(request.app.state.settings, token) is None:
        return _link_expired(request)
    return render(
        request, "participation/notifications/unsubscribe.html", {"token": token[:MAX_TOKEN]}
    )


@router.post("/participation/notifications/arret/{token}", response_class=HTMLResponse)
def unsubscribe(
    token: str, request: Request, session: DbSession, _csrf: CsrfChecked
) -> HTMLResponse:
    """Stop the digest from its emailed link, signed in or not."""
    try:
        service.unsubscribe(session, request.app.state.settings, token[:MAX_TOKEN])
    except NotFound:
        return _link_expired(request)
    return _message(
        request,
        title=_("Digest stopped"),
        message=_("You will no longer receive the participation digest."),
    )
