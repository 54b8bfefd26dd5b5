"""The authority's side of proposals: official answers, merging duplicates, acting in bulk.

Nobody is emailed from here: followers learn of answers from their digests (activities).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.text import plain
from servicielle.participation import activity
from servicielle.participation.models import ANSWER_STATES, Proposal, ProposalState
from servicielle.participation.proposals.repository import ProposalRepository

ANSWER_MAX = 4000
MAX_COST = 2_000_000_000
MAX_BULK = 200
STATE_LABELS = {
    ProposalState.PUBLISHED: N_("Awaiting an answer"),
    ProposalState.EVALUATING: N_("Under evaluation"),
    ProposalState.ACCEPTED: N_("Accepted"),
    ProposalState.REJECTED: N_("Rejected"),
    ProposalState.WITHDRAWN: N_("Withdrawn"),
    ProposalState.MERGED: N_("Merged"),
}
# Proposals that cannot be answered any more.
CLOSED = frozenset({ProposalState.MERGED, ProposalState.WITHDRAWN})


def state_label(state: str) -> str:
    """A proposal state in words."""
    label = STATE_LABELS.get(ProposalState(state)) if state in set(ProposalState) else None
    return _(label) if label else state


def _checked_answer(state: str, text: str, cost_estimate: int | None) -> str:
    errors: dict[str, str] = {}
    if state not in ANSWER_STATES:
        errors["state"] = _("Choose the answer: under evaluation, accepted or rejected.")
    clean = plain(text)
    if len(clean) > ANSWER_MAX:
        errors["answer"] = _("The answer may not exceed %(n)d characters.") % {"n": ANSWER_MAX}
    elif state == ProposalState.REJECTED and not clean:
        errors["answer"] = _("Say why the proposal is rejected: the justification is required.")
    if cost_estimate is not None and not 0 <= cost_estimate <= MAX_COST:
        errors["cost"] = _("The cost estimate must be a whole number of euros, 0 or more.")
    if errors:
        raise InvalidInput.on_fields(next(iter(errors.values())), errors)
    return clean


def _answerable(proposal: Proposal) -> None:
    if proposal.state in CLOSED:
        raise Conflict(
            _("Proposal no. %(id)d is %(state)s: it cannot be answered.")
            % {"id": proposal.id, "state": state_label(proposal.state).lower()}
        )


def _apply(
    session: Session,
    proposal: Proposal,
    agent: User,
    state: str,
    text: str,
    cost_estimate: int | None,
) -> None:
    proposal.state = state
    proposal.answer = text
    proposal.cost_estimate = cost_estimate
    proposal.answered_at = utcnow()
    proposal.answered_by_id = agent.id
    activity.record(
        session,
        "answer",
        process_id=proposal.process_id,
        proposal_id=proposal.id,
        actor_id=agent.id,
        summary=f"{state_label(state)} — {proposal.title}",
    )


def answer(
    session: Session,
    proposal: Proposal,
    agent: User,
    *,
    state: str,
    text: str = "",
    cost_estimate: int | None = None,
) -> Proposal:
    """Answer a proposal officially: state, justification (required to reject), cost."""
    clean = _checked_answer(state, text, cost_estimate)
    _answerable(proposal)
    _apply(session, proposal, agent, state, clean, cost_estimate)
    session.flush()
    return proposal


def bulk_answer(
    session: Session,
    proposal_ids: Sequence[int],
    agent: User,
    *,
    state: str,
    text: str = "",
    cost_estimate: int | None = None,
) -> list[Proposal]:
    """Give several proposals the same answer: all of them, or none and the reason why."""
    ids = list(dict.fromkeys(proposal_ids))
    if not ids:
        raise InvalidInput.on_field("ids", _("Tick at least one proposal."))
    if len(ids) > MAX_BULK:
        raise InvalidInput.on_field("ids", _("At most %(n)d proposals at once.") % {"n": MAX_BULK})
    clean = _checked_answer(state, text, cost_estimate)
    found = ProposalRepository(session).by_ids(ids)
    # Everything is checked before anything changes.
    for proposal_id in ids:
        proposal = found.get(proposal_id)
        if proposal is None:
            raise NotFound(_("Proposal no. %(id)d does not exist.") % {"id": proposal_id})
        _answerable(proposal)
    proposals = [found[i] for i in ids]
    for proposal in proposals:
        _apply(session, proposal, agent, state, clean, cost_estimate)
    session.flush()
    return proposals


def merge(session: Session, source: Proposal, target: Proposal, agent: User) -> Proposal:
    """Merge a duplicate into another proposal: supports (once per person) and followers move."""
    if source.id == target.id:
        raise InvalidInput.on_field("target", _("A proposal cannot be merged into itself."))
    if source.process_id != target.process_id:
        raise InvalidInput.on_field("target", _("Both proposals must belong to the same process."))
    if target.hidden:
        # Its page is a 404: the supports and followers moved there would be lost from view.
        raise Conflict(
            _("Proposal no. %(id)d is hidden by moderation: merge into a visible proposal.")
            % {"id": target.id}
        )
    for proposal in (source, target):
        if proposal.state in CLOSED:
            raise Conflict(
                _("Proposal no. %(id)d is %(state)s: it cannot be merged.")
                % {"id": proposal.id, "state": state_label(proposal.state).lower()}
            )
    repository = ProposalRepository(session)
    session.flush()
    repository.move_supports(source.id, target.id)
    repository.move_follows(source.id, target.id)
    source.state = ProposalState.MERGED
    source.merged_into_id = target.id
    source.answered_at = utcnow()
    source.answered_by_id = agent.id
    session.flush()
    # Counted again, not added (the same person's two supports became one), and in SQL:
    # a support given to the target meanwhile is kept.
    repository.recount_supports([source.id, target.id])
    session.refresh(source, ["supports_count"])
    session.refresh(target, ["supports_count"])
    activity.record(
        session,
        "answer",
        process_id=target.process_id,
        proposal_id=target.id,
        actor_id=agent.id,
        summary=_("Proposal no. %(source)d merged into no. %(target)d")
        % {"source": source.id, "target": target.id},
    )
    session.flush()
    return target
