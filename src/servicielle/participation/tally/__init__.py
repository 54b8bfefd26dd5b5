"""Participatory-budget tallies: Pabulib files, greedy and Equal Shares, exactly as pabutools."""

from servicielle.participation.tally.model import Ballot, Instance, Project
from servicielle.participation.tally.pabulib import PabulibError, dumps, parse, read, write
from servicielle.participation.tally.rules import COMPLETIONS, RULES, Outcome, tally

__all__ = [
    "COMPLETIONS",
    "RULES",
    "Ballot",
    "Instance",
    "Outcome",
    "PabulibError",
    "Project",
    "dumps",
    "parse",
    "read",
    "tally",
    "write",
]
