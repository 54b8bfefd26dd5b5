"""Reads of the settings pages: categories, their questions, routing rules, reply templates."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.reports.models import (
    CategoryQuestion,
    ReplyTemplate,
    Report,
    ReportCategory,
    RoutingRule,
)


class SettingsRepository:
    """Reads the settings pages need: categories, questions, rules, templates."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def category(self, category_id: int) -> ReportCategory | None:
        """A category, active or not."""
        return self.session.get(ReportCategory, category_id)

    def category_by_code(self, code: str) -> ReportCategory | None:
        """The category with this service_code."""
        return self.session.scalars(
            select(ReportCategory).where(ReportCategory.code == code)
        ).first()

    def reports_in_category(self, category_id: int) -> int:
        """How many reports were made in a category."""
        return int(
            self.session.scalar(select(func.count()).where(Report.category_id == category_id)) or 0
        )

    def report_counts(self) -> dict[int, int]:
        """Reports per category id."""
        rows = self.session.execute(
            select(Report.category_id, func.count()).group_by(Report.category_id)
        )
        return {int(category_id): int(count) for category_id, count in rows}

    def question(self, category_id: int, question_id: int) -> CategoryQuestion | None:
        """A question of a category."""
        return self.session.scalars(
            select(CategoryQuestion).where(
                CategoryQuestion.id == question_id, CategoryQuestion.category_id == category_id
            )
        ).first()

    def question_clash(
        self,
        category_id: int,
        own_id: int | None,
        *,
        code: str | None = None,
        order: int | None = None,
    ) -> bool:
        """Whether another question of the category has this code (or this order)."""
        statement = select(CategoryQuestion.id).where(CategoryQuestion.category_id == category_id)
        if own_id is not None:
            statement = statement.where(CategoryQuestion.id != own_id)
        if code is not None:
            statement = statement.where(CategoryQuestion.code == code)
        if order is not None:
            statement = statement.where(CategoryQuestion.order == order)
        return self.session.scalar(statement.limit(1)) is not None

    def rule(self, rule_id: int) -> RoutingRule | None:
        """A routing rule."""
        return self.session.get(RoutingRule, rule_id)

    def same_rule(
        self,
        category_id: int | None,
        commune_code: str | None,
        geozone_slug: str | None,
        own_id: int | None,
    ) -> int | None:
        """The id of another rule with exactly these criteria, if any."""
        statement = select(RoutingRule.id)
        for column, value in (
            (RoutingRule.category_id, category_id),
            (RoutingRule.commune_code, commune_code),
            (RoutingRule.geozone_slug, geozone_slug),
        ):
            statement = statement.where(column.is_(None) if value is None else column == value)
        if own_id is not None:
            statement = statement.where(RoutingRule.id != own_id)
        found = self.session.scalar(statement.order_by(RoutingRule.id).limit(1))
        return int(found) if found is not None else None

    def template(self, template_id: int) -> ReplyTemplate | None:
        """A reply template."""
        return self.session.get(ReplyTemplate, template_id)
