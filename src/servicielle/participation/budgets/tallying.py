"""Count a budget's stored ballots with the tally engine, keep the outcomes, publish them.

Each envelope is an election of its own: a ballot counts in it when it chose at least one of
its projects, and the voter's approval set there is the projects chosen in it. The Pabulib
text kept with a tally numbers voters 1, 2, 3... in a random order: never a ballot id, so
nothing in it can be paired with the register or with a receipt.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict
from servicielle.core.i18n import N_, _
from servicielle.participation import activity
from servicielle.participation.budgets.models import (
    BallotKind,
    Budget,
    Envelope,
    Project,
    Tally,
)
from servicielle.participation.budgets.results_queries import ResultsRepository
from servicielle.participation.models import Feature, Phase, PhaseKind
from servicielle.participation.tally import model as pb
from servicielle.participation.tally.explain import explain_equal_shares, summarize
from servicielle.participation.tally.pabulib import dumps
from servicielle.participation.tally.rules import RULES, Outcome, tally

RULE_LABELS = {
    "greedy": N_("Greedy: most votes first"),
    "mes": N_("Method of Equal Shares"),
    "mes-add1": N_("Equal Shares with Add1"),
}
# Pabulib's names of our rules, with and without greedy completion.
PABULIB_NAMES = {
    ("greedy", False): "greedy",
    ("greedy", True): "greedy",
    ("mes", False): "equalshares",
    ("mes", True): "equalshares/greedy",
    ("mes-add1", False): "equalshares/add1",
    ("mes-add1", True): "equalshares/add1/greedy",
}


def rule_label(rule: str, completion: bool) -> str:
    """A rule's name for people, with its completion."""
    name = _(RULE_LABELS.get(rule, rule))
    if completion and rule != "greedy":
        return _("%(rule)s, completed by greedy") % {"rule": name}
    return name


def _money(value: Fraction) -> float:
    """An amount rounded to the cent, for JSON and display."""
    return round(float(value), 2)


@dataclass(frozen=True)
class TallySettings:
    """How a budget tallies: its rule, greedy completion or not, its threshold."""

    rule: str
    completion: bool
    threshold: str | None

    @classmethod
    def of(cls, budget: Budget) -> TallySettings:
        """The budget's configured settings."""
        return cls(budget.tally_rule, bool(budget.tally_completion), budget.tally_threshold or None)

    def matches(self, row: Tally) -> bool:
        """Whether a stored tally was computed with these settings."""
        return (
            row.rule == self.rule
            and bool(row.completion) == self.completion
            and (row.threshold or None) == self.threshold
        )


def envelope_instance(
    session: Session, budget: Budget, envelope: Envelope, projects: list[Project]
) -> pb.Instance:
    """The envelope as a Pabulib election, voters numbered in a random order."""
    by_ballot: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for ballot_id, project_id, points in ResultsRepository(session).choices(envelope.id):
        by_ballot[ballot_id].append((project_id, points))
    ballots = list(by_ballot.values())
    # The order of ballots must say nothing: shuffled with the system's randomness.
    secrets.SystemRandom().shuffle(ballots)
    cumulative = budget.ballot_kind == BallotKind.CUMULATIVE
    pb_ballots = []
    for number, chosen in enumerate(ballots, start=1):
        chosen.sort()
        pb_ballots.append(
            pb.Ballot(
                voter_id=str(number),
                projects=tuple(str(pid) for pid, _points in chosen),
                points=tuple(Fraction(p) for _pid, p in chosen) if cumulative else None,
            )
        )
    pb_projects = {
        str(p.id): pb.Project(
            id=str(p.id), cost=Fraction(p.cost), name=p.title, fields={"name": p.title}
        )
        for p in projects
    }
    meta = {
        "description": budget.title,
        "country": "France",
        "unit": envelope.title,
        "subunit": envelope.title,
        "instance": str(budget.id),
        "language": "fr",
        "currency": "EUR",
        "rule": PABULIB_NAMES.get((budget.tally_rule, bool(budget.tally_completion)), ""),
    }
    if budget.tally_threshold:
        meta["comment"] = f"threshold: {budget.tally_threshold}"
    return pb.Instance(
        meta=meta,
        projects=pb_projects,
        ballots=pb_ballots,
        budget=Fraction(envelope.amount),
        vote_type="cumulative" if cumulative else "approval",
    )


def _votes(instance: pb.Instance) -> tuple[dict[str, int], dict[str, int]]:
    """Per project: ballots choosing it, and points given to it."""
    votes = dict.fromkeys(instance.projects, 0)
    points = dict.fromkeys(instance.projects, 0)
    for ballot in instance.ballots:
        for index, project_id in enumerate(ballot.projects):
            votes[project_id] += 1
            points[project_id] += int(ballot.points[index]) if ballot.points else 1
    return votes, points


