"""Rules of proposals: writing, supporting, commenting, following, flagging. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, NotFound, RateLimited
from servicielle.core.i18n import N_, _, ngettext
from servicielle.core.photos import process_photo
from servicielle.core.text import plain
from servicielle.participation import activity, phases
from servicielle.participation.models import (
    Comment,
    Feature,
    Flag,
    FlagTarget,
    Follow,
    FollowTarget,
    Process,
    Proposal,
    ProposalPhoto,
    ProposalState,
    Support,
)
from servicielle.participation.proposals import moderation
from servicielle.participation.proposals.listing import ProposalListing
from servicielle.participation.proposals.repository import (
    NameRepository,
    ProcessRepository,
    ProposalRepository,
)
from servicielle.participation.proposals.similarity import Match, fold, rank, search_terms

TITLE_MAX = 150
BODY_MAX = 4000
COMMENT_MAX = 2000
ADDRESS_MAX = 300
DETAILS_MAX = 1000
MAX_PROPOSAL_PHOTOS = 3
HOUR = dt.timedelta(hours=1)
# States in which people may still support a proposal.
SUPPORTABLE = frozenset({ProposalState.PUBLISHED, ProposalState.EVALUATING, ProposalState.ACCEPTED})
FLAG_REASONS = {
    "spam": N_("Spam or advertising"),
    "offensive": N_("Offensive, insulting or hateful"),
    "off_topic": N_("Off topic"),
}


@dataclass(frozen=True)
class ProposalDraft:
    """What a person sends to publish a proposal; photos as uploaded bytes."""

    title: str
    body: str
    category_id: int | None = None
    geozone_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    association_id: int | None = None
    photos: Sequence[bytes] = field(default_factory=tuple)


def check_text(errors: dict[str, str], name: str, value: str, limit: int, label: str) -> str:
    text = plain(value)
    if not text:
        errors[name] = _("Write %(what)s.") % {"what": label}
    elif len(text) > limit:
        errors[name] = _("%(what)s may not exceed %(n)d characters (%(got)d now).") % {
            "what": label[:1].upper() + label[1:],
            "n": limit,
            "got": len(text),
        }
    return text


def check_draft(session: Session, process: Process, user: User, draft: ProposalDraft) -> None:
    """Refuse a draft with each wrong field named, in the person's language."""
    errors: dict[str, str] = {}
    check_text(errors, "title", draft.title, TITLE_MAX, _("a title"))
    check_text(errors, "body", draft.body, BODY_MAX, _("a description"))
    names = NameRepository(session)
    if draft.category_id is not None and draft.category_id not in dict(names.categories()):
        errors["category"] = _("Choose one of the categories of the list.")
    if draft.geozone_id is not None and draft.geozone_id not in dict(names.geozones(process.scope)):
        errors["geozone"] = _("Choose one of the areas of the list.")
    if (draft.latitude is None) != (draft.longitude is None):
        errors["place"] = _("Give both the latitude and the longitude, or neither.")
    elif draft.latitude is not None and draft.longitude is not None:
        if not (-90 <= draft.latitude <= 90 and -180 <= draft.longitude <= 180):
            errors["place"] = _("This point is not on Earth: check the latitude and longitude.")
    if len(plain(draft.address)) > ADDRESS_MAX:
        errors["address"] = _("The address may not exceed %(n)d characters.") % {"n": ADDRESS_MAX}
    if draft.association_id is not None and draft.association_id not in dict(
        names.associations_of(user.id)
    ):
        errors["association"] = _("You can only write on behalf of an association you belong to.")
    if len(draft.photos) > MAX_PROPOSAL_PHOTOS:
        errors["photos"] = ngettext(
            "At most %(num)d photo.", "At most %(num)d photos.", MAX_PROPOSAL_PHOTOS
        ) % {"num": MAX_PROPOSAL_PHOTOS}
    if errors:
        raise InvalidInput.on_fields(next(iter(errors.values())), errors)


def _rate_limit(count: int, limit: int, message: str) -> None:
    if count >= limit:
        raise RateLimited(message % {"num": limit}, retry_after=3600)


