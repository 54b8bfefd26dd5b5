"""One proposal's public page, its photos, and what people do there: support, comment,
follow, flag. The author's email address is never given to the template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from servicielle.core.accounts.auth import CurrentPrincipal, require_user
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.ids import parse_id
from servicielle.core.modules import get_registry
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation import phases
from servicielle.participation.models import Comment, Feature, FlagTarget, Process, Proposal
from servicielle.participation.proposals import service
from servicielle.participation.proposals.repository import (
    NameRepository,
    ProcessRepository,
    ProposalRepository,
)
from servicielle.participation.proposals.service import FLAG_REASONS, SUPPORTABLE
from servicielle.participation.proposals.views_common import (
    helpers,
    public_proposal,
    published_process,
    small_form,
)

router = APIRouter()
BASE = "/participation/{slug}/propositions/{proposal_id}"
# What a redirect's ``fait`` says; never a text taken from the URL.
DONE = {
    "publiee": N_("Your proposal is published. You follow it: its news will be in your digest."),
    "soutenu": N_("Thank you for your support."),
    "retire": N_("Your support is withdrawn."),
    "deja": N_("You already support this proposal."),
    "commente": N_("Your comment is published."),
    "suivi": N_("You follow this proposal."),
    "plus-suivi": N_("You no longer follow this proposal."),
    "signale": N_("Thank you: moderators will look at it."),
}


# A comment, a flag's details: a few kilobytes at most (form-encoded, they may triple).
FORM_BYTES = 64 * 1024
Posted = Annotated[FormData, Depends(small_form(FORM_BYTES, max_fields=20))]


def _threads(comments: list[Comment]) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments, each with every answer below it (answers to answers included)."""
    by_id = {c.id: c for c in comments}

    def root(comment: Comment) -> int:
        seen = set()
        while comment.parent_id is not None and comment.parent_id in by_id:
            if comment.id in seen:
                break
            seen.add(comment.id)
            comment = by_id[comment.parent_id]
        return comment.id

    threads: dict[int, list[Comment]] = {}
    tops: list[Comment] = []
    for comment in comments:
        top = root(comment)
        if top == comment.id:
            tops.append(comment)
            threads.setdefault(comment.id, [])
        else:
            threads.setdefault(top, []).append(comment)
    return [(top, threads[top.id]) for top in tops]


def proposal_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    process: Process,
    proposal: Proposal,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a proposal's page, with the errors of one of its forms if any."""
    repository = ProposalRepository(session)
    running = ProcessRepository(session).phases(process.id)
    comments = repository.comments(proposal.id)
    names = NameRepository(session)
    user = principal.user
    people = names.people(
        [proposal.author_id, proposal.answered_by_id] + [c.author_id for c in comments]
    )
    merged_into = repository.public(process.id, proposal.merged_into_id or 0)
    flagged = (
        repository.flagged_by(FlagTarget.COMMENT, [c.id for c in comments], user.id)
        if user is not None
        else set()
    )
    context: dict[str, Any] = {
        "process": process,
        "proposal": proposal,
        "author": people.get(proposal.author_id or 0, ""),
        "association": names.organisations([proposal.association_id]).get(
            proposal.association_id or 0, ""
        ),
        "category": dict(names.categories()).get(proposal.category_id or 0, ""),
        "geozone": dict(names.geozones()).get(proposal.geozone_id or 0, ""),
        "photo_ids": repository.photo_ids(proposal.id),
        "threads": _threads(comments),
        "people": people,
        "merged_into": merged_into,
        "supported": user is not None and repository.has_support(proposal.id, user.id),
        "following": user is not None and repository.follows(user.id, proposal.id),
        "flagged_proposal": user is not None
        and bool(repository.flagged_by(FlagTarget.PROPOSAL, [proposal.id], user.id)),
        "flagged_comments": flagged,
        "can_support": phases.is_on(running, Feature.SUPPORT) and proposal.state in SUPPORTABLE,
        "can_comment": phases.is_on(running, Feature.COMMENT),
        "can_speak_officially": principal.may(get_registry().permission("participation.answer")),
        "flag_reasons": [(k, _(v)) for k, v in FLAG_REASONS.items()],
        "errors": errors or {},
        "values": values or {},
        "flash": _(DONE[key]) if (key := request.query_params.get("fait", "")) in DONE else "",
        **helpers(),
    }
    if request.query_params.get("publiee"):
        published = "publiee"  # a key of DONE, not a message: kept out of the catalogue
        context["flash"] = _(DONE[published])
    if not context["flash"]:
        del context["flash"]
    return render(request, "participation/proposals/show.html", context, status_code=status_code)


def _back(process: Process, proposal: Proposal, done: str, anchor: str = "") -> RedirectResponse:
    url = f"/participation/{process.slug}/propositions/{proposal.id}?fait={done}{anchor}"
    return RedirectResponse(url, status_code=303)


