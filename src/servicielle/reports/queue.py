"""What staff read: the queue of their organisations' reports, counts, flags, nearby reports.

Every statement starts from ``StaffReportRepository.base_statement``, which keeps an agent or an
operator to the reports of their own organisations; administrators see them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import Membership, User
from servicielle.core.db import utcnow
from servicielle.core.ids import parse_id
from servicielle.core.pagination import PageParams
from servicielle.core.permissions import Principal
from servicielle.core.repository import Repository
from servicielle.core.text import plain
from servicielle.reports.models import (
    OPEN_STATUSES,
    ReplyTemplate,
    Report,
    ReportFlag,
    ReportStatus,
    ReportUpdate,
)
from servicielle.reports.repository import distance_m, within_circle

SORTS = ("oldest", "newest", "expected")
ASSIGNEE_CHOICES = ("", "me", "none")
# "" is the default: every open status; "all" is every one staff see. Unconfirmed reports are
# nobody's business until their reporter confirms them: the email promises so.
STAFF_STATUSES = tuple(s.value for s in ReportStatus if s != ReportStatus.UNCONFIRMED)
STATUS_CHOICES = ("", "all", *STAFF_STATUSES)
NEARBY_RADIUS_M = 1000
NEARBY_LIMIT = 12
MAX_TEXT = 200


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters as the page's query string gives them, already made safe."""

    status: str = ""
    category_id: int | None = None
    commune_code: str = ""
    assignee: str = ""
    overdue: bool = False
    flagged: bool = False
    text: str = ""
    organisation_id: int | None = None
    sort: str = "oldest"

    def query(self, **changes: object) -> dict[str, str]:
        """The query-string parameters that give these filters (with ``changes``)."""
        filters = replace(self, **changes)  # type: ignore[arg-type]
        params = {
            "status": filters.status,
            "category": str(filters.category_id or ""),
            "commune": filters.commune_code,
            "assignee": filters.assignee,
            "overdue": "1" if filters.overdue else "",
            "flagged": "1" if filters.flagged else "",
            "q": filters.text,
            "organisation": str(filters.organisation_id or ""),
            "sort": "" if filters.sort == "oldest" else filters.sort,
        }
        return {k: v for k, v in params.items() if v}


def filters_from_query(params: Mapping[str, str]) -> QueueFilters:
    """Filters from a query string; a value nobody could have chosen is ignored, never a 500."""
    status = params.get("status", "")
    assignee = params.get("assignee", "")
    sort = params.get("sort", "")
    commune = params.get("commune", "").strip()
    return QueueFilters(
        status=status if status in STATUS_CHOICES else "",
        category_id=parse_id(params.get("category")),
        commune_code=commune if commune.isalnum() and len(commune) <= 5 else "",
        assignee=assignee if assignee in ASSIGNEE_CHOICES else "",
        overdue=params.get("overdue") == "1",
        flagged=params.get("flagged") == "1",
        text=plain(params.get("q", ""))[:MAX_TEXT],
        organisation_id=parse_id(params.get("organisation")),
        sort=sort if sort in SORTS else "oldest",
    )


@dataclass(frozen=True)
class Member:
    """Someone a report can be assigned to: a member of the report's organisation."""

    user_id: int
    name: str
    organisation_id: int


@dataclass(frozen=True)
class FlagRow:
    """An unresolved flag with the report it is about."""

    flag: ReportFlag
    report: Report


@dataclass
class Nearby:
    """A report near another one, with its distance in metres."""

    report: Report
    distance: float
    same_category: bool = field(default=False)


