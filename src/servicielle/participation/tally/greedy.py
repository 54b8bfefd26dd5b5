"""Greedy: most votes first, skip what no longer fits (pabutools' greedy with ``Cost_Sat``)."""

from __future__ import annotations

from collections.abc import Sequence

from servicielle.participation.tally.problem import Problem


def greedy_order(problem: Problem) -> list[int]:
    """Projects in the order greedy considers them.

    pabutools ranks by total satisfaction per unit of cost; with ``Cost_Sat`` that is the number
    of supporters, except that a free project has no satisfaction at all and ranks with the
    unsupported ones. Ties go to the lexicographically smallest id (the lowest index).
    """
    return sorted(
        range(len(problem.ids)),
        key=lambda p: (-problem.votes[p] if problem.costs[p] > 0 else 0, p),
    )


def greedy(problem: Problem, initial: Sequence[int] = ()) -> list[int]:
    """Greedy selection, completing ``initial`` (kept first) within the budget.

    As in pabutools, every project that still fits is taken, unsupported ones included.
    """
    selected = list(initial)
    taken = set(initial)
    remaining = problem.budget - problem.cost(selected)
    for p in greedy_order(problem):
        if p not in taken and problem.costs[p] <= remaining:
            selected.append(p)
            remaining -= problem.costs[p]
    return selected
