"""The round-by-round story of Equal Shares and the comparison of rules."""

from __future__ import annotations

from fractions import Fraction

import pytest

from servicielle.participation.tally import parse, read, tally
from servicielle.participation.tally.explain import explain_equal_shares, summarize
from tests.participation.conftest import require_pabulib
from tests.participation.test_pabulib import GOOD


@pytest.mark.parametrize("rule", ["mes", "mes-add1"])
def test_payments_add_up(rule: str) -> None:
    directory = require_pabulib()
    instance = read(directory / "Netherlands_Assen_2024.pb")
    story = explain_equal_shares(instance, rule)
    assert [p.project for p in story.purchases] == list(story.outcome.selected)
    approvals = {b.voter_id: set(b.projects) for b in instance.ballots}
    for purchase in story.purchases:
        # Supporters pay exactly the cost, each at most the share, only for what they voted for.
        assert sum(purchase.payments.values()) == purchase.cost
        assert all(amount <= purchase.share for amount in purchase.payments.values())
        assert all(purchase.project in approvals[v] for v in purchase.payments)
        assert purchase.supporters == purchase.paid_share + purchase.paid_all_left
        assert purchase.price == purchase.share / purchase.cost
    # Nobody spends more than their share of the budget.
    assert all(money >= 0 for money in story.left.values())
    spent = story.per_voter_budget * story.voters - sum(story.left.values())
    assert spent == story.outcome.spent
    if rule == "mes":
        assert story.per_voter_budget == Fraction(100000, 84)
    else:
        assert story.per_voter_budget > Fraction(100000, 84)
    # Prices never fall from one round to the next.
    prices = [p.price for p in story.purchases]
    assert prices == sorted(prices)
    dropped = {d for p in story.purchases for d in p.dropped} | set(story.dropped_at_end)
    assert dropped.isdisjoint(story.outcome.selected)


CAPPED = """META
key;value
budget;400
vote_type;approval
PROJECTS
project_id;cost
1;120
2;150
VOTES
voter_id;vote
a;1,2
b;2
c;1
d;2
"""


def test_capped_supporters_pay_what_they_have_left() -> None:
    # 100 each. Project 2 first (3 supporters: 50 each), then project 1 costs 60 each but
    # voter a has only 50 left: a pays 50, c pays 70.
    story = explain_equal_shares(parse(CAPPED), "mes")
    assert story.per_voter_budget == 100
    first, second = story.purchases
    assert (first.project, first.share, first.paid_share, first.paid_all_left) == ("2", 50, 3, 0)
    assert first.price == Fraction(1, 3)
    assert second.project == "1"
    assert second.payments == {"a": 50, "c": 70}
    assert (second.share, second.paid_share, second.paid_all_left) == (70, 1, 1)
    assert story.left == {"a": 0, "b": 50, "c": 30, "d": 50}


def test_summaries_compare_rules() -> None:
    instance = parse(GOOD)
    outcomes = [tally(instance, "greedy"), tally(instance, "mes", complete="greedy")]
    greedy, mes = summarize(instance, outcomes)
    assert greedy.rule == "greedy"
    assert mes.rule == "mes+greedy"
    assert greedy.funded == len(outcomes[0].selected)
    assert greedy.voters == 4
    # Voter c voted for nothing: at most 3 of 4 can be served.
    assert greedy.voters_with_a_funded_project <= 3
    assert greedy.share_spent == greedy.spent / 1000


def test_explaining_greedy_is_refused() -> None:
    with pytest.raises(ValueError, match="Equal Shares"):
        explain_equal_shares(parse(GOOD), "greedy")
