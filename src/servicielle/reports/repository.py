"""Queries over categories, routing rules, reports, their timelines and followers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update

from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository
from servicielle.reports.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    CategoryQuestion,
    Report,
    ReportCategory,
    ReportFlag,
    ReportPhoto,
    ReportStatus,
    ReportSubscription,
    ReportUpdate,
    RoutingRule,
)
from servicielle.reports.schemas import ReportFilters

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) enclosing a circle: the index narrows, then exact."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def expand_statuses(statuses: Sequence[str]) -> set[str]:
    """Our statuses for a mix of Open311 ones (open, closed) and ours."""
    wanted: set[str] = set()
    for status in statuses:
        if status == "open":
            wanted |= OPEN_STATUSES
        elif status == "closed":
            wanted |= CLOSED_STATUSES
        else:
            wanted.add(status)
    return wanted


def within_circle(lat: float, lon: float, radius_m: float) -> ColumnElement[bool]:
    """A SQL condition for reports within ``radius_m`` of a point, on both backends.

    The bounding box uses the (lat, lon) index; the equirectangular distance needs only
    arithmetic, which SQLite has without its optional math functions, and is within a
    fraction of a percent of the great-circle distance at a town's scale.
    """
    min_lat, min_lon, max_lat, max_lon = bounding_box(lat, lon, radius_m)
    scale = math.cos(math.radians(lat))
    dx = (Report.lon - lon) * scale
    dy = Report.lat - lat
    limit = math.degrees(radius_m / EARTH_RADIUS_M) ** 2
    return and_(
        Report.lat.between(min_lat, max_lat),
        Report.lon.between(min_lon, max_lon),
        dx * dx + dy * dy <= limit,
    )


class CategoryRepository(Repository[ReportCategory]):
    """Categories in display order."""

    model = ReportCategory

    def active(self) -> Sequence[ReportCategory]:
        """The categories people can report in, grouped then ordered."""
        return self.all(
            select(ReportCategory)
            .where(ReportCategory.active.is_(True))
            .order_by(ReportCategory.group, ReportCategory.position, ReportCategory.name)
        )

    def every(self) -> Sequence[ReportCategory]:
        """Every category, inactive ones included."""
        return self.all(
            select(ReportCategory).order_by(ReportCategory.position, ReportCategory.name)
        )

    def by_code(self, code: str) -> ReportCategory | None:
        """The category with this Open311 service_code."""
        return self.one_or_none(select(ReportCategory).where(ReportCategory.code == code))

    def by_ids(self, ids: set[int]) -> dict[int, ReportCategory]:
        """Categories by id."""
        if not ids:
            return {}
        rows = self.all(select(ReportCategory).where(ReportCategory.id.in_(ids)))
        return {row.id: row for row in rows}

    def questions(self, category_id: int) -> Sequence[CategoryQuestion]:
        """The category's questions in their order."""
        return self.session.scalars(
            select(CategoryQuestion)
            .where(CategoryQuestion.category_id == category_id)
            .order_by(CategoryQuestion.order)
        ).all()

    def questions_of(self, category_ids: set[int]) -> dict[int, list[CategoryQuestion]]:
        """Questions of several categories, by category id."""
        found: dict[int, list[CategoryQuestion]] = {i: [] for i in category_ids}
        if category_ids:
            for question in self.session.scalars(
                select(CategoryQuestion)
                .where(CategoryQuestion.category_id.in_(category_ids))
                .order_by(CategoryQuestion.order)
            ):
                found[question.category_id].append(question)
        return found


class RoutingRepository(Repository[RoutingRule]):
    """Routing rules."""

    model = RoutingRule

    def rules(self) -> Sequence[RoutingRule]:
        """Every rule, oldest first."""
        return self.all(select(RoutingRule).order_by(RoutingRule.id))