class StaffReportRepository(Repository[Report]):
    """Reports as one member of staff may see them: their organisations' (all for admins)."""

    model = Report

    def __init__(self, session: Session, principal: Principal) -> None:
        super().__init__(session)
        self.principal = principal

    def _scope(self) -> ColumnElement[bool]:
        """The condition on ``Report`` keeping to the principal's organisations."""
        # Unconfirmed reports stay out for everyone, administrators included: the reporter was
        # told nobody sees the report until they confirm it.
        confirmed = Report.status != ReportStatus.UNCONFIRMED
        if self.principal.is_admin:
            return confirmed
        return and_(confirmed, Report.organisation_id.in_(self.principal.organisation_ids))

    def base_statement(self) -> Select[Report]:
        """The reports this principal handles."""
        return select(Report).where(self._scope())

    def _filtered(self, filters: QueueFilters, *, with_status: bool = True) -> Select[Report]:
        statement = self.base_statement()
        if with_status:
            if filters.status == "":
                statement = statement.where(Report.status.in_(OPEN_STATUSES))
            elif filters.status != "all":
                statement = statement.where(Report.status == filters.status)
        if filters.category_id is not None:
            statement = statement.where(Report.category_id == filters.category_id)
        if filters.commune_code:
            statement = statement.where(Report.commune_code == filters.commune_code)
        if filters.organisation_id is not None:
            statement = statement.where(Report.organisation_id == filters.organisation_id)
        if filters.assignee == "none":
            statement = statement.where(Report.assignee_id.is_(None))
        elif filters.assignee == "me":
            user_id = self.principal.user.id if self.principal.user else -1
            statement = statement.where(Report.assignee_id == user_id)
        if filters.overdue:
            statement = statement.where(
                Report.expected_at < utcnow(), Report.status.in_(OPEN_STATUSES)
            )
        if filters.flagged:
            statement = statement.where(Report.flag_count > 0)
        if filters.text:
            pattern = f"%{filters.text}%"
            conditions: list[ColumnElement[bool]] = [
                Report.description.ilike(pattern),
                Report.public_description.ilike(pattern),
                Report.address_string.ilike(pattern),
                Report.reporter_name.ilike(pattern),
                Report.reporter_email.ilike(pattern),
            ]
            number = parse_id(filters.text.lstrip("#"))
            if number is not None:
                conditions.append(Report.id == number)
            statement = statement.where(or_(*conditions))
        return statement

    def queue(self, filters: QueueFilters, params: PageParams) -> tuple[Sequence[Report], int]:
        """A page of the queue; by default whoever has waited longest comes first."""
        statement = self._filtered(filters)
        if filters.sort == "newest":
            statement = statement.order_by(Report.created_at.desc(), Report.id.desc())
        elif filters.sort == "expected":
            # Reports without a committed date go last, on both backends.
            statement = statement.order_by(
                Report.expected_at.is_(None), Report.expected_at, Report.created_at, Report.id
            )
        else:
            statement = statement.order_by(Report.created_at, Report.id)
        return self.paginate(statement, params)

    def status_counts(self, filters: QueueFilters) -> dict[str, int]:
        """How many reports of each status match the other filters."""
        subquery = self._filtered(filters, with_status=False).subquery()
        rows = self.session.execute(
            select(subquery.c.status, func.count()).group_by(subquery.c.status)
        )
        return {str(status): int(count) for status, count in rows}

    def handled(self, report_id: int) -> Report | None:
        """The report if this principal handles it (and its reporter confirmed it)."""
        return self.one_or_none(self.base_statement().where(Report.id == report_id))

    def visible_ids(self, ids: Sequence[int]) -> dict[int, Report]:
        """Those of ``ids`` this principal handles, by id."""
        if not ids:
            return {}
        rows = self.all(self.base_statement().where(Report.id.in_(ids)))
        return {row.id: row for row in rows}

    def nearby(self, report: Report, radius_m: float = NEARBY_RADIUS_M) -> list[Nearby]:
        """Public reports around ``report`` one could merge it into, nearest first."""
        if report.lat is None or report.lon is None:
            return []
        rows = self.session.scalars(
            select(Report).where(
                Report.id != report.id,
                Report.hidden.is_(False),
                Report.status != ReportStatus.UNCONFIRMED,
                Report.duplicate_of_id.is_(None),
                within_circle(report.lat, report.lon, radius_m * 1.01),
            )
        ).all()
        found = [
            Nearby(
                row,
                distance_m(report.lat, report.lon, row.lat, row.lon),
                row.category_id == report.category_id,
            )
            for row in rows
            if row.lat is not None and row.lon is not None
        ]
        found = [n for n in found if n.distance <= radius_m]
        # Open reports of the same category are the likely originals.
        found.sort(
            key=lambda n: (
                not n.same_category,
                n.report.status not in OPEN_STATUSES,
                n.distance,
                n.report.id,
            )
        )
        return found[:NEARBY_LIMIT]

    def open_flags(self, params: PageParams) -> tuple[list[FlagRow], int]:
        """Unresolved flags on this principal's reports, oldest first."""
        statement = (
            select(ReportFlag, Report)
            .join(Report, Report.id == ReportFlag.report_id)
            .where(ReportFlag.resolved_at.is_(None), self._scope())
        )
        total = int(
            self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        )
        rows = self.session.execute(
            statement.order_by(ReportFlag.created_at, ReportFlag.id)
            .limit(params.page_size)
            .offset(params.offset)
        )
        return [FlagRow(flag, report) for flag, report in rows], total

    def flags(self, report_id: int) -> Sequence[ReportFlag]:
        """Every flag of a report, resolved ones included, newest first."""
        return self.session.scalars(
            select(ReportFlag)
            .where(ReportFlag.report_id == report_id)
            .order_by(ReportFlag.created_at.desc(), ReportFlag.id.desc())
        ).all()

    def members(self, organisation_ids: set[int]) -> list[Member]:
        """Active members of these organisations, by name."""
        if not organisation_ids:
            return []
        rows = self.session.execute(
            select(User.id, User.display_name, Membership.organisation_id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id.in_(organisation_ids), User.is_active.is_(True))
            .order_by(User.display_name, User.id)
        )
        return [Member(int(uid), str(name), int(org)) for uid, name, org in rows]

    def is_member(self, user_id: int, organisation_id: int) -> bool:
        """Whether an active user belongs to an organisation."""
        found = self.session.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(
                and_(
                    Membership.user_id == user_id,
                    Membership.organisation_id == organisation_id,
                    User.is_active.is_(True),
                )
            )
        )
        return found is not None

    def user_names(self, ids: set[int]) -> dict[int, str]:
        """Display names of users, by id."""
        ids.discard(0)
        if not ids:
            return {}
        rows = self.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
        return {int(uid): str(name) for uid, name in rows}

    def timeline_people(self, updates: Sequence[ReportUpdate]) -> dict[int, str]:
        """Names of the authors of a timeline."""
        return self.user_names({u.author_id for u in updates if u.author_id is not None})

    def reply_templates(self, organisation_id: int | None = None) -> Sequence[ReplyTemplate]:
        """Reply templates for all plus those of ``organisation_id``, by title."""
        condition: ColumnElement[bool] = ReplyTemplate.organisation_id.is_(None)
        if organisation_id is not None:
            condition = or_(condition, ReplyTemplate.organisation_id == organisation_id)
        return self.session.scalars(
            select(ReplyTemplate).where(condition).order_by(ReplyTemplate.title, ReplyTemplate.id)
        ).all()

    def managed_templates(self) -> Sequence[ReplyTemplate]:
        """Templates this principal may edit: their organisations' (every one for admins)."""
        statement = select(ReplyTemplate)
        if not self.principal.is_admin:
            statement = statement.where(
                ReplyTemplate.organisation_id.in_(self.principal.organisation_ids)
            )
        return self.session.scalars(
            statement.order_by(ReplyTemplate.organisation_id, ReplyTemplate.title)
        ).all()


def age_days(report: Report, now: dt.datetime | None = None) -> int:
    """Whole days since the report was made."""
    return max(0, ((now or utcnow()) - report.created_at).days)


def is_overdue(report: Report, now: dt.datetime | None = None) -> bool:
    """Whether an open report passed the date its organisation committed to."""
    return (
        report.expected_at is not None
        and report.status in OPEN_STATUSES
        and report.expected_at < (now or utcnow())
    )
