"""Moderation of what people flag: proposals, comments, consultation observations.

Every flaggable table has ``hidden`` and ``flags_count``; ``MODERATED`` maps a flag's target
kind to its table, so hiding, restoring and resolving work the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.pagination import PageParams
from servicielle.participation.consultations.models import Consultation, Observation
from servicielle.participation.models import Comment, Flag, FlagTarget, Process, Proposal

Flaggable = Proposal | Comment | Observation
MODERATED: dict[str, type[Proposal] | type[Comment] | type[Observation]] = {
    FlagTarget.PROPOSAL: Proposal,
    FlagTarget.COMMENT: Comment,
    FlagTarget.OBSERVATION: Observation,
}
TARGET_LABELS = {
    FlagTarget.PROPOSAL: N_("Proposal"),
    FlagTarget.COMMENT: N_("Comment"),
    FlagTarget.OBSERVATION: N_("Observation"),
}


def target_row(session: Session, kind: str, target_id: int) -> Flaggable | None:
    """The flagged row of ``kind`` (proposal, comment, observation), or None."""
    model = MODERATED.get(kind)
    if model is None:
        return None
    row: Any = session.get(model, target_id)
    return row if isinstance(row, (Proposal, Comment, Observation)) else None


def _set_hidden(session: Session, row: Flaggable, hidden: bool) -> None:
    if row.hidden == hidden:
        return
    row.hidden = hidden
    if isinstance(row, Comment):
        # The list pages show visible comments: the kept counter follows.
        session.execute(
            update(Proposal)
            .where(Proposal.id == row.proposal_id)
            .values(comments_count=Proposal.comments_count + (-1 if hidden else 1))
            .execution_options(synchronize_session=False)
        )
    if isinstance(row, Proposal):
        row.moderated_at = utcnow()


def count_flag(session: Session, kind: str, row: Flaggable, *, threshold: int) -> None:
    """Count one more flag on ``row``; at ``threshold`` open flags it is hidden pending review."""
    model = MODERATED[kind]
    session.execute(
        update(model)
        .where(model.id == row.id)
        .values(flags_count=model.flags_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row, ["flags_count"])
    session.flush()
    # Open flags only: once a moderator restored the content (closing its flags), a single new
    # flag must not hide it again; ``flags_count`` keeps counting every flag ever made.
    open_count = session.scalar(
        select(func.count(Flag.id)).where(
            Flag.target == kind, Flag.target_id == row.id, Flag.resolved_at.is_(None)
        )
    )
    if threshold > 0 and (open_count or 0) >= threshold:
        _set_hidden(session, row, True)
    session.flush()


def _resolve(session: Session, kind: str, target_id: int, moderator: User) -> int:
    result = session.execute(
        update(Flag)
        .where(Flag.target == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=moderator.id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _row_or_404(session: Session, kind: str, target_id: int) -> Flaggable:
    if kind not in MODERATED:
        raise InvalidInput.on_field("target", _("Unknown kind of flagged content."))
    row = target_row(session, kind, target_id)
    if row is None:
        raise NotFound(_("This content no longer exists."))
    return row


def hide(session: Session, kind: str, target_id: int, moderator: User) -> Flaggable:
    """Hide flagged content and resolve its flags: the moderator agreed with them."""
    row = _row_or_404(session, kind, target_id)
    _set_hidden(session, row, True)
    _resolve(session, kind, target_id, moderator)
    session.flush()
    return row


def restore(session: Session, kind: str, target_id: int, moderator: User) -> Flaggable:
    """Show content again and resolve its flags: the moderator found nothing wrong."""
    row = _row_or_404(session, kind, target_id)
    _set_hidden(session, row, False)
    _resolve(session, kind, target_id, moderator)
    session.flush()
    return row


def resolve(session: Session, kind: str, target_id: int, moderator: User) -> int:
    """Close the flags of some content, leaving it as it is; how many were closed."""
    if kind not in MODERATED:
        raise InvalidInput.on_field("target", _("Unknown kind of flagged content."))
    count = _resolve(session, kind, target_id, moderator)
    session.flush()
    return count


@dataclass
class FlagGroup:
    """The open flags of one piece of content, with what the page shows of it."""

    kind: str
    target_id: int
    count: int
    last_at: Any
    reasons: dict[str, int] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    title: str = ""
    excerpt: str = ""
    hidden: bool = False
    url: str = ""
    exists: bool = True


def _describe(session: Session, groups: list[FlagGroup]) -> None:
    by_kind: dict[str, set[int]] = {}
    for group in groups:
        by_kind.setdefault(group.kind, set()).add(group.target_id)
    proposals = _load(session, Proposal, by_kind.get(FlagTarget.PROPOSAL, set()))
    comments = _load(session, Comment, by_kind.get(FlagTarget.COMMENT, set()))
    observations = _load(session, Observation, by_kind.get(FlagTarget.OBSERVATION, set()))
    parents = _load(session, Proposal, {c.proposal_id for c in comments.values()})
    slugs = _process_slugs(
        session, {p.process_id for p in [*proposals.values(), *parents.values()]}
    )
    consultations = _consultation_slugs(session, {o.consultation_id for o in observations.values()})
    for group in groups:
        if group.kind == FlagTarget.PROPOSAL and (p := proposals.get(group.target_id)):
            group.title, group.excerpt, group.hidden = p.title, p.body[:300], p.hidden
            group.url = f"/participation/{slugs.get(p.process_id, '')}/propositions/{p.id}"
        elif group.kind == FlagTarget.COMMENT and (c := comments.get(group.target_id)):
            parent = parents.get(c.proposal_id)
            group.title = parent.title if parent else ""
            group.excerpt, group.hidden = c.body[:300], c.hidden
            if parent is not None:
                slug = slugs.get(parent.process_id, "")
                group.url = f"/participation/{slug}/propositions/{parent.id}#commentaire-{c.id}"
        elif group.kind == FlagTarget.OBSERVATION and (o := observations.get(group.target_id)):
            group.excerpt, group.hidden = o.body[:300], o.hidden
            group.url = f"/consultations/{consultations.get(o.consultation_id, '')}"
        else:
            group.exists = False


def _load(session: Session, model: Any, ids: Collection[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def _process_slugs(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Process.id, Process.slug).where(Process.id.in_(ids)))
    return {row.id: row.slug for row in rows}


def _consultation_slugs(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Consultation.id, Consultation.slug).where(Consultation.id.in_(ids))
    )
    return {row.id: row.slug for row in rows}


def open_flags(session: Session, paging: PageParams, kind: str = "") -> tuple[list[FlagGroup], int]:
    """Open flags grouped by content, most flagged first, one page of groups."""
    conditions: list[ColumnElement[bool]] = [Flag.resolved_at.is_(None)]
    if kind in MODERATED:
        conditions.append(Flag.target == kind)
    grouped = (
        select(
            Flag.target,
            Flag.target_id,
            func.count(Flag.id).label("flags"),
            func.max(Flag.created_at).label("last_at"),
        )
        .where(*conditions)
        .group_by(Flag.target, Flag.target_id)
    )
    total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    rows = session.execute(
        grouped.order_by(func.count(Flag.id).desc(), func.max(Flag.created_at).desc())
        .limit(paging.page_size)
        .offset(paging.offset)
    ).all()
    groups = [FlagGroup(r.target, r.target_id, int(r.flags), r.last_at) for r in rows]
    if groups:
        keys = {(g.kind, g.target_id): g for g in groups}
        flags = session.scalars(
            select(Flag)
            .where(*conditions, Flag.target_id.in_({g.target_id for g in groups}))
            .order_by(Flag.created_at)
        )
        for flag in flags:
            group = keys.get((flag.target, flag.target_id))
            if group is None:
                continue
            group.reasons[flag.reason] = group.reasons.get(flag.reason, 0) + 1
            if flag.details:
                group.details.append(flag.details)
        _describe(session, groups)
    return groups, int(total)
