"""What every page of the vote shows: the ballot's envelopes and project cards, counters.

Shared by the voter's pages (``views``) and the agents' paper entry (``paper``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, NotFound
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.templating import render
from servicielle.core.territory.repository import TerritoryRepository
from servicielle.participation.budgets.ballot_repository import VoteRepository
from servicielle.participation.budgets.ballots import BallotService
from servicielle.participation.budgets.models import BallotKind, Budget, Envelope, Project
from servicielle.participation.budgets.rules import BrokenRule, rule_summary
from servicielle.participation.budgets.vote_forms import (
    points_fields,
)
from servicielle.participation.display import euros, local_date, local_datetime
from servicielle.participation.models import Feature, Phase, Process
from servicielle.participation.phases import CLOSED_MESSAGES, current_phase, is_on
from servicielle.participation.proposals.repository import NameRepository, ProposalRepository

TEMPLATES = "participation/vote"
# Pages holding a date of birth, a selection or a receipt are never kept by caches.
NO_STORE = {"Cache-Control": "no-store"}
SUMMARY_LENGTH = 220


@dataclass(frozen=True)
class ProjectCard:
    """A project as the ballot shows it."""

    project: Project
    category: str
    zone: str
    summary: str
    more: bool
    link: str
    photo: str


@dataclass
class EnvelopeBallot:
    """One envelope's part of the ballot: its rule, its projects, the voter's choices."""

    envelope: Envelope
    rule: str
    projects: list[ProjectCard]
    points: Mapping[int, int] = field(default_factory=dict)
    broken: list[BrokenRule] = field(default_factory=list)

    @property
    def chosen(self) -> list[ProjectCard]:
        """The projects chosen in this envelope."""
        return [card for card in self.projects if card.project.id in self.points]

    @property
    def spent(self) -> int:
        """What the chosen projects cost."""
        return sum(card.project.cost for card in self.chosen)

    @property
    def used(self) -> int:
        """Points given in this envelope (projects chosen, for approval ballots)."""
        return sum(self.points[card.project.id] for card in self.chosen)


def shorten(text: str, length: int = SUMMARY_LENGTH) -> str:
    """The start of a description, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0] + "…"


def project_cards(
    session: Session, process: Process, projects: Sequence[Project]
) -> dict[int, ProjectCard]:
    """The cards of these projects, by id: names, summary, link and photo of their proposal."""
    names = NameRepository(session)
    categories = dict(names.categories())
    zones = dict(names.geozones())
    linked = ProposalRepository(session).by_ids(
        [p.proposal_id for p in projects if p.proposal_id is not None]
    )
    # One query for every photo of the ballot, not one per project.
    first_photos = VoteRepository(session).first_photos(list(linked))
    cards = {}
    for project in projects:
        link, photo = "", ""
        proposal = linked.get(project.proposal_id or 0)
        if proposal is not None and proposal.process_id == process.id and not proposal.hidden:
            link = f"/participation/{process.slug}/propositions/{proposal.id}"
            if proposal.id in first_photos:
                photo = f"{link}/photos/{first_photos[proposal.id]}-vignette.jpg"
        cards[project.id] = ProjectCard(
            project=project,
            category=categories.get(project.category_id or 0, ""),
            zone=zones.get(project.geozone_id or 0, ""),
            summary=shorten(project.description),
            more=len(" ".join(project.description.split())) > SUMMARY_LENGTH,
            link=link,
            photo=photo,
        )
    return cards


@dataclass
class Vote:
    """A process's budget being voted on, with what every page of the vote needs."""

    process: Process
    budget: Budget
    budgets: Sequence[Budget]
    phases: Sequence[Phase]
    service: BallotService

    @property
    def base(self) -> str:
        """The vote's address."""
        return f"/participation/{self.process.slug}/budget"

    @property
    def home(self) -> str:
        """The vote's first page, for this budget."""
        return self.base + (f"?budget={self.budget.id}" if len(self.budgets) > 1 else "")

    @property
    def is_open(self) -> bool:
        """Whether ballots are accepted now."""
        return is_on(self.phases, Feature.VOTE)

    def window(self) -> str:
        """When the vote is open, opens or closed, in a sentence."""
        now = utcnow()
        if self.is_open:
            running = current_phase(self.phases, now)
            assert running is not None
            return _("The vote is open until {end}.").format(end=local_datetime(running.ends_at))
        voting = [phase for phase in self.phases if Feature.VOTE in phase.features]
        later = [phase.starts_at for phase in voting if phase.starts_at > now]
        if later:
            return _("The vote is not open yet: it opens on {start}.").format(
                start=local_datetime(min(later))
            )
        if voting:
            return _("The vote is closed: it ended on {end}.").format(
                end=local_datetime(max(phase.ends_at for phase in voting))
            )
        return _("No vote is planned in this process.")

    def require_open(self) -> None:
        """Refuse (409) outside the vote phase."""
        if not self.is_open:
            raise Conflict(_(CLOSED_MESSAGES[Feature.VOTE]) + " " + self.window())

    def ballot(
        self,
        session: Session,
        envelopes: Sequence[Envelope],
        points: Mapping[int, int] | None = None,
        broken: Sequence[BrokenRule] = (),
    ) -> list[EnvelopeBallot]:
        """The envelopes with their projects, choices and broken rules."""
        votes = VoteRepository(session)
        projects = votes.projects([e.id for e in envelopes])
        cards = project_cards(session, self.process, projects)
        chosen = points or {}
        return [
            EnvelopeBallot(
                envelope=envelope,
                rule=rule_summary(self.budget, envelope),
                projects=[cards[p.id] for p in projects if p.envelope_id == envelope.id],
                points={pid: n for pid, n in chosen.items() if cards.get(pid) is not None},
                broken=[rule for rule in broken if rule.envelope_id == envelope.id],
            )
            for envelope in envelopes
        ]

    def known_projects(self, session: Session) -> list[int]:
        """Ids of every project of the budget."""
        votes = VoteRepository(session)
        return [p.id for p in votes.projects([e.id for e in votes.envelopes(self.budget.id)])]


