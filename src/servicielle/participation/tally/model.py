"""A participatory-budget election as read from a Pabulib file: instance, projects, ballots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

VoteType = Literal["approval", "choose-1", "cumulative", "scoring", "ordinal"]
VOTE_TYPES: tuple[VoteType, ...] = ("approval", "choose-1", "cumulative", "scoring", "ordinal")


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot: its id, exact cost and the other columns of its row."""

    id: str
    cost: Fraction
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    line: int = 0

    @property
    def official_selected(self) -> bool | None:
        """The file's ``selected`` column (1 or 2 = funded), when it has one."""
        value = self.fields.get("selected")
        if value is None or value.strip() == "":
            return None
        return value.strip() != "0"


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ballot: the projects listed (ranked for ordinal votes) and their points."""

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Fraction, ...] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(slots=True)
class Instance:
    """A whole election: metadata, projects in file order, ballots in file order."""

    meta: dict[str, str]
    projects: dict[str, Project]
    ballots: list[Ballot]
    budget: Fraction
    vote_type: VoteType

    @property
    def voters(self) -> int:
        """Number of ballots, empty ones included: each holds an equal share under MES."""
        return len(self.ballots)

    def cost_of(self, selected: tuple[str, ...] | list[str]) -> Fraction:
        """Total cost of the given projects."""
        return sum((self.projects[p].cost for p in selected), Fraction(0))

    def official_selection(self) -> list[str] | None:
        """Projects the file marks as funded, or None when the file has no ``selected`` column."""
        marks = {pid: p.official_selected for pid, p in self.projects.items()}
        if any(mark is None for mark in marks.values()):
            return None
        return [pid for pid, mark in marks.items() if mark]