class ReportRepository(Repository[Report]):
    """Reports; ``public`` statements hide unconfirmed and moderated-away ones."""

    model = Report

    def public_statement(self) -> Select[Report]:
        """Reports anyone may see."""
        return select(Report).where(
            Report.hidden.is_(False), Report.status != ReportStatus.UNCONFIRMED
        )

    def get_public(self, report_id: int) -> Report | None:
        """A report anyone may see, or None."""
        return self.one_or_none(self.public_statement().where(Report.id == report_id))

    def by_token(self, token: str) -> Report | None:
        """The report an Open311 token stands for."""
        return self.one_or_none(select(Report).where(Report.token == token))

    def filtered(
        self, filters: ReportFilters, statement: Select[Report] | None = None
    ) -> Select[Report]:
        """``statement`` (default: public reports) narrowed by ``filters``."""
        statement = self.public_statement() if statement is None else statement
        if filters.ids:
            # Open311: a list of ids overrides every other filter.
            return statement.where(Report.id.in_(filters.ids))
        if filters.category_codes:
            codes = select(ReportCategory.id).where(ReportCategory.code.in_(filters.category_codes))
            statement = statement.where(Report.category_id.in_(codes))
        if filters.statuses:
            statement = statement.where(Report.status.in_(expand_statuses(filters.statuses)))
        if filters.start is not None:
            statement = statement.where(Report.created_at >= filters.start)
        if filters.end is not None:
            statement = statement.where(Report.created_at <= filters.end)
        if filters.updated_after is not None:
            statement = statement.where(Report.modified_at >= filters.updated_after)
        if filters.updated_before is not None:
            statement = statement.where(Report.modified_at <= filters.updated_before)
        if filters.commune_code:
            statement = statement.where(Report.commune_code == filters.commune_code)
        if filters.organisation_id is not None:
            statement = statement.where(Report.organisation_id == filters.organisation_id)
        if filters.lat is not None and filters.lon is not None and filters.radius:
            statement = statement.where(within_circle(filters.lat, filters.lon, filters.radius))
        if filters.text:
            pattern = f"%{filters.text.strip()}%"
            # The public text: a moderator's redaction must not be findable.
            public_text = func.coalesce(Report.public_description, Report.description)
            statement = statement.where(
                or_(public_text.ilike(pattern), Report.address_string.ilike(pattern))
            )
        return statement

    def search(self, filters: ReportFilters, params: PageParams) -> tuple[Sequence[Report], int]:
        """A page of public reports, newest first, and how many match."""
        statement = self.filtered(filters).order_by(Report.created_at.desc(), Report.id.desc())
        return self.paginate(statement, params)

    def nearby_open(
        self, category_id: int, lat: float, lon: float, radius_m: float = 250, limit: int = 5
    ) -> list[tuple[Report, float]]:
        """Open public reports of a category around a point, nearest first, with distances."""
        rows = self.session.scalars(
            self.public_statement().where(
                Report.category_id == category_id,
                Report.status.in_(OPEN_STATUSES),
                within_circle(lat, lon, radius_m * 1.01),
            )
        ).all()
        found = [
            (row, distance_m(lat, lon, row.lat, row.lon))
            for row in rows
            if row.lat is not None and row.lon is not None
        ]
        found = [(row, d) for row, d in found if d <= radius_m]
        found.sort(key=lambda pair: (pair[1], -pair[0].id))
        return found[:limit]

    def photos(self, report_id: int, *, public: bool = True) -> Sequence[ReportPhoto]:
        """A report's photos in the order they were sent; hidden ones only for staff."""
        statement = select(ReportPhoto).where(ReportPhoto.report_id == report_id)
        if public:
            statement = statement.where(ReportPhoto.hidden.is_(False))
        return self.session.scalars(statement.order_by(ReportPhoto.id)).all()

    def photo_ids(self, report_ids: Sequence[int]) -> dict[int, list[int]]:
        """Visible photo ids of several reports, by report id."""
        found: dict[int, list[int]] = {i: [] for i in report_ids}
        if report_ids:
            rows = self.session.execute(
                select(ReportPhoto.report_id, ReportPhoto.id)
                .where(ReportPhoto.report_id.in_(report_ids), ReportPhoto.hidden.is_(False))
                .order_by(ReportPhoto.id)
            )
            for report_id, photo_id in rows:
                found[report_id].append(photo_id)
        return found

    def photo(self, photo_id: int) -> ReportPhoto | None:
        """One photo."""
        return self.session.get(ReportPhoto, photo_id)

    def timeline(self, report_id: int, *, public: bool = True) -> Sequence[ReportUpdate]:
        """A report's updates, oldest first; hidden ones only for staff."""
        statement = select(ReportUpdate).where(ReportUpdate.report_id == report_id)
        if public:
            statement = statement.where(ReportUpdate.hidden.is_(False))
        return self.session.scalars(
            statement.order_by(ReportUpdate.created_at, ReportUpdate.id)
        ).all()

    def count_by_email_since(self, email: str, since: dt.datetime) -> int:
        """Reports sent with this email address since ``since``."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    Report.reporter_email == email, Report.created_at >= since
                )
            )
            or 0
        )

    def has_flag(self, report_id: int, client_digest: str) -> bool:
        """Whether this client already flagged this report."""
        return (
            self.session.scalar(
                select(ReportFlag.id).where(
                    ReportFlag.report_id == report_id, ReportFlag.client_digest == client_digest
                )
            )
            is not None
        )

    def count_flag(self, report_id: int) -> None:
        """Add one to a report's open flags, in SQL so that simultaneous flags all count."""
        self.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(flag_count=Report.flag_count + 1)
            .execution_options(synchronize_session="fetch")
        )

    def open_flags(self, report_id: int) -> Sequence[ReportFlag]:
        """Flags on a report no moderator has dealt with yet."""
        return self.session.scalars(
            select(ReportFlag).where(
                ReportFlag.report_id == report_id, ReportFlag.resolved_at.is_(None)
            )
        ).all()

    def duplicates_of(self, report_id: int) -> Sequence[Report]:
        """Reports merged into this one."""
        return self.all(select(Report).where(Report.duplicate_of_id == report_id))


