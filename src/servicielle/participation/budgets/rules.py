"""The ballot rules of a budget: what makes a ballot valid, each broken rule said in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from servicielle.core.i18n import _, ngettext
from servicielle.participation.budgets.models import BallotKind, Budget, Envelope, Project
from servicielle.participation.display import euros


@dataclass(frozen=True)
class BrokenRule:
    """One rule a ballot breaks: a code for programs, a sentence for people."""

    code: str
    message: str
    envelope_id: int | None = None


def rule_summary(budget: Budget, envelope: Envelope) -> str:
    """The rule of one envelope's ballot, in a sentence for the voter."""
    if budget.ballot_kind == BallotKind.CUMULATIVE:
        return _(
            "Spread up to {total} points over the projects, at most {each} on one project."
        ).format(total=budget.points_total, each=budget.points_per_project)
    if budget.ballot_kind == BallotKind.KNAPSACK:
        if budget.min_spend_percent:
            return _(
                "Choose projects costing {amount} at most in total, and at least {percent} % of it."
            ).format(amount=euros(envelope.amount), percent=budget.min_spend_percent)
        return _("Choose projects costing {amount} at most in total.").format(
            amount=euros(envelope.amount)
        )
    if budget.max_projects:
        return _("Choose between {low} and {high} projects.").format(
            low=budget.min_projects, high=budget.max_projects
        )
    return ngettext(
        "Choose at least {low} project.", "Choose at least {low} projects.", budget.min_projects
    ).format(low=budget.min_projects)


def check_envelope(
    budget: Budget, envelope: Envelope, chosen: Sequence[Project], points: Mapping[int, int]
) -> list[BrokenRule]:
    """The rules one envelope's part of a ballot breaks (none for a blank part)."""
    if not chosen:
        return []
    broken: list[BrokenRule] = []
    count = len(chosen)
    where = envelope.title

    def fail(code: str, message: str) -> None:
        broken.append(BrokenRule(code, message, envelope.id))

    if count < budget.min_projects:
        fail(
            "too_few_projects",
            ngettext(
                "{where}: choose at least {low} project ({count} chosen).",
                "{where}: choose at least {low} projects ({count} chosen).",
                budget.min_projects,
            ).format(where=where, low=budget.min_projects, count=count),
        )
    if budget.max_projects is not None and count > budget.max_projects:
        fail(
            "too_many_projects",
            ngettext(
                "{where}: choose at most {high} project ({count} chosen).",
                "{where}: choose at most {high} projects ({count} chosen).",
                budget.max_projects,
            ).format(where=where, high=budget.max_projects, count=count),
        )
    if budget.ballot_kind == BallotKind.KNAPSACK:
        total = sum(project.cost for project in chosen)
        if total > envelope.amount:
            fail(
                "over_budget",
                _("{where}: your projects cost {total}, more than the {amount} available.").format(
                    where=where, total=euros(total), amount=euros(envelope.amount)
                ),
            )
        floor = envelope.amount * budget.min_spend_percent
        if total * 100 < floor:
            fail(
                "under_minimum_spend",
                _(
                    "{where}: your projects cost {total}; spend at least {percent} % of "
                    "{amount}, that is {floor}."
                ).format(
                    where=where,
                    total=euros(total),
                    percent=budget.min_spend_percent,
                    amount=euros(envelope.amount),
                    floor=euros(-(-floor // 100)),
                ),
            )
    if budget.ballot_kind == BallotKind.CUMULATIVE:
        spent = sum(points[project.id] for project in chosen)
        if spent > budget.points_total:
            fail(
                "too_many_points",
                _("{where}: {spent} points given, {total} at most.").format(
                    where=where, spent=spent, total=budget.points_total
                ),
            )
        for project in chosen:
            if not 1 <= points[project.id] <= budget.points_per_project:
                fail(
                    "points_per_project",
                    _("{where}: give “{project}” between 1 and {each} points.").format(
                        where=where, project=project.title, each=budget.points_per_project
                    ),
                )
    else:
        for project in chosen:
            if points[project.id] != 1:
                fail(
                    "points_not_allowed",
                    _("{where}: this ballot takes no points (“{project}”).").format(
                        where=where, project=project.title
                    ),
                )
    return broken