def create_proposal(
    session: Session,
    process: Process,
    user: User,
    draft: ProposalDraft,
    *,
    now: dt.datetime | None = None,
) -> Proposal:
    """Publish a proposal while the running phase allows it; its author follows it."""
    moment = now or utcnow()
    phases.require(ProcessRepository(session).phases(process.id), Feature.PROPOSE, moment)
    repository = ProposalRepository(session)
    _rate_limit(
        repository.count_recent_proposals(process.id, user.id, moment - HOUR),
        process.proposals_per_hour,
        ngettext(
            "You may publish at most %(num)d proposal per hour in this process: try again later.",
            "You may publish at most %(num)d proposals per hour in this process: try again later.",
            process.proposals_per_hour,
        ),
    )
    check_draft(session, process, user, draft)
    photos = [process_photo(data, field="photos") for data in draft.photos]
    title, body = plain(draft.title), plain(draft.body)
    proposal = Proposal(
        process_id=process.id,
        title=title,
        body=body,
        folded=fold(f"{title} {body}"),
        category_id=draft.category_id,
        geozone_id=draft.geozone_id,
        latitude=draft.latitude,
        longitude=draft.longitude,
        address=plain(draft.address),
        author_id=user.id,
        association_id=draft.association_id,
        state=ProposalState.PUBLISHED,
    )
    proposal.created_at = moment
    session.add(proposal)
    session.flush()
    for photo in photos:
        session.add(
            ProposalPhoto(
                proposal_id=proposal.id,
                content=photo.content,
                thumbnail=photo.thumbnail,
                width=photo.width,
                height=photo.height,
                sha256=photo.sha256,
            )
        )
    session.add(Follow(user_id=user.id, target=FollowTarget.PROPOSAL, target_id=proposal.id))
    activity.record(
        session,
        "proposal",
        process_id=process.id,
        proposal_id=proposal.id,
        actor_id=user.id,
        summary=title,
    )
    session.flush()
    return proposal


def edit_proposal(session: Session, proposal: Proposal, *, title: str, body: str) -> Proposal:
    """Change a proposal's text (by an agent fixing it); its folded text follows."""
    errors: dict[str, str] = {}
    clean_title = check_text(errors, "title", title, TITLE_MAX, _("a title"))
    clean_body = check_text(errors, "body", body, BODY_MAX, _("a description"))
    if errors:
        raise InvalidInput.on_fields(next(iter(errors.values())), errors)
    proposal.title, proposal.body = clean_title, clean_body
    proposal.folded = fold(f"{clean_title} {clean_body}")
    session.flush()
    return proposal


def similar_proposals(
    session: Session, process_id: int, text: str, *, exclude_id: int | None = None
) -> list[Match]:
    """Up to five listed proposals of the process close to ``text`` (a title being written)."""
    query = plain(text)[: TITLE_MAX * 2]
    terms = search_terms(query)
    candidates = ProposalListing(session).candidates(process_id, terms, exclude_id)
    return rank(query, candidates)


def _supportable(proposal: Proposal) -> None:
    if proposal.state not in SUPPORTABLE:
        raise Conflict(_("This proposal can no longer be supported."))


def support(session: Session, process: Process, proposal: Proposal, user: User) -> bool:
    """Support a proposal once; False when this person already did (even a second ago)."""
    phases.require(ProcessRepository(session).phases(process.id), Feature.SUPPORT)
    _supportable(proposal)
    repository = ProposalRepository(session)
    try:
        # A savepoint: a double click racing this one fails alone, the request goes on.
        with session.begin_nested():
            session.add(Support(proposal_id=proposal.id, user_id=user.id))
    except IntegrityError:
        return False
    repository.add_to_counter(proposal.id, "supports_count", 1)
    session.refresh(proposal, ["supports_count"])
    return True


def withdraw_support(session: Session, process: Process, proposal: Proposal, user: User) -> bool:
    """Take one's support back; False when there was none."""
    phases.require(ProcessRepository(session).phases(process.id), Feature.SUPPORT)
    repository = ProposalRepository(session)
    if not repository.delete_support(proposal.id, user.id):
        return False
    repository.add_to_counter(proposal.id, "supports_count", -1)
    session.refresh(proposal, ["supports_count"])
    return True