class SubscriptionRepository(Repository[ReportSubscription]):
    """Followers of reports and area alerts."""

    model = ReportSubscription

    def followers(self, report_id: int) -> Sequence[ReportSubscription]:
        """Confirmed followers of a report."""
        return self.all(
            select(ReportSubscription).where(
                ReportSubscription.report_id == report_id,
                ReportSubscription.confirmed_at.is_not(None),
            )
        )

    def find(
        self,
        email: str,
        *,
        report_id: int | None = None,
        commune_code: str | None = None,
        geozone_slug: str | None = None,
    ) -> ReportSubscription | None:
        """The subscription of ``email`` to this report or area, if any."""
        statement = select(ReportSubscription).where(ReportSubscription.email == email)
        for column, value in (
            (ReportSubscription.report_id, report_id),
            (ReportSubscription.commune_code, commune_code),
            (ReportSubscription.geozone_slug, geozone_slug),
        ):
            statement = statement.where(column.is_(None) if value is None else column == value)
        return self.one_or_none(statement)

    def area_alerts(
        self, commune_code: str | None, geozones: Sequence[str]
    ) -> Sequence[ReportSubscription]:
        """Confirmed alerts for new reports in this commune or one of these geozones."""
        areas = []
        if commune_code:
            areas.append(ReportSubscription.commune_code == commune_code)
        if geozones:
            areas.append(ReportSubscription.geozone_slug.in_(geozones))
        if not areas:
            return []
        return self.all(
            select(ReportSubscription).where(
                ReportSubscription.report_id.is_(None),
                ReportSubscription.confirmed_at.is_not(None),
                or_(*areas),
            )
        )

    def count_followers(self, report_id: int) -> int:
        """How many confirmed followers a report has."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    ReportSubscription.report_id == report_id,
                    ReportSubscription.confirmed_at.is_not(None),
                )
            )
            or 0
        )

    def refresh_count(self, report_id: int) -> None:
        """Store the follower count on the report (what "me too" reads)."""
        self.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(follower_count=self.count_followers(report_id))
        )
