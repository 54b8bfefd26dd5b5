"""Setting a budget up: its ballot and tally rules, its envelopes, its projects.

Once a ballot exists in a budget, its rules, envelopes and projects are frozen: a ballot cast
under some rules must keep its meaning. Typed functions hold the rules (the back office and
the demo use them); ``*_from_form`` read a form's strings first. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from servicielle.core.errors import Conflict, InvalidInput
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.territory.models import GeoZone
from servicielle.participation.budgets.models import (
    BallotKind,
    Budget,
    Envelope,
    Project,
    TallyRule,
)
from servicielle.participation.budgets.repository import BudgetSetupRepository
from servicielle.participation.models import Process, Proposal
from servicielle.participation.processes.forms import FormReader
from servicielle.participation.processes.repository import CategoryRepository

THRESHOLDS = ("swiecie",)
MAX_PROJECTS = 1000
MAX_POINTS = 10_000
MAX_TEXT = 20_000
# What a budget's rules are: frozen once people voted. Title and description stay editable.
RULE_FIELDS = (
    "ballot_kind",
    "min_projects",
    "max_projects",
    "min_spend_percent",
    "points_total",
    "points_per_project",
    "min_age",
    "residents_only",
    "tally_rule",
    "tally_completion",
    "tally_threshold",
)


@dataclass
class BudgetFields:
    """What an agent sets on a budget."""

    title: str
    description: str = ""
    ballot_kind: str = BallotKind.APPROVAL
    min_projects: int = 1
    max_projects: int | None = None
    min_spend_percent: int = 0
    points_total: int = 10
    points_per_project: int = 3
    min_age: int = 16
    residents_only: bool = True
    tally_rule: str = TallyRule.GREEDY
    tally_completion: bool = False
    tally_threshold: str | None = None


def _locked_message() -> str:
    return _(
        "People have already voted in this budget: its rules, envelopes and projects can no "
        "longer change, so that every ballot keeps the meaning it had when it was cast."
    )


def ensure_unlocked(session: Session, budget: Budget) -> None:
    """Refuse changing what ballots depend on once any ballot exists."""
    if BudgetSetupRepository(session).has_ballots(budget.id):
        raise Conflict(_locked_message())


def _budget_errors(fields: BudgetFields) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not fields.title.strip():
        errors["title"] = _("This field is required.")
    if fields.ballot_kind not in set(BallotKind):
        errors["ballot_kind"] = _("Choose one of the options.")
    if fields.tally_rule not in set(TallyRule):
        errors["tally_rule"] = _("Choose one of the options.")
    if fields.tally_threshold not in (None, *THRESHOLDS):
        errors["tally_threshold"] = _("Choose one of the options.")
    if not 0 <= fields.min_projects <= MAX_PROJECTS:
        errors["min_projects"] = _("Give a number between %(low)d and %(high)d.") % {
            "low": 0,
            "high": MAX_PROJECTS,
        }
    if fields.max_projects is not None:
        if not 1 <= fields.max_projects <= MAX_PROJECTS:
            errors["max_projects"] = _("Give a number between %(low)d and %(high)d.") % {
                "low": 1,
                "high": MAX_PROJECTS,
            }
        elif fields.min_projects > fields.max_projects:
            errors["max_projects"] = _(
                "The maximum number of projects must be at least the minimum (%(min)d)."
            ) % {"min": fields.min_projects}
    if not 0 <= fields.min_spend_percent <= 100:
        errors["min_spend_percent"] = _("Give a percentage between 0 and 100.")
    if not 1 <= fields.points_total <= MAX_POINTS:
        errors["points_total"] = _("Give a number between %(low)d and %(high)d.") % {
            "low": 1,
            "high": MAX_POINTS,
        }
    if not 1 <= fields.points_per_project <= MAX_POINTS:
        errors["points_per_project"] = _("Give a number between %(low)d and %(high)d.") % {
            "low": 1,
            "high": MAX_POINTS,
        }
    elif fields.points_per_project > fields.points_total:
        errors["points_per_project"] = _(
            "A project cannot receive more points than a voter has (%(total)d)."
        ) % {"total": fields.points_total}
    if not 0 <= fields.min_age <= 120:
        errors["min_age"] = _("Give an age between 0 and 120.")
    return errors


def _apply_budget(
    session: Session, process: Process, budget: Budget | None, fields: BudgetFields
) -> Budget:
    errors = _budget_errors(fields)
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    values = asdict(fields)
    if budget is None:
        budget = Budget(process_id=process.id, **values)
        session.add(budget)
    else:
        changed = [name for name in RULE_FIELDS if getattr(budget, name) != values[name]]
        if changed:
            ensure_unlocked(session, budget)
        for name, value in values.items():
            setattr(budget, name, value)
    session.flush()
    return budget


def create_budget(session: Session, process: Process, **fields: Any) -> Budget:
    """Create a budget of ``process``; ``fields`` are ``BudgetFields``'s keywords."""
    return _apply_budget(session, process, None, BudgetFields(**fields))


