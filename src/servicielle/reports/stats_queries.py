"""Queries behind the public statistics: the facts of public reports, and the filters' choices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from servicielle.core.territory.models import Commune, Organisation
from servicielle.reports.models import Report, ReportCategory
from servicielle.reports.repository import ReportRepository


@dataclass(frozen=True)
class StatsFilters:
    """Reports created in [start, end), narrowed by category, organisation and commune."""

    start: dt.datetime
    end: dt.datetime
    category_id: int | None = None
    organisation_id: int | None = None
    commune_code: str | None = None


# The columns statistics need: never the reporter, never the text.
FACT_COLUMNS = (
    Report.id,
    Report.category_id,
    Report.organisation_id,
    Report.commune_code,
    Report.status,
    Report.close_reason,
    Report.duplicate_of_id,
    Report.created_at,
    Report.confirmed_at,
    Report.acknowledged_at,
    Report.fixed_at,
    Report.closed_at,
    Report.lat,
    Report.lon,
)


class StatsRepository:
    """Public reports' facts and the names the statistics show."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def facts(self, filters: StatsFilters) -> Sequence[Any]:
        """One row of ``FACT_COLUMNS`` per public report matching ``filters``, oldest first."""
        statement = (
            ReportRepository(self.session)
            .public_statement()
            .with_only_columns(*FACT_COLUMNS)
            .where(Report.created_at >= filters.start, Report.created_at < filters.end)
        )
        if filters.category_id is not None:
            statement = statement.where(Report.category_id == filters.category_id)
        if filters.organisation_id is not None:
            statement = statement.where(Report.organisation_id == filters.organisation_id)
        if filters.commune_code:
            statement = statement.where(Report.commune_code == filters.commune_code)
        return self.session.execute(statement.order_by(Report.created_at, Report.id)).all()

    def categories(self) -> Sequence[ReportCategory]:
        """Every category (inactive ones too: old reports keep theirs), in display order."""
        return self.session.scalars(
            select(ReportCategory).order_by(
                ReportCategory.group, ReportCategory.position, ReportCategory.name
            )
        ).all()

    def organisations(self) -> Sequence[Organisation]:
        """Organisations that have received at least one report, by name."""
        receiving = select(Report.organisation_id).scalar_subquery()
        return self.session.scalars(
            select(Organisation).where(Organisation.id.in_(receiving)).order_by(Organisation.name)
        ).all()

    def communes(self) -> Sequence[Row[str, str]]:
        """(INSEE code, name) of every commune, by name, without outlines."""
        return self.session.execute(
            select(Commune.insee_code, Commune.name).order_by(Commune.name)
        ).all()