def expire_supports(session: Session, process: Process, *, now: dt.datetime | None = None) -> int:
    """Drop supports older than the process's expiry and lower the counters; how many."""
    if not process.support_expiry_days:
        return 0
    before = (now or utcnow()) - dt.timedelta(days=process.support_expiry_days)
    repository = ProposalRepository(session)
    expired = repository.expired_support_ids(process.id, before)
    repository.delete_supports([support_id for support_id, _p in expired])
    # Counted again rather than lowered by what was selected: a support withdrawn between
    # the selection and the deletion would otherwise be taken off twice.
    repository.recount_supports({proposal_id for _s, proposal_id in expired})
    session.flush()
    return len(expired)


def add_comment(
    session: Session,
    process: Process,
    proposal: Proposal,
    user: User,
    body: str,
    *,
    parent_id: int | None = None,
    official: bool = False,
    now: dt.datetime | None = None,
) -> Comment:
    """Comment on a proposal or answer a comment; ``official``: as the authority's voice."""
    moment = now or utcnow()
    phases.require(ProcessRepository(session).phases(process.id), Feature.COMMENT, moment)
    repository = ProposalRepository(session)
    _rate_limit(
        repository.count_recent_comments(process.id, user.id, moment - HOUR),
        process.comments_per_hour,
        ngettext(
            "You may write at most %(num)d comment per hour in this process: try again later.",
            "You may write at most %(num)d comments per hour in this process: try again later.",
            process.comments_per_hour,
        ),
    )
    errors: dict[str, str] = {}
    text = check_text(errors, "body", body, COMMENT_MAX, _("a comment"))
    if errors:
        raise InvalidInput.on_fields(errors["body"], errors)
    if parent_id is not None and repository.comment(proposal.id, parent_id) is None:
        raise NotFound(_("The comment you answer no longer exists."))
    comment = Comment(
        proposal_id=proposal.id,
        parent_id=parent_id,
        author_id=user.id,
        official=official,
        body=text,
        created_at=moment,
    )
    session.add(comment)
    repository.add_to_counter(proposal.id, "comments_count", 1)
    session.flush()
    session.refresh(proposal, ["comments_count"])
    activity.record(
        session,
        "comment",
        process_id=process.id,
        proposal_id=proposal.id,
        actor_id=user.id,
        summary=text,
    )
    return comment


def follow(session: Session, proposal: Proposal, user: User) -> bool:
    """Follow a proposal for one's digest; False when already following."""
    try:
        with session.begin_nested():
            session.add(
                Follow(user_id=user.id, target=FollowTarget.PROPOSAL, target_id=proposal.id)
            )
    except IntegrityError:
        return False
    return True


def unfollow(session: Session, proposal: Proposal, user: User) -> bool:
    """Stop following a proposal; False when one did not."""
    return ProposalRepository(session).delete_follow(user.id, proposal.id)


def flag(
    session: Session,
    process: Process,
    target: FlagTarget,
    target_id: int,
    user: User,
    *,
    reason: str,
    details: str = "",
) -> Flag:
    """Flag a proposal or a comment once; enough flags hide it pending moderation."""
    if reason not in FLAG_REASONS:
        raise InvalidInput.on_field("reason", _("Choose why this is abusive."))
    text = plain(details)
    if len(text) > DETAILS_MAX:
        raise InvalidInput.on_field(
            "details", _("The details may not exceed %(n)d characters.") % {"n": DETAILS_MAX}
        )
    row = moderation.target_row(session, target, target_id)
    if row is None or row.hidden:
        raise NotFound(_("There is nothing to flag here any more."))
    flagged = Flag(target=target, target_id=target_id, user_id=user.id, reason=reason, details=text)
    try:
        with session.begin_nested():
            session.add(flagged)
    except IntegrityError:
        raise Conflict(_("You already flagged this: the moderators will look at it.")) from None
    moderation.count_flag(session, target, row, threshold=process.flags_to_hide)
    return flagged