def update_budget(session: Session, budget: Budget, process: Process, **fields: Any) -> Budget:
    """Change some of a budget's settings; its rules only while nobody voted."""
    current = {name: getattr(budget, name) for name in BudgetFields.__dataclass_fields__}
    return _apply_budget(session, process, budget, BudgetFields(**{**current, **fields}))


def budget_from_form(
    session: Session, process: Process, budget: Budget | None, values: Mapping[str, str]
) -> Budget:
    """Create (``budget`` None) or update a budget from the back-office form."""
    form = FormReader(values)
    fields = BudgetFields(
        title=form.text("title", 200, required=True),
        description=form.text("description", MAX_TEXT, lines=True),
        ballot_kind=form.choice("ballot_kind", [str(k) for k in BallotKind]),
        min_projects=form.integer("min_projects", low=0, high=MAX_PROJECTS, required=True) or 0,
        max_projects=form.integer("max_projects", low=1, high=MAX_PROJECTS),
        min_spend_percent=form.integer("min_spend_percent", low=0, high=100) or 0,
        points_total=form.integer("points_total", low=1, high=MAX_POINTS, required=True) or 1,
        points_per_project=form.integer("points_per_project", low=1, high=MAX_POINTS, required=True)
        or 1,
        min_age=form.integer("min_age", low=0, high=120, required=True) or 0,
        residents_only=form.flag("residents_only"),
        tally_rule=form.choice("tally_rule", [str(r) for r in TallyRule]),
        tally_completion=form.flag("tally_completion"),
        tally_threshold=form.choice("tally_threshold", THRESHOLDS, required=False) or None,
    )
    for name, message in _budget_errors(fields).items():
        form.errors.setdefault(name, message)
    form.check()
    return _apply_budget(session, process, budget, fields)


def delete_budget(session: Session, budget: Budget) -> None:
    """Delete a budget nobody voted in, with its envelopes and projects."""
    ensure_unlocked(session, budget)
    session.delete(budget)
    session.flush()


# ---------- Envelopes ----------


def _apply_envelope(
    session: Session,
    budget: Budget,
    envelope: Envelope | None,
    *,
    title: str,
    amount: int,
    geozone_id: int | None,
) -> Envelope:
    ensure_unlocked(session, budget)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("This field is required.")
    if amount <= 0:
        errors["amount"] = _("Give an amount above 0.")
    elif envelope is not None:
        # Shrinking an envelope below one of its projects would leave a project never fundable.
        dearest = BudgetSetupRepository(session).dearest_project(envelope.id)
        if amount < dearest:
            errors["amount"] = _(
                "A project of this envelope costs %(cost)s €: the envelope must hold at least "
                "that much."
            ) % {"cost": f"{dearest:,}".replace(",", " ")}
    if geozone_id is not None and session.get(GeoZone, geozone_id) is None:
        errors["geozone_id"] = _("Choose one of the options.")
    own_id = envelope.id if envelope is not None else None
    for other in BudgetSetupRepository(session).envelopes(budget.id):
        if other.id != own_id and other.geozone_id == geozone_id:
            errors["geozone_id"] = (
                _("This budget already has an envelope for the whole territory.")
                if geozone_id is None
                else _("This budget already has an envelope for this geozone.")
            )
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    if envelope is None:
        envelope = Envelope(budget_id=budget.id, title=title, amount=amount, geozone_id=geozone_id)
        session.add(envelope)
    else:
        envelope.title, envelope.amount, envelope.geozone_id = title, amount, geozone_id
    session.flush()
    return envelope


