"""Why a project won: the rounds of Equal Shares (who paid for what) and a comparison of rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from servicielle.participation.tally.mes import EqualShares
from servicielle.participation.tally.model import Instance
from servicielle.participation.tally.problem import Problem
from servicielle.participation.tally.rules import Outcome, tally
from servicielle.participation.tally.threshold import ineligible


@dataclass(frozen=True, slots=True)
class Purchase:
    """One round of Equal Shares: the project bought and how its supporters paid for it."""

    number: int
    project: str
    cost: Fraction
    # Price per unit of cost: the lower, the more of its supporters' money it is worth.
    price: Fraction
    # What each supporter paid if they could; those with less paid all they had left.
    share: Fraction
    supporters: int
    paid_share: int
    paid_all_left: int
    payments: dict[str, Fraction]
    # Projects whose supporters could no longer cover the cost, found before this purchase.
    dropped: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EqualSharesStory:
    """The full run of Equal Shares that produced an outcome, round by round."""

    outcome: Outcome
    per_voter_budget: Fraction
    voters: int
    purchases: tuple[Purchase, ...]
    dropped_at_end: tuple[str, ...]
    # Money each voter had left when Equal Shares stopped (before any completion).
    left: dict[str, Fraction]


def explain_equal_shares(
    instance: Instance,
    rule: str = "mes",
    *,
    complete: str | None = None,
    threshold: str | None = None,
) -> EqualSharesStory:
    """Rerun the Equal Shares rule behind an outcome and record every payment."""
    if rule not in ("mes", "mes-add1"):
        raise ValueError("only Equal Shares rules have rounds to explain")
    outcome = tally(instance, rule, complete=complete, threshold=threshold)
    problem = Problem.from_instance(instance, ineligible(instance, threshold))
    voter_ids = [ballot.voter_id for ballot in instance.ballots]
    b = outcome.per_voter_budget or Fraction(0)
    scale = problem.scale
    left = dict.fromkeys(voter_ids, b)
    purchases: list[Purchase] = []
    dropped_at_end: tuple[str, ...] = ()
    if problem.voters:
        run = EqualShares(problem).run(b * scale, record=True)
        for number, step in enumerate(run.rounds, start=1):
            payments: dict[str, Fraction] = {}
            paid_share = paid_all = 0
            for group, amount in step.payments.items():
                for ballot in problem.members[group]:
                    voter = voter_ids[ballot]
                    payments[voter] = amount / scale
                    left[voter] -= amount / scale
                    if amount == step.share:
                        paid_share += 1
                    else:
                        paid_all += 1
            project = problem.ids[step.project]
            purchases.append(
                Purchase(
                    number=number,
                    project=project,
                    cost=instance.projects[project].cost,
                    price=step.rho,
                    share=step.share / scale,
                    supporters=paid_share + paid_all,
                    paid_share=paid_share,
                    paid_all_left=paid_all,
                    payments=payments,
                    dropped=tuple(problem.ids[p] for p in step.dropped),
                )
            )
        dropped_at_end = tuple(problem.ids[p] for p in run.dropped_at_end)
    return EqualSharesStory(
        outcome=outcome,
        per_voter_budget=b,
        voters=problem.voters,
        purchases=tuple(purchases),
        dropped_at_end=dropped_at_end,
        left=left,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """What an outcome gives: projects funded, money spent, voters with a funded project."""

    rule: str
    funded: int
    spent: Fraction
    budget: Fraction
    voters: int
    voters_with_a_funded_project: int

    @property
    def share_spent(self) -> Fraction:
        """Spent / budget."""
        return self.spent / self.budget if self.budget else Fraction(0)

    @property
    def share_of_voters_served(self) -> Fraction:
        """Share of voters with at least one funded project among those they voted for."""
        return (
            Fraction(self.voters_with_a_funded_project, self.voters) if self.voters else Fraction(0)
        )


def summarize(instance: Instance, outcomes: Iterable[Outcome]) -> list[Summary]:
    """Compare outcomes (of different rules) on the same election."""
    summaries = []
    for outcome in outcomes:
        funded = set(outcome.selected)
        served = sum(1 for b in instance.ballots if funded.intersection(b.projects))
        name = outcome.rule + (f"+{outcome.complete}" if outcome.complete else "")
        summaries.append(
            Summary(
                rule=name,
                funded=len(funded),
                spent=outcome.spent,
                budget=outcome.budget,
                voters=instance.voters,
                voters_with_a_funded_project=served,
            )
        )
    return summaries
