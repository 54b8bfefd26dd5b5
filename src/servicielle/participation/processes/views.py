"""Public pages of processes: the list, one process with its phases, following it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from servicielle.core.accounts.auth import CurrentPrincipal, require_user
from servicielle.core.i18n import N_, _
from servicielle.core.modules import get_registry
from servicielle.core.permissions import Principal
from servicielle.core.posted import Posted
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.phases import current_phase
from servicielle.participation.processes import display, service
from servicielle.participation.processes.repository import FollowRepository, ProcessRepository

router = APIRouter(prefix="/participation")
DONE = {
    "followed": N_("You follow this process: its news will be in your digest."),
    "unfollowed": N_("You no longer follow this process."),
}


def may_preview(principal: Principal) -> bool:
    """Whether the caller sees unpublished processes (those who configure them)."""
    return principal.may(get_registry().permission("participation.admin"))


@router.get("", response_class=HTMLResponse)
def processes(request: Request, session: DbSession) -> HTMLResponse:
    """The published participatory processes, each with its running phase."""
    repository = ProcessRepository(session)
    published = repository.every(published_only=True)
    phases = repository.phases_of({p.id for p in published})
    scopes = repository.geozone_names_of(published)
    cards = []
    for process in published:
        own = phases.get(process.id, [])
        cards.append(
            {
                "process": process,
                "scope": scopes[process.id],
                "running": current_phase(own),
                "next": display.next_phase(own),
            }
        )
    return render(
        request,
        "participation/processes/index.html",
        {"cards": cards, **display.helpers()},
    )


@router.get("/{slug}", response_class=HTMLResponse)
def process_page(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """A process: what it is about, where, its phases, and what one can do now."""
    process = service.visible_process(session, slug, preview=may_preview(principal))
    repository = ProcessRepository(session)
    phases = repository.phases(process.id)
    running = current_phase(phases)
    following = (
        principal.user is not None
        and FollowRepository(session).of_process(principal.user.id, process.id) is not None
    )
    context = {
        "process": process,
        "scope": repository.geozone_names(process.scope),
        "timeline": display.timeline(phases),
        "running": running,
        "next": display.next_phase(phases),
        "actions": display.actions(process, running),
        "following": following,
        "followers": FollowRepository(session).followers_count(process.id),
        **display.helpers(),
    }
    done = DONE.get(request.query_params.get("done", ""))
    if done is not None:
        context["flash"] = _(done)
    return render(request, "participation/processes/process.html", context)


@router.post("/{slug}/suivre")
async def follow(
    slug: str,
    request: Request,
    session: DbSession,
    form: Posted,
    principal: CurrentPrincipal,
) -> Response:
    """Follow or stop following a process (signed-in people only)."""
    user = require_user(principal)
    process = service.visible_process(session, slug, preview=may_preview(principal))
    if form.get("action") == "unfollow":
        service.unfollow_process(session, user, process)
        done = "unfollowed"
    else:
        service.follow_process(session, user, process)
        done = "followed"
    return RedirectResponse(f"/participation/{process.slug}?done={done}", status_code=303)