def _outcome(
    instance: pb.Instance, rule: str, complete: str | None, threshold: str | None
) -> dict[str, Any]:
    """The JSON of one tally: winners, money, votes, rounds and comparison figures."""
    rounds: list[dict[str, Any]] = []
    outcome: Outcome
    if rule in ("mes", "mes-add1"):
        story = explain_equal_shares(instance, rule, complete=complete, threshold=threshold)
        outcome = story.outcome
        rounds = [
            {
                "number": p.number,
                "project": int(p.project),
                "cost": _money(p.cost),
                "share": _money(p.share),
                "supporters": p.supporters,
                "paid_share": p.paid_share,
                "paid_all_left": p.paid_all_left,
                "dropped": [int(d) for d in p.dropped],
            }
            for p in story.purchases
        ]
    else:
        outcome = tally(instance, rule, complete=complete, threshold=threshold)
    summary = summarize(instance, [outcome])[0]
    votes, points = _votes(instance)
    return {
        "selected": [int(p) for p in outcome.selected],
        "spent": _money(outcome.spent),
        "budget": _money(outcome.budget),
        "excluded": [int(p) for p in outcome.excluded],
        "completed": [int(p) for p in outcome.completed],
        "per_voter_budget": (
            _money(outcome.per_voter_budget) if outcome.per_voter_budget is not None else None
        ),
        "votes": votes,
        "points": points,
        "rounds": rounds,
        "voters": instance.voters,
        "funded": summary.funded,
        "served": summary.voters_with_a_funded_project,
        "served_share": float(summary.share_of_voters_served),
    }


def require_unpublished(budget: Budget) -> None:
    """Refuse counting again once results are public: the page, winners and rounds must agree."""
    if budget.results_published_at is not None:
        raise Conflict(_("The results are published: the ballots can no longer be counted again."))


def compute(session: Session, budget: Budget) -> list[Tally]:
    """Tally every envelope under the configured rule and, to compare, the three rules."""
    require_unpublished(budget)
    require_vote_closed(session, budget)
    repository = ResultsRepository(session)
    settings = TallySettings.of(budget)
    envelopes = repository.envelopes(budget.id)
    projects = repository.projects([e.id for e in envelopes])
    rows: list[Tally] = []
    for envelope in envelopes:
        instance = envelope_instance(
            session, budget, envelope, [p for p in projects if p.envelope_id == envelope.id]
        )
        text = dumps(instance)
        repository.drop_tallies(envelope.id)
        # The configured rule is one of the three; each runs with the same completion and
        # threshold, so that the comparison is about the rule alone.
        for rule in RULES:
            complete = "greedy" if settings.completion else None
            rows.append(
                Tally(
                    envelope_id=envelope.id,
                    rule=rule,
                    completion=settings.completion,
                    threshold=settings.threshold or "",
                    computed_at=utcnow(),
                    ballots=instance.voters,
                    outcome=_outcome(instance, rule, complete, settings.threshold),
                    pabulib=text,
                )
            )
    session.flush()
    repository.add_all(rows)
    session.flush()
    return rows


def configured_tallies(session: Session, budget: Budget) -> dict[int, Tally]:
    """Per envelope id: the stored tally of the budget's configured settings."""
    repository = ResultsRepository(session)
    settings = TallySettings.of(budget)
    envelope_ids = [e.id for e in repository.envelopes(budget.id)]
    return {t.envelope_id: t for t in repository.tallies(envelope_ids) if settings.matches(t)}


def _voting(phase: Phase) -> bool:
    """Whether a phase takes ballots: a vote phase, or any phase switching the vote on."""
    return phase.kind == PhaseKind.VOTE or Feature.VOTE in phase.features


def _vote_over(session: Session, budget: Budget, now: dt.datetime) -> bool:
    """Whether every phase taking ballots in the budget's process has ended."""
    phases = ResultsRepository(session).phases(budget.process_id)
    return all(p.ends_at <= now for p in phases if _voting(p))


def vote_running(session: Session, budget: Budget, now: dt.datetime | None = None) -> bool:
    """Whether ballots are being cast now: no count nor export of the box meanwhile."""
    moment = now or utcnow()
    phases = ResultsRepository(session).phases(budget.process_id)
    return any(p.starts_at <= moment < p.ends_at for p in phases if _voting(p))


def require_vote_closed(session: Session, budget: Budget) -> None:
    """Refuse to count or export the box while the vote runs.

    Two counts a few minutes apart would tell who voted how, read against the register;
    and running results shown to anyone sway the rest of the vote.
    """
    if vote_running(session, budget):
        raise Conflict(_("The ballots can be counted only once the vote has ended."))


def publish(
    session: Session, budget: Budget, *, actor_id: int | None = None, now: dt.datetime | None = None
) -> dict[int, Tally]:
    """Mark the winners of the configured rule on the projects and make the results public."""
    moment = now or utcnow()
    require_unpublished(budget)
    if not _vote_over(session, budget, moment):
        raise Conflict(_("The results can be published only once the vote has ended."))
    repository = ResultsRepository(session)
    envelopes = repository.envelopes(budget.id)
    # Always count again: a paper entry undone and another entered leaves the number of
    # ballots unchanged, so only a fresh count is sure to be the box's.
    compute(session, budget)
    tallies = configured_tallies(session, budget)
    for project in repository.projects([e.id for e in envelopes]):
        outcome = tallies[project.envelope_id].outcome
        project.selected = project.id in set(outcome["selected"])
        project.votes = int(outcome["votes"].get(str(project.id), 0))
    budget.results_published_at = moment
    activity.record(
        session,
        "result",
        process_id=budget.process_id,
        summary=_("The results of %(budget)s are published.") % {"budget": budget.title},
        actor_id=actor_id,
    )
    session.flush()
    return tallies
