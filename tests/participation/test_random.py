"""Random small elections (ties likely): every rule equals pabutools 1.2.3."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicielle.participation.tally import parse, tally
from servicielle.participation.tally.mes import EqualShares, equal_shares_add1
from servicielle.participation.tally.problem import Problem
from tests.participation.conftest import run_pabutools
from tests.participation.test_pabulib import GOOD


@dataclass(frozen=True)
class Election:
    budget: int
    costs: list[int]
    ballots: list[list[int]]

    def text(self) -> str:
        lines = ["META", "key;value", f"budget;{self.budget}", "vote_type;approval"]
        lines += [f"num_projects;{len(self.costs)}", f"num_votes;{len(self.ballots)}"]
        lines += ["PROJECTS", "project_id;cost"]
        lines += [f"p{i};{cost}" for i, cost in enumerate(self.costs)]
        lines += ["VOTES", "voter_id;vote"]
        lines += [
            f"v{n};{','.join(f'p{i}' for i in ballot)}" for n, ballot in enumerate(self.ballots)
        ]
        return "\n".join(lines) + "\n"


@st.composite
def elections(draw: st.DrawFn) -> Election:
    projects = draw(st.integers(1, 12))
    # Few distinct costs and small numbers: equal prices, exact ties and capped voters abound.
    unit = draw(st.sampled_from([1, 5, 100]))
    costs = [unit * draw(st.integers(0, 12)) for _ in range(projects)]
    voters = draw(st.integers(0, 40))
    ballots = [
        sorted(draw(st.sets(st.integers(0, projects - 1), max_size=min(projects, 5))))
        for _ in range(voters)
    ]
    budget = draw(st.integers(0, max(1, sum(costs))))
    return Election(budget=budget, costs=costs, ballots=ballots)


def pabutools_names(election: Election, rule: str) -> frozenset[str]:
    from pabutools.election import Cost_Sat
    from pabutools.election.pabulib import parse_pabulib_from_string

    instance, profile = parse_pabulib_from_string(election.text())
    return frozenset(p.name for p in run_pabutools(instance, profile, rule, Cost_Sat))


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(elections())
def test_greedy_and_mes_equal_pabutools(election: Election) -> None:
    instance = parse(election.text())
    for rule in ("greedy", "mes"):
        assert frozenset(tally(instance, rule).selected) == pabutools_names(election, rule), rule
    completed = tally(instance, "mes", complete="greedy")
    assert frozenset(completed.selected) == pabutools_names(election, "mes+greedy")


@SETTINGS
@given(elections())
def test_mes_add1_equals_pabutools(election: Election) -> None:
    instance = parse(election.text())
    outcome = tally(instance, "mes-add1")
    assert frozenset(outcome.selected) == pabutools_names(election, "mes-add1")
    assert outcome.spent <= instance.budget
    completed = tally(instance, "mes-add1", complete="greedy")
    assert frozenset(completed.selected) == pabutools_names(election, "mes-add1+greedy")


@SETTINGS
@given(elections(), st.integers(0, 30), st.sampled_from([1, 3, 17]))
def test_certified_intervals_hold_at_every_budget(election: Election, k: int, span: int) -> None:
    """A run certified up to b + reach gives the same projects at every integer step."""
    problem = Problem.from_instance(parse(election.text()))
    if problem.voters == 0:
        return
    mes = EqualShares(problem)
    b = Fraction(problem.budget, problem.voters) + k
    run, reach = mes.certified_run(b, Fraction(span))
    assert run.selected == mes.run(b).selected
    assert 0 <= reach <= span
    for step in range(1, int(reach) + 1):
        assert set(mes.run(b + step).selected) == set(run.selected), step
    # Skipping certified increments never changes Add1's outcome.
    assert equal_shares_add1(problem).selected == equal_shares_add1(problem, skip=False).selected


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        GOOD.replace("budget;1000", "budget;1000.75"),
        GOOD.replace("budget;1000", "budget;250"),
        GOOD.split("VOTES")[0].replace("num_votes;4", "num_votes;0") + "VOTES\nvoter_id;vote\n",
    ],
    ids=["decimal-cost", "decimal-budget", "small-budget", "no-votes"],
)
def test_decimal_amounts_and_empty_votes_equal_pabutools(text: str) -> None:
    """Decimal amounts are scaled to integers; Add1 still adds one unit of the currency."""
    from pabutools.election import Cost_Sat
    from pabutools.election.pabulib import parse_pabulib_from_string

    instance = parse(text)
    for rule in ("greedy", "mes", "mes-add1", "mes+greedy", "mes-add1+greedy"):
        reference, profile = parse_pabulib_from_string(text)
        expected = frozenset(p.name for p in run_pabutools(reference, profile, rule, Cost_Sat))
        name, _plus, complete = rule.partition("+")
        outcome = tally(instance, name, complete=complete or None)
        assert frozenset(outcome.selected) == expected, rule
