"""Eligibility thresholds applied before a rule runs."""

from __future__ import annotations

from servicielle.participation.tally.model import Instance

THRESHOLDS = ("swiecie",)


def swiecie_ineligible(instance: Instance) -> list[str]:
    """Projects Świecie's 2023 rule leaves out: share of voters below cost / (3 × budget).

    A project listed by ``v`` of the ``n`` ballots is out when ``v / n < cost / (3 × budget)``,
    compared exactly as ``3 × budget × v < cost × n``.
    """
    votes = dict.fromkeys(instance.projects, 0)
    for ballot in instance.ballots:
        for project_id in ballot.projects:
            votes[project_id] += 1
    n = instance.voters
    return [
        pid
        for pid, project in instance.projects.items()
        if 3 * instance.budget * votes[pid] < project.cost * n
    ]


def ineligible(instance: Instance, threshold: str | None) -> list[str]:
    """The projects a named threshold excludes (none without a threshold)."""
    if threshold is None:
        return []
    if threshold == "swiecie":
        return swiecie_ineligible(instance)
    raise ValueError(f"unknown threshold {threshold!r}")