@router.get(BASE, response_class=HTMLResponse)
def show_proposal(
    slug: str, proposal_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """A proposal: text, photos, place, answer, supports, comments; hidden ones are a 404."""
    process = published_process(session, slug)
    proposal = public_proposal(session, process, proposal_id)
    return proposal_page(request, session, principal, process, proposal)


@router.get(BASE + "/photos/{photo}.jpg")
def photo(slug: str, proposal_id: str, photo: str, session: DbSession) -> Response:
    """A proposal's photo (``N``) or its thumbnail (``N-vignette``), as JPEG."""
    process = published_process(session, slug)
    proposal = public_proposal(session, process, proposal_id)
    raw, _sep, size = photo.partition("-")
    photo_id = parse_id(raw)
    found = ProposalRepository(session).photo(proposal.id, photo_id) if photo_id else None
    if found is None or size not in ("", "vignette"):
        raise NotFound(_("No such photo."))
    return Response(
        found.thumbnail if size else found.content,
        media_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.post(BASE + "/soutien", response_class=HTMLResponse)
def support(
    slug: str,
    proposal_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form: Posted,
) -> Response:
    """Support the proposal, or withdraw one's support (``action=retirer``)."""
    process = published_process(session, slug)
    proposal = public_proposal(session, process, proposal_id)
    user = require_user(principal)
    if form.get("action") == "retirer":
        service.withdraw_support(session, process, proposal, user)
        return _back(process, proposal, "retire", "#soutiens")
    added = service.support(session, process, proposal, user)
    return _back(process, proposal, "soutenu" if added else "deja", "#soutiens")


@router.post(BASE + "/suivi", response_class=HTMLResponse)
def follow(
    slug: str,
    proposal_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form: Posted,
) -> Response:
    """Follow the proposal for one's digest, or stop (``action=arreter``)."""
    process = published_process(session, slug)
    proposal = public_proposal(session, process, proposal_id)
    user = require_user(principal)
    if form.get("action") == "arreter":
        service.unfollow(session, proposal, user)
        return _back(process, proposal, "plus-suivi")
    service.follow(session, proposal, user)
    return _back(process, proposal, "suivi")


@router.post(BASE + "/commentaires", response_class=HTMLResponse)
def comment(
    slug: str,
    proposal_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form: Posted,
) -> Response:
    """Comment on the proposal, or answer a comment (``parent``)."""
    process = published_process(session, slug)
    proposal = public_proposal(session, process, proposal_id)
    user = require_user(principal)
    body = str(form.get("body") or "")[:8000]
    raw_parent = str(form.get("parent") or "")
    parent_id = parse_id(raw_parent) if raw_parent else None
    if raw_parent and parent_id is None:
        raise NotFound(_("The comment you answer no longer exists."))
    official = form.get("official") == "1" and principal.may(
        get_registry().permission("participation.answer")
    )
    field = f"reply-{parent_id}" if parent_id else "comment-body"
    try:
        created = service.add_comment(
            session, process, proposal, user, body, parent_id=parent_id, official=official
        )
    except InvalidInput as exc:
        return proposal_page(
            request,
            session,
            principal,
            process,
            proposal,
            errors={field: exc.detail},
            values={field: body},
            status_code=422,
        )
    return _back(process, proposal, "commente", f"#commentaire-{created.id}")


@router.post(BASE + "/signalement", response_class=HTMLResponse)
def flag(
    slug: str,
    proposal_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form: Posted,
) -> Response:
    """Flag the proposal, or one of its comments (``comment``), as abusive."""
    process = published_process(session, slug)
    proposal = public_proposal(session, process, proposal_id)
    user = require_user(principal)
    raw_comment = str(form.get("comment") or "")
    target, target_id, field = FlagTarget.PROPOSAL, proposal.id, "flag-reason"
    if raw_comment:
        comment_id = parse_id(raw_comment)
        found = ProposalRepository(session).comment(proposal.id, comment_id) if comment_id else None
        if found is None:
            raise NotFound(_("This comment no longer exists."))
        target, target_id, field = FlagTarget.COMMENT, found.id, f"flag-{found.id}-reason"
    try:
        service.flag(
            session,
            process,
            target,
            target_id,
            user,
            reason=str(form.get("reason") or "")[:40],
            details=str(form.get("details") or "")[:4000],
        )
    except InvalidInput as exc:
        return proposal_page(
            request,
            session,
            principal,
            process,
            proposal,
            errors={field: exc.detail},
            status_code=422,
        )
    if proposal.hidden:
        # Hidden by this very flag: its page is gone, the list says thank you.
        return RedirectResponse(
            f"/participation/{process.slug}/propositions?fait=signale", status_code=303
        )
    return _back(process, proposal, "signale")
