"""The election reduced to what the rules need: integer money, projects by index, ballot groups."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from servicielle.participation.tally.model import Instance


@dataclass(frozen=True, slots=True)
class Problem:
    """Projects sorted by id (lexicographic tie-breaking = lowest index), money as integers.

    Costs and the budget are multiplied by ``scale`` (1 unless the file has decimal amounts) so
    that all money is integral. Every ballot counts as an approval of the projects it lists, as
    pabutools' ``Cost_Sat`` does for every ballot type. Identical ballots are grouped:
    ``groups[g]`` lists the project indices of a ballot and ``weights[g]`` how many voters cast
    it, ``members[g]`` which ballots (indices into ``Instance.ballots``) they are. ``voters``
    counts every ballot, empty ones included.
    """

    ids: tuple[str, ...]
    costs: tuple[int, ...]
    budget: int
    scale: int
    voters: int
    groups: tuple[tuple[int, ...], ...]
    weights: tuple[int, ...]
    votes: tuple[int, ...]
    members: tuple[tuple[int, ...], ...]

    @classmethod
    def from_instance(cls, instance: Instance, excluded: Collection[str] = ()) -> Problem:
        """Build the problem, leaving out the ``excluded`` projects (ineligible ones)."""
        ids = tuple(sorted(pid for pid in instance.projects if pid not in excluded))
        index = {pid: i for i, pid in enumerate(ids)}
        amounts = [instance.projects[pid].cost for pid in ids] + [instance.budget]
        scale = lcm(*(Fraction(a).denominator for a in amounts))
        costs = tuple(int(instance.projects[pid].cost * scale) for pid in ids)
        members: dict[tuple[int, ...], list[int]] = {}
        for number, ballot in enumerate(instance.ballots):
            key = tuple(sorted(index[p] for p in ballot.projects if p in index))
            members.setdefault(key, []).append(number)
        groups = tuple(members)
        votes = [0] * len(ids)
        for group, who in members.items():
            for p in group:
                votes[p] += len(who)
        return cls(
            ids=ids,
            costs=costs,
            budget=int(instance.budget * scale),
            scale=scale,
            voters=instance.voters,
            groups=groups,
            weights=tuple(len(members[g]) for g in groups),
            votes=tuple(votes),
            members=tuple(tuple(members[g]) for g in groups),
        )

    def cost(self, selected: Collection[int]) -> int:
        """Scaled total cost of the given project indices."""
        return sum(self.costs[p] for p in selected)