def add_envelope(
    session: Session,
    budget: Budget,
    *,
    title: str,
    amount: int,
    geozone_id: int | None = None,
) -> Envelope:
    """Add money to a budget: territory-wide (no geozone) or for one geozone's residents."""
    return _apply_envelope(session, budget, None, title=title, amount=amount, geozone_id=geozone_id)


def envelope_from_form(
    session: Session, budget: Budget, envelope: Envelope | None, values: Mapping[str, str]
) -> Envelope:
    """Create (``envelope`` None) or update an envelope from the back-office form."""
    ensure_unlocked(session, budget)
    form = FormReader(values)
    title = form.text("title", 200, required=True)
    amount = form.euros("amount")
    raw_zone = form.raw("geozone_id").strip()
    geozone_id = parse_id(raw_zone) if raw_zone else None
    if raw_zone and (geozone_id is None or session.get(GeoZone, geozone_id) is None):
        form.errors["geozone_id"] = _("Choose one of the options.")
    form.check()
    assert amount is not None  # required
    return _apply_envelope(
        session, budget, envelope, title=title, amount=amount, geozone_id=geozone_id
    )


def delete_envelope(session: Session, budget: Budget, envelope: Envelope) -> None:
    """Delete an envelope and its projects, while nobody voted."""
    ensure_unlocked(session, budget)
    session.delete(envelope)
    session.flush()


# ---------- Projects ----------


@dataclass
class ProjectFields:
    """What an agent sets on a project."""

    title: str
    cost: int
    description: str = ""
    category_id: int | None = None
    geozone_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    proposal_id: int | None = None


def _project_errors(session: Session, envelope: Envelope, fields: ProjectFields) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not fields.title.strip():
        errors["title"] = _("This field is required.")
    if fields.cost <= 0:
        errors["cost"] = _("Give a cost above 0.")
    elif fields.cost > envelope.amount:
        errors["cost"] = _(
            "The project costs more than its envelope holds (%(amount)s €): it could never be "
            "funded."
        ) % {"amount": f"{envelope.amount:,}".replace(",", " ")}
    if (
        fields.category_id is not None
        and CategoryRepository(session).get(fields.category_id) is None
    ):
        errors["category_id"] = _("Choose one of the options.")
    if fields.geozone_id is not None and session.get(GeoZone, fields.geozone_id) is None:
        errors["geozone_id"] = _("Choose one of the options.")
    if (fields.latitude is None) != (fields.longitude is None):
        errors["latitude"] = _("Give both the latitude and the longitude, or neither.")
    return errors


def _apply_project(
    session: Session,
    budget: Budget,
    envelope: Envelope,
    project: Project | None,
    fields: ProjectFields,
) -> Project:
    ensure_unlocked(session, budget)
    if envelope.budget_id != budget.id:
        raise InvalidInput.on_field("envelope_id", _("Choose one of the options."))
    errors = _project_errors(session, envelope, fields)
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    values = asdict(fields)
    if project is None:
        repository = BudgetSetupRepository(session)
        project = Project(
            envelope_id=envelope.id, position=repository.last_position(envelope.id) + 1, **values
        )
        session.add(project)
    else:
        project.envelope_id = envelope.id
        for name, value in values.items():
            setattr(project, name, value)
    session.flush()
    return project


def add_project(session: Session, budget: Budget, envelope: Envelope, **fields: Any) -> Project:
    """Put a project on the ballot of ``envelope``; ``fields`` are ``ProjectFields``'s."""
    return _apply_project(session, budget, envelope, None, ProjectFields(**fields))


