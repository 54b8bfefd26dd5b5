"""What happened on a process or a proposal, written down for followers' digests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicielle.participation.models import Activity


def record(
    session: Session,
    kind: str,
    *,
    process_id: int,
    summary: str,
    proposal_id: int | None = None,
    actor_id: int | None = None,
) -> Activity:
    """Add one activity row (kind: proposal, comment, answer, phase, result)."""
    activity = Activity(
        kind=kind,
        process_id=process_id,
        proposal_id=proposal_id,
        actor_id=actor_id,
        summary=summary[:300],
    )
    session.add(activity)
    return activity
