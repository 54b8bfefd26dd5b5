"""Greedy completion: spend what a rule left, most votes first (pabutools' completion)."""

from __future__ import annotations

from collections.abc import Sequence

from servicielle.participation.tally.greedy import greedy
from servicielle.participation.tally.problem import Problem


def complete_with_greedy(problem: Problem, selected: Sequence[int]) -> list[int]:
    """``selected`` followed by what greedy adds with the money left.

    pabutools returns an outcome unchanged when nothing more fits (it is exhaustive), and
    otherwise runs greedy from it; greedy adds nothing to an exhaustive outcome, so running
    it always gives the same result.
    """
    return greedy(problem, initial=selected)
