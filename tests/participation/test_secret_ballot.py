"""The secret ballot: nothing in the database pairs a ballot with the person who cast it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text, inspect, select, text
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.audit import listener
from servicielle.core.audit.models import AuditEntry
from servicielle.core.db import Base
from servicielle.participation.budgets.ballots import BallotService, Residence
from servicielle.participation.budgets.models import Ballot, BallotChoice, Project
from servicielle.participation.models import PhaseKind
from tests.conftest import make_user
from tests.participation.factories import make_budget, make_process

BALLOT_TABLES = ("participation_ballots", "participation_ballot_choices")
REGISTER = "participation_budget_voters"
# The only tables a ballot's rows may point to: its budget and the projects on the ballot.
ALLOWED_TARGETS = {"participation_budgets", "participation_projects", "participation_ballots"}


def test_no_column_links_a_ballot_to_a_voter(db: Session) -> None:
    """Checked on the migrated database itself, not only on the models."""
    inspector = inspect(db.connection())
    for table in BALLOT_TABLES:
        targets = {key["referred_table"] for key in inspector.get_foreign_keys(table)}
        assert targets <= ALLOWED_TARGETS, (table, targets)
        columns = {column["name"]: column for column in inspector.get_columns(table)}
        assert not any("user" in name or "voter" in name for name in columns), columns
        # No moment of casting: timestamps would line ballots up with the register.
        assert not any(
            isinstance(column["type"], DateTime) or "_at" in name or "date" in name
            for name, column in columns.items()
        ), columns
        # No sequential id: the order of casting is the register's order.
        assert not any(
            isinstance(column["type"], Integer) and column.get("autoincrement") is True
            for column in columns.values()
        )
    register = {key["referred_table"] for key in inspector.get_foreign_keys(REGISTER)}
    assert not register & set(BALLOT_TABLES)
    register_columns = {column["name"] for column in inspector.get_columns(REGISTER)}
    assert not any("ballot" in name or "receipt" in name for name in register_columns)
    if db.get_bind().dialect.name == "sqlite":
        # A rowid would number ballots in the order they were cast.
        for table in BALLOT_TABLES:
            sql = db.scalar(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table})
            assert "WITHOUT ROWID" in sql.upper()


def test_ballot_tables_are_never_audited() -> None:
    for table in BALLOT_TABLES:
        model = next(m for m in Base.registry.mappers if m.local_table.name == table).class_
        assert getattr(model, "__audit__", True) is False


def test_nothing_stored_holds_the_receipt_or_names_the_ballot(
    db: Session, settings: Settings
) -> None:
    """After a vote, no text anywhere in the database holds the receipt or the ballot id,
    and no audit entry touches the ballot tables."""
    listener.install()  # as the application does at start-up
    process = make_process(db, phase=PhaseKind.VOTE)
    budget, wide, _zone = make_budget(db, process)
    voter = make_user(db, "secret@example.org")
    project = db.scalars(select(Project).where(Project.envelope_id == wide.id)).first()
    assert project is not None
    cast = BallotService(db, settings, budget).cast(
        voter, {project.id: 1}, residence=Residence("17299", None), birth_date=dt.date(1970, 1, 1)
    )
    db.flush()
    secrets_ = (cast.receipt, cast.receipt.replace("-", ""), cast.ballot_id)
    for table in Base.metadata.sorted_tables:
        if table.name in BALLOT_TABLES:
            continue
        texts = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not texts:
            continue
        for row in db.execute(select(*texts)):
            for value in row:
                assert not any(s in str(value) for s in secrets_ if value), (table.name, value)
    audited = db.scalars(
        select(AuditEntry.entity).where(
            AuditEntry.entity.in_((*BALLOT_TABLES, "Ballot", "BallotChoice"))
        )
    ).all()
    assert audited == []
    # The register is audited like any table: the audit does run in this session.
    assert db.scalars(select(AuditEntry.entity).where(AuditEntry.entity == REGISTER)).all()
    assert db.get(Ballot, cast.ballot_id) is not None
    assert db.scalars(select(BallotChoice.project_id)).all() == [project.id]
