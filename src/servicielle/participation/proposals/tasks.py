"""Background work on proposals: supports past the process's expiry stop counting."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.participation.models import Process
from servicielle.participation.proposals.service import expire_supports


def expire_all_supports(factory: sessionmaker[Session], settings: Settings) -> int:
    """The worker's task: each process with an expiry, in its own transaction."""
    with factory() as session:
        process_ids = list(
            session.scalars(select(Process.id).where(Process.support_expiry_days.is_not(None)))
        )
    expired = 0
    for process_id in process_ids:
        with factory() as session:
            process = session.get(Process, process_id)
            if process is not None:
                expired += expire_supports(session, process)
                session.commit()
    return expired
