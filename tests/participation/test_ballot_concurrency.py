"""Fifty simultaneous ballots of one voter leave exactly one, on each backend.

Each submission runs in its own connection and transaction, as concurrent requests do, against
a database of its own (the rolled-back test transaction could not show a race).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.db import create_db_engine
from servicielle.core.errors import Conflict
from servicielle.core.migrations import upgrade
from servicielle.participation.budgets.ballots import BallotService, Residence
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    BudgetVoter,
    Project,
)
from servicielle.participation.models import PhaseKind
from tests.conftest import TEST_SECRET, create_pg_database, drop_pg_database, make_user, pg_url
from tests.participation.factories import make_budget, make_process

SUBMISSIONS = 50


@pytest.fixture(params=("sqlite", "postgresql"))
def own_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database of its own, for committed concurrent transactions."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('race') / 'race.db'}"
    else:
        name = create_pg_database("servicielle_race")
        url = pg_url(name)
    upgrade(url)
    # Writers take SQLite's write lock when they begin, as the application's requests do.
    engine = create_db_engine(url, pool_size=SUBMISSIONS + 5, max_overflow=0).execution_options(
        sqlite_begin_immediate=True
    )
    yield engine
    engine.dispose()
    if name:
        drop_pg_database(name)


def test_fifty_simultaneous_ballots_leave_one(
    own_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = Settings(
        database_url=str(own_engine.url),
        secret_key=TEST_SECRET,
        data_dir=tmp_path_factory.mktemp("race-files"),
    )
    factory = sessionmaker(bind=own_engine, expire_on_commit=False)
    with factory() as session:
        process = make_process(session, phase=PhaseKind.VOTE)
        budget, wide, _zone = make_budget(session, process)
        voter = make_user(session, "presse@example.org")
        projects = session.scalars(
            select(Project.id).where(Project.envelope_id == wide.id).order_by(Project.position)
        ).all()
        session.commit()
        budget_id, voter_id = budget.id, voter.id

    start = threading.Barrier(SUBMISSIONS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(index: int) -> None:
        # Each submission chooses differently: the survivor's choice must be whole.
        choice = {projects[index % len(projects)]: 1}
        start.wait()
        with factory() as session:
            try:
                user = session.get(User, voter_id)
                ballot_budget = session.get(Budget, budget_id)
                assert user is not None
                assert ballot_budget is not None
                BallotService(session, settings, ballot_budget).cast(
                    user,
                    choice,
                    residence=Residence("17299", None),
                    birth_date=dt.date(1990, 1, 1),
                )
                session.commit()
                outcome = "cast"
            except Conflict:
                session.rollback()
                outcome = "refused"
            except Exception as error:  # anything else is a failure the test reports
                session.rollback()
                outcome = f"error: {error!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(SUBMISSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(outcomes) == {"cast": 1, "refused": SUBMISSIONS - 1}
    with Session(own_engine) as session:
        assert session.scalar(select(func.count()).select_from(BudgetVoter)) == 1
        assert session.scalar(select(func.count()).select_from(Ballot)) == 1
        assert session.scalar(select(func.count()).select_from(BallotChoice)) == 1
