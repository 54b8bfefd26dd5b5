"""Run a tally rule on an election: greedy, Equal Shares, Equal Shares with Add1."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from servicielle.participation.tally.completion import complete_with_greedy
from servicielle.participation.tally.greedy import greedy
from servicielle.participation.tally.mes import equal_shares, equal_shares_add1
from servicielle.participation.tally.model import Instance
from servicielle.participation.tally.problem import Problem
from servicielle.participation.tally.threshold import ineligible

RULES = ("greedy", "mes", "mes-add1")
COMPLETIONS = ("greedy",)
# Pabulib's ``rule`` META values and the settings that reproduce them.
PABULIB_RULES: dict[str, tuple[str, str | None]] = {
    "greedy": ("greedy", None),
    "equalshares": ("mes", None),
    "equalshares/add1": ("mes-add1", None),
    "equalshares/greedy": ("mes", "greedy"),
    "equalshares/add1/greedy": ("mes-add1", "greedy"),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The projects a rule funds, in the order it funded them, and what it spent."""

    rule: str
    complete: str | None
    threshold: str | None
    selected: tuple[str, ...]
    spent: Fraction
    budget: Fraction
    # Projects left out by the eligibility threshold, and those added by the completion.
    excluded: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    # Equal Shares: each voter's share of the budget in the run that gave the outcome.
    per_voter_budget: Fraction | None = None


def tally(
    instance: Instance,
    rule: str,
    *,
    complete: str | None = None,
    threshold: str | None = None,
) -> Outcome:
    """Apply ``rule`` (see :data:`RULES`), then the completion, after the threshold."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}")
    if complete is not None and complete not in COMPLETIONS:
        raise ValueError(f"unknown completion {complete!r}")
    excluded = ineligible(instance, threshold)
    problem = Problem.from_instance(instance, excluded)
    per_voter: Fraction | None = None
    if rule == "greedy":
        chosen = greedy(problem)
    elif rule == "mes":
        chosen = equal_shares(problem)
        if problem.voters:
            per_voter = Fraction(problem.budget, problem.voters * problem.scale)
    else:
        result = equal_shares_add1(problem)
        chosen = result.selected
        per_voter = result.b / problem.scale
    first = len(chosen)
    if complete == "greedy":
        chosen = complete_with_greedy(problem, chosen)
    ids = tuple(problem.ids[p] for p in chosen)
    return Outcome(
        rule=rule,
        complete=complete,
        threshold=threshold,
        selected=ids,
        spent=instance.cost_of(ids),
        budget=instance.budget,
        excluded=tuple(excluded),
        completed=ids[first:],
        per_voter_budget=per_voter,
    )


def official_settings(instance: Instance) -> tuple[str, str | None] | None:
    """The rule and completion that the file's ``rule`` META names, if we know it."""
    return PABULIB_RULES.get(instance.meta.get("rule", "").strip().lower())