def project_from_form(
    session: Session, budget: Budget, project: Project | None, values: Mapping[str, str]
) -> Project:
    """Create (``project`` None) or update a project from the back-office form."""
    ensure_unlocked(session, budget)
    repository = BudgetSetupRepository(session)
    form = FormReader(values)
    envelope_id = parse_id(form.raw("envelope_id"))
    envelope = repository.envelope(budget.id, envelope_id) if envelope_id else None
    if envelope is None:
        form.errors["envelope_id"] = _("Choose the envelope whose ballot shows the project.")
    raw_category = form.raw("category_id").strip()
    raw_zone = form.raw("geozone_id").strip()
    fields = ProjectFields(
        title=form.text("title", 200, required=True),
        description=form.text("description", MAX_TEXT, lines=True),
        cost=form.euros("cost") or 0,
        category_id=parse_id(raw_category) if raw_category else None,
        geozone_id=parse_id(raw_zone) if raw_zone else None,
        latitude=form.decimal("latitude", low=-90, high=90),
        longitude=form.decimal("longitude", low=-180, high=180),
        address=form.text("address", 300),
        proposal_id=project.proposal_id if project is not None else None,
    )
    if raw_category and fields.category_id is None:
        form.errors["category_id"] = _("Choose one of the options.")
    if raw_zone and fields.geozone_id is None:
        form.errors["geozone_id"] = _("Choose one of the options.")
    if envelope is not None:
        for name, message in _project_errors(session, envelope, fields).items():
            if name != "cost" or "cost" not in form.errors:
                form.errors.setdefault(name, message)
    form.check()
    assert envelope is not None  # checked above
    return _apply_project(session, budget, envelope, project, fields)


def delete_project(session: Session, budget: Budget, project: Project) -> None:
    """Take a project off the ballot, while nobody voted."""
    ensure_unlocked(session, budget)
    session.delete(project)
    session.flush()


def default_envelope(envelopes: list[Envelope], proposal: Proposal) -> Envelope | None:
    """The envelope of the proposal's geozone, else the territory-wide one."""
    by_zone = {envelope.geozone_id: envelope for envelope in envelopes}
    if proposal.geozone_id is not None and proposal.geozone_id in by_zone:
        return by_zone[proposal.geozone_id]
    return by_zone.get(None)


def projects_from_proposals(
    session: Session, budget: Budget, choices: Mapping[int, int]
) -> list[Project]:
    """Make projects of accepted proposals: ``choices`` maps proposal id → envelope id."""
    ensure_unlocked(session, budget)
    repository = BudgetSetupRepository(session)
    if not choices:
        raise InvalidInput.on_field("proposals", _("Tick at least one proposal."))
    candidates = {p.id: p for p in repository.accepted_proposals(budget.process_id, budget.id)}
    envelopes = {e.id: e for e in repository.envelopes(budget.id)}
    errors: dict[str, str] = {}
    for proposal_id, envelope_id in choices.items():
        if proposal_id not in candidates:
            errors["proposals"] = _(
                "A ticked proposal is no longer accepted with a cost, or is already a project."
            )
        elif envelope_id not in envelopes:
            errors[f"envelope-{proposal_id}"] = _("Choose the envelope of this project.")
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    planned: list[tuple[Envelope, ProjectFields]] = []
    for proposal_id, envelope_id in choices.items():
        proposal = candidates[proposal_id]
        fields = ProjectFields(
            title=proposal.title[:200],
            description=proposal.body,
            cost=proposal.cost_estimate or 0,
            category_id=proposal.category_id,
            geozone_id=proposal.geozone_id,
            latitude=proposal.latitude,
            longitude=proposal.longitude,
            address=proposal.address,
            proposal_id=proposal.id,
        )
        problems = _project_errors(session, envelopes[envelope_id], fields)
        if problems:
            errors[f"envelope-{proposal_id}"] = _("%(title)s: %(problem)s") % {
                "title": proposal.title[:80],
                "problem": next(iter(problems.values())),
            }
        planned.append((envelopes[envelope_id], fields))
    # Checked first, created after: all the ticked proposals become projects, or none.
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    return [_apply_project(session, budget, envelope, None, fields) for envelope, fields in planned]
