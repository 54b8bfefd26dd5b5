"""Rules of accountability: results from the winners, their progress, money and milestones."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput
from servicielle.core.i18n import N_, _
from servicielle.core.ids import whole_number
from servicielle.core.text import plain
from servicielle.participation.accountability.models import (
    DEFAULT_PROGRESS,
    Milestone,
    Result,
    ResultStatus,
)
from servicielle.participation.accountability.repository import AccountabilityRepository
from servicielle.participation.budgets.models import Budget
from servicielle.participation.models import Feature, Phase

STATUS_LABELS = {
    ResultStatus.PLANNED: N_("Planned"),
    ResultStatus.STUDIES: N_("Under study"),
    ResultStatus.WORKS: N_("Works under way"),
    ResultStatus.DELIVERED: N_("Delivered"),
    ResultStatus.ABANDONED: N_("Abandoned"),
}
MAX_EUROS = 2_000_000_000  # an INTEGER column; no local project costs more
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Works a local authority plans: a typo such as 0206 or 20266 is refused, not stored.
FIRST_YEAR, LAST_YEAR = 1950, 2100


def status_label(status: str) -> str:
    """A status in words."""
    try:
        return _(STATUS_LABELS[ResultStatus(status)])
    except ValueError:
        return status


def accountability_visible(phases: Sequence[Phase], now: dt.datetime | None = None) -> bool:
    """Whether the follow-up is public: the running phase shows it, or it did when all ended."""
    moment = now or utcnow()
    running = [p for p in phases if p.starts_at <= moment < p.ends_at]
    if running:
        return Feature.ACCOUNTABILITY in max(running, key=lambda p: p.starts_at).features
    # A process that is over keeps showing what its last phase showed.
    ended = [p for p in phases if p.ends_at <= moment]
    if ended and len(ended) == len(phases):
        return Feature.ACCOUNTABILITY in max(ended, key=lambda p: p.ends_at).features
    return False


def overall_progress(results: Sequence[Result]) -> float | None:
    """Mean progress, weighted by budget when every result has one (abandoned ones left out)."""
    counted = [r for r in results if r.status != ResultStatus.ABANDONED]
    if not counted:
        return None
    budgets = [r.budget or 0 for r in counted]
    if all(b > 0 for b in budgets):
        return sum(r.progress * b for r, b in zip(counted, budgets, strict=True)) / sum(budgets)
    return sum(r.progress for r in counted) / len(counted)


def create_from_winners(session: Session, budget: Budget) -> list[Result]:
    """One result per funded project of a published budget (those not followed yet)."""
    if budget.results_published_at is None:
        raise Conflict(_("Publish the results of this budget before following its projects."))
    repository = AccountabilityRepository(session)
    winners = repository.winners(budget.id)
    followed = repository.followed_projects([p.id for p in winners])
    created = []
    for project in winners:
        if project.id in followed:
            continue
        result = Result(
            process_id=budget.process_id,
            project_id=project.id,
            title=project.title,
            description=project.description,
            status=ResultStatus.PLANNED,
            progress=DEFAULT_PROGRESS[ResultStatus.PLANNED],
            budget=project.cost,
            spent=0,
            geozone_id=project.geozone_id,
            latitude=project.latitude,
            longitude=project.longitude,
        )
        repository.add(result)
        created.append(result)
    session.flush()
    return created


def _amount(value: str, name: str, errors: dict[str, str], *, optional: bool) -> int | None:
    text = value.replace("\xa0", "").replace(" ", "").removesuffix("€")
    if not text:
        if not optional:
            errors[name] = _("Give an amount in whole euros.")
        return None
    number = whole_number(text, max_digits=10)
    if number is None or number > MAX_EUROS:
        errors[name] = _("Give an amount in whole euros, without cents.")
        return None
    return number


def _date(value: str, name: str, errors: dict[str, str]) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    # The whole text, ASCII digits only: "2026-05-31 oops" or "20260531" is not taken as a date.
    try:
        day = dt.date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        errors[name] = _("Give a date such as 2026-05-31.")
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[name] = _("Give a date between %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        day = None
    return day


def _title(value: str, errors: dict[str, str], name: str = "title") -> str:
    title = plain(value)
    if not title:
        errors[name] = _("Give a title.")
    elif len(title) > 200:
        errors[name] = _("The title may not exceed 200 characters.")
    return title


def update_result(session: Session, result: Result, form: Mapping[str, str]) -> Result:
    """Change a result from its form; a new status brings its usual progress unless one is given."""
    errors: dict[str, str] = {}
    title = _title(form.get("title", ""), errors)
    description = plain(form.get("description", ""))
    if len(description) > 10_000:
        errors["description"] = _("The description may not exceed 10,000 characters.")
    try:
        status = ResultStatus(form.get("status", ""))
    except ValueError:
        errors["status"] = _("Choose a status.")
        status = ResultStatus(result.status)
    progress_text = form.get("progress", "").strip().removesuffix("%").strip()
    progress = whole_number(progress_text, max_digits=3) if progress_text else result.progress
    if progress is None or progress > 100:
        errors["progress"] = _("Give a whole percentage between 0 and 100.")
        progress = result.progress
    if status != result.status and progress == result.progress and status in DEFAULT_PROGRESS:
        # The agent changed the status only: the progress follows it.
        progress = DEFAULT_PROGRESS[status]
    budget = _amount(form.get("budget", ""), "budget", errors, optional=True)
    spent = _amount(form.get("spent", ""), "spent", errors, optional=True) or 0
    starts_on = _date(form.get("starts_on", ""), "starts_on", errors)
    ends_on = _date(form.get("ends_on", ""), "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The end may not come before the start.")
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    result.title = title
    result.description = description
    result.status = status
    result.progress = progress
    result.budget = budget
    result.spent = spent
    result.starts_on = starts_on
    result.ends_on = ends_on
    session.flush()
    return result


def _milestone_fields(form: Mapping[str, str], prefix: str) -> tuple[dt.date, str, str]:
    errors: dict[str, str] = {}
    title = _title(form.get("title", ""), errors, f"{prefix}title")
    on = _date(form.get("on", ""), f"{prefix}on", errors)
    if on is None and f"{prefix}on" not in errors:
        errors[f"{prefix}on"] = _("Give the date of this milestone.")
    description = plain(form.get("description", ""))[:5000]
    if errors or on is None:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    return on, title, description


def add_milestone(session: Session, result: Result, form: Mapping[str, str]) -> Milestone:
    """Add a dated milestone to a result."""
    on, title, description = _milestone_fields(form, "new-")
    milestone = Milestone(result_id=result.id, on=on, title=title, description=description)
    AccountabilityRepository(session).add(milestone)
    session.flush()
    return milestone


def update_milestone(session: Session, milestone: Milestone, form: Mapping[str, str]) -> Milestone:
    """Change a milestone's date, title or description."""
    on, title, description = _milestone_fields(form, f"m{milestone.id}-")
    milestone.on, milestone.title, milestone.description = on, title, description
    session.flush()
    return milestone


def delete_milestone(session: Session, milestone: Milestone) -> None:
    """Remove a milestone."""
    AccountabilityRepository(session).delete(milestone)
    session.flush()