def find_vote(request: Request, session: Session, slug: str, budget_text: str = "") -> Vote:
    """The published process of ``slug`` and the budget asked for (its first by default)."""
    votes = VoteRepository(session)
    process = votes.process_by_slug(slug[:120])
    if process is None or not process.published:
        raise NotFound(_("No participatory process at this address."))
    budgets = votes.budgets_of(process.id)
    if not budgets:
        raise NotFound(_("This process has no budget to vote on."))
    wanted = parse_id(budget_text) if budget_text else budgets[0].id
    budget = next((b for b in budgets if b.id == wanted), None)
    if budget is None:
        raise NotFound(_("This process has no such budget."))
    return Vote(
        process=process,
        budget=budget,
        budgets=budgets,
        phases=votes.phases(process.id),
        service=BallotService(session, request.app.state.settings, budget),
    )


def helpers() -> dict[str, Any]:
    """Functions the vote templates use."""
    return {
        "euros": euros,
        "local_date": local_date,
        "local_datetime": local_datetime,
        "points_fields": points_fields,
        "BallotKind": BallotKind,
    }


def counters() -> dict[str, str]:
    """The live counter's sentences (the JavaScript fills in the same placeholders)."""
    return {
        "knapsack": _("Money chosen: {spent} of {amount}; {left} left."),
        "knapsack_over": _(
            "Money chosen: {spent}, that is {over} more than the {amount} available."
        ),
        "approval": _("Projects chosen: {count} of {max} at most."),
        "approval_open": _("Projects chosen: {count}."),
        "cumulative": _("Points given: {used} of {total}; {left} left."),
        "cumulative_over": _("Points given: {used}, that is {over} more than the {total} allowed."),
    }


def counter_text(budget: Budget, part: EnvelopeBallot) -> str:
    """The counter of one envelope as the page first shows it."""
    sentences = counters()
    amount = part.envelope.amount
    if budget.ballot_kind == BallotKind.KNAPSACK:
        if part.spent > amount:
            return sentences["knapsack_over"].format(
                spent=euros(part.spent), over=euros(part.spent - amount), amount=euros(amount)
            )
        return sentences["knapsack"].format(
            spent=euros(part.spent), amount=euros(amount), left=euros(amount - part.spent)
        )
    if budget.ballot_kind == BallotKind.CUMULATIVE:
        total = budget.points_total
        if part.used > total:
            return sentences["cumulative_over"].format(
                used=part.used, over=part.used - total, total=total
            )
        return sentences["cumulative"].format(used=part.used, total=total, left=total - part.used)
    if budget.max_projects:
        return sentences["approval"].format(count=len(part.chosen), max=budget.max_projects)
    return sentences["approval_open"].format(count=len(part.chosen))


def page(
    request: Request,
    vote: Vote,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    private: bool = True,
) -> HTMLResponse:
    """Render one page of the vote."""
    full = {
        "process": vote.process,
        "budget": vote.budget,
        "budgets": vote.budgets,
        "vote": vote,
        "window": vote.window(),
        **helpers(),
        **context,
    }
    headers = NO_STORE if private else None
    return render(
        request, f"{TEMPLATES}/{template}", full, status_code=status_code, headers=headers
    )


def sign_in_url(vote: Vote, target: str = "") -> str:
    """The sign-in page, coming back to the vote afterwards."""
    return "/compte/connexion?next=" + quote(target or vote.home, safe="")


# --- step 1: who votes ---------------------------------------------------------------------


def residence_options(
    session: Session, vote: Vote
) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """The communes of the territory and the districts one may declare (envelopes', scope's)."""
    communes = sorted(
        ((row.insee_code, row.name) for row in TerritoryRepository(session).commune_summaries()),
        key=lambda pair: pair[1],
    )
    names = NameRepository(session)
    zone_names = dict(names.geozones())
    wanted = {e.geozone_id for e in VoteRepository(session).envelopes(vote.budget.id)}
    wanted |= (
        {zone_id for zone_id, _name in names.geozones(vote.process.scope)}
        if vote.process.scope
        else set()
    )
    zones = sorted(
        ((zone_id, zone_names[zone_id]) for zone_id in wanted if zone_id in zone_names),
        key=lambda pair: pair[1],
    )
    return communes, zones
