"""Queries the Open311 answers need, batched over a page of reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.territory.models import Organisation
from servicielle.reports.models import Report, ReportPhoto, ReportUpdate
from servicielle.reports.repository import ReportRepository
from servicielle.reports.schemas import ReportFilters


@dataclass(frozen=True)
class PhotoInfo:
    """A visible photo's public facts, without its bytes."""

    id: int
    width: int
    height: int
    created_at: dt.datetime


@dataclass(frozen=True)
class PublicNote:
    """One public step of a report's timeline."""

    created_at: dt.datetime
    kind: str
    note: str
    status_before: str | None
    status_after: str | None
    close_reason: str | None

    @property
    def changed_status(self) -> bool:
        """Whether this step moved the report to another status."""
        return self.status_after is not None and self.status_after != self.status_before


class Open311Repository:
    """Pages of public reports and what their answers show, a few queries per page."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.reports = ReportRepository(session)

    def page(self, filters: ReportFilters, *, page: int, page_size: int) -> Sequence[Report]:
        """One page of public reports, newest first, without counting them all."""
        statement = (
            self.reports.filtered(filters)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        return self.session.scalars(statement).all()

    def organisation_names(self, ids: set[int]) -> dict[int, str]:
        """Organisation names by id."""
        if not ids:
            return {}
        rows = self.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
        )
        return {row_id: name for row_id, name in rows}

    def photos(self, report_ids: Sequence[int]) -> dict[int, list[PhotoInfo]]:
        """Visible photos of several reports, in the order they were sent."""
        found: dict[int, list[PhotoInfo]] = {i: [] for i in report_ids}
        if report_ids:
            rows = self.session.execute(
                select(
                    ReportPhoto.report_id,
                    ReportPhoto.id,
                    ReportPhoto.width,
                    ReportPhoto.height,
                    ReportPhoto.created_at,
                )
                .where(ReportPhoto.report_id.in_(report_ids), ReportPhoto.hidden.is_(False))
                .order_by(ReportPhoto.id)
            )
            for report_id, photo_id, width, height, created_at in rows:
                found[report_id].append(PhotoInfo(photo_id, width, height, created_at))
        return found

    def public_notes(self, report_ids: Sequence[int]) -> dict[int, list[PublicNote]]:
        """Public timeline steps of several reports, oldest first (never internal notes)."""
        found: dict[int, list[PublicNote]] = {i: [] for i in report_ids}
        if report_ids:
            rows = self.session.execute(
                select(
                    ReportUpdate.report_id,
                    ReportUpdate.created_at,
                    ReportUpdate.kind,
                    ReportUpdate.note,
                    ReportUpdate.status_before,
                    ReportUpdate.status_after,
                    ReportUpdate.close_reason,
                )
                .where(ReportUpdate.report_id.in_(report_ids), ReportUpdate.hidden.is_(False))
                .order_by(ReportUpdate.created_at, ReportUpdate.id)
            )
            for report_id, created_at, kind, note, before, after, reason in rows:
                found[report_id].append(
                    PublicNote(created_at, kind, note or "", before, after, reason)
                )
        return found
