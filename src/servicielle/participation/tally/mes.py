"""The Method of Equal Shares with cost satisfaction, exactly as pabutools 1.2.3 computes it.

Each voter gets an equal share ``b`` of the budget. In each round the project its supporters
can pay for at the lowest price per unit of cost (``rho``) is bought; its supporters split the
cost as equally as their money allows (those with too little pay all they have left). A tie on
the price goes to the lexicographically smallest project id. The run stops when no remaining
project can be paid for by its supporters.

**Exact, fast.** Every decision is exact: budgets are searched in floats, but each float
carries a bound on its distance to the exact value, every comparison needs a margin wider than
the bounds, and what falls inside it (ties, near-ties) is settled with fractions, computed on
demand from the rounds that led to it. A stale price is a lower bound (prices only rise), so
only the cheapest candidates are recomputed each round (lazy evaluation).

*Add1* (``voter_budget_increment=1``) reruns the method with ``b = budget / voters + k`` for
``k = 0, 1, 2…`` until the outcome exhausts the budget (no further project would fit) or
overspends it, in which case the previous outcome is kept. pabutools reruns every ``k`` (671
runs for Toulouse 2024); here a run can also *certify* how far beyond ``b0`` every per-voter
budget gives the same outcome, and the ``k`` it covers are skipped. Two facts make that possible:

1. **Only interacting projects need comparing.** Budgets only fall, so prices only rise. If a
   project ``s`` is affordable and no cheaper than no *interacting* project (one sharing a
   supporter), buying it now leads to the same final outcome as Equal Shares' global order:
   Equal Shares can only buy projects that share no supporter with ``s`` before it, and those
   purchases commute with ``s``. So the rounds found at ``b0`` stay a valid order for another
   ``b`` as long as, in each round, the bought project stays affordable and no dearer than
   the projects it interacts with, and no project is affordable at the end.
2. **Convex enclosures.** Over the interval, each budget is kept between a lower and an upper
   affine function of ``b``, exact at ``b0``. A project's share ``q`` (the smallest amount
   such that supporters paying ``min(budget, q)`` cover the cost) is a convex function of ``b``
   when budgets are affine (it is the largest of the affine functions
   ``(cost − Σ budgets of a set C) / (supporters outside C)``): it lies under the chord of its
   values at the two ends and above any of those affine functions. Each condition then holds
   on a prefix of the interval, found from its two ends; the certificate is the shortest.

Where outcomes change at almost every step (Toulouse's twenty districts each move on their
own), a certificate costs more than the runs it saves: after a short one, the next steps run
without.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor

from servicielle.participation.tally.problem import Problem

Number = Fraction | int
# Condition values: exact numbers, or floats that are lower bounds of them.
Real = Fraction | int | float


@dataclass(slots=True)
class Round:
    """One purchase: the project, its price, what each voter group paid, who dropped out."""

    project: int
    # Price per unit of cost, and the share each supporter who could afford it paid
    # (rho × cost); supporters with less paid all they had left.
    rho: Fraction
    share: Fraction
    # Per voter of each ballot group (index into ``Problem.groups``): the amount paid.
    payments: dict[int, Fraction]
    # Projects found unaffordable (supporters' money < cost) before this purchase.
    dropped: list[int]


@dataclass(slots=True)
class Run:
    """The outcome of one run of Equal Shares at a per-voter budget ``b``."""

    b: Fraction
    selected: list[int]
    rounds: list[Round] = field(default_factory=list)
    # Projects found unaffordable after the last purchase.
    dropped_at_end: list[int] = field(default_factory=list)


def _share(cost: int, items: Sequence[tuple[Number, int]]) -> tuple[Fraction, int, bool]:
    """The share ``q`` for budget classes ``(budget, weight)`` sorted by budget.

    Returns ``q``, how many leading classes are capped (pay all they have), and whether the
    cost is covered. When it is not, ``q`` is still the formula with every class but the last
    capped: a lower bound of the share whenever the project becomes affordable.
    """
    total = sum(w * v for v, w in items)
    count = sum(w for _v, w in items)
    capped_total: Number = 0
    last = len(items) - 1
    for index, (v, w) in enumerate(items):
        q = Fraction(cost - capped_total, count)
        if v >= q or index == last:
            return q, index, total >= cost
        capped_total += w * v
        count -= w
    raise ValueError("a project without supporters has no share")


def _reach(conditions: Sequence[tuple[Real, Real, bool]]) -> Fraction:
    """How far from 0 every t satisfies one of ``a + (d - a)·t ≥ 0`` (``> 0`` if strict).

    Each condition is given as ``(a, d, strict)``, its values at t = 0 and t = 1; the points
    where one holds form an interval starting at 0 (a prefix) or ending at 1 (a suffix).
    Returns x such that every t in [0, x] is covered (1: the whole interval; 0: not even t = 0,
    or only t = 0). An open end is pulled in slightly, so that [0, x] is always covered.
    """
    prefix = Fraction(-1)  # the furthest prefix end
    prefix_open = False
    suffix: Fraction | None = None  # the earliest suffix start
    suffix_closed = False
    for a, d, strict in conditions:
        holds_0 = a > 0 or (a == 0 and not strict)
        holds_1 = d > 0 or (d == 0 and not strict)
        if holds_0 and holds_1:
            return _ALL  # affine: it holds on the whole interval
        if not holds_0 and not holds_1:
            continue
        start, end = Fraction(a), Fraction(d)  # exact, floats included
        root = start / (start - end)  # where a + (d - a)·t = 0, inside [0, 1]
        if holds_0:
            if root > prefix or (root == prefix and prefix_open and not strict):
                prefix, prefix_open = root, strict
        elif suffix is None or root < suffix or (root == suffix and not strict):
            suffix, suffix_closed = root, not strict
    if suffix is not None and (
        prefix > suffix or (prefix == suffix and (suffix_closed or not prefix_open))
    ):
        return _ALL
    if prefix <= 0:
        return _NONE
    return prefix * (1 - _PULL) if prefix_open else prefix


_PULL = Fraction(1, 2**40)
_ALL = Fraction(1)
_NONE = Fraction(0)


class EqualShares:
    """Equal Shares on one problem; runs at any per-voter budget."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        costs = problem.costs
        self.available = [
            p for p in range(len(problem.ids)) if problem.votes[p] > 0 and costs[p] > 0
        ]
        available = set(self.available)
        self.supporters: list[list[int]] = [[] for _ in problem.ids]
        neighbours: list[set[int]] = [set() for _ in problem.ids]
        for g, group in enumerate(problem.groups):
            for p in group:
                if p in available:
                    self.supporters[p].append(g)
                    neighbours[p].update(r for r in group if r in available and r != p)
        self.neighbours = [sorted(n) for n in neighbours]

    def run(self, b: Fraction, *, record: bool = False) -> Run:
        """Equal Shares with ``b`` per voter; ``record`` keeps who paid what in each round."""
        return self.certified_run(b, Fraction(0), record=record)[0]

    def certified_run(
        self, b: Fraction, span: Fraction, *, record: bool = False
    ) -> tuple[Run, Fraction]:
        """Equal Shares at ``b``, and x such that every budget in ``[b, b + x]`` (x ≤ span)
        gives the same outcome.

        The certificate is sufficient, not necessary: a short reach only means "not proven".
        """
        return _Pass(self, b, span, record).result()


# Floats make the search fast. Each float is a rounded exact value (budgets are kept exact) or
# a short sum or quotient of such values, and every decision taken in floats has a margin wider
# than any rounding error; what falls inside the margin is settled in exact arithmetic.
EPS = 2.0**-48


def _slack(terms: int, size: float) -> float:
    """A bound on the rounding error of a float sum (then quotient) of ``terms`` terms."""
    return (terms + 8) * EPS * size


class _Share:
    """A project's share at the current budgets: a float to within ``slack``, or exact."""

    __slots__ = ("capped", "exact", "q", "slack")

    def __init__(self, q: float, slack: float, capped: set[int], exact: Fraction | None) -> None:
        self.q = q
        self.slack = slack
        self.capped = capped
        self.exact = exact


class _Pass:
    """One run at ``b0``, checking as it goes that it holds up to ``b0 + span``."""

    def __init__(self, mes: EqualShares, b0: Fraction, span: Fraction, record: bool) -> None:
        self.mes = mes
        self.problem = mes.problem
        self.record = record
        self.check = span > 0
        # Budget classes: every voter group points to one. At b0 a class holds a float budget
        # ``value`` within ``error`` of the exact one, which is computed only when a near-tie
        # needs it (from its ``parent`` class and the share paid in round ``origin``). At
        # b0 + span, ``low`` and ``high`` bound it (floats that are themselves the bounds).
        # Class 0 is the initial budget, class 1 an empty purse over the whole interval.
        self.cls = [0] * len(self.problem.groups)
        self.value: list[float] = [float(b0), 0.0]
        self.error: list[float] = [EPS * float(b0), 0.0]
        self.exact: list[Number | None] = [b0, 0]
        self.parent = [0, 1]
        self.origin = [-1, -1]
        end = b0 + span
        self.low: list[float] = [_down(end), 0.0]
        self.high: list[float] = [_up(end), 0.0]
        # Per round: cost, capped classes with their voters, uncapped voters; exact share.
        self.rounds: list[tuple[int, list[tuple[int, int]], int]] = []
        self.round_share: list[Fraction | None] = []
        self.version = [0] * len(self.problem.ids)
        self._items: dict[int, tuple[int, list[tuple[int, int]]]] = {}
        self._bound: dict[int, tuple[float, float]] = {}
        self._bought: set[int] = set()
        # The certified part of the interval, as a fraction of ``span``: shrinks as conditions
        # fail beyond some point; the class bounds always refer to the current end.
        self.span = span
        self.reach = Fraction(1) if self.check else Fraction(0)
        self.run = Run(b=b0, selected=[])

    # Exact budgets, on demand ---------------------------------------------------------------

    def exact_value(self, c: int) -> Number:
        """The exact budget of class ``c`` at b0."""
        chain = []
        while self.exact[c] is None:
            chain.append(c)
            c = self.parent[c]
        value = self.exact[c]
        assert value is not None
        for d in reversed(chain):
            value = value - self.exact_round(self.origin[d])
            self.exact[d] = value
        return value

    def exact_round(self, r: int) -> Fraction:
        """The exact share paid in round ``r`` by those who could afford it."""
        share = self.round_share[r]
        if share is None:
            cost, capped, free = self.rounds[r]
            paid = sum((w * self.exact_value(c) for c, w in capped), Fraction(0))
            share = Fraction(cost - paid, free)
            self.round_share[r] = share
        return share

    # Budgets of a project's supporters -------------------------------------------------------

    def classes(self, p: int) -> list[tuple[int, int]]:
        """The budget classes among ``p``'s supporters, ``(class, voters)``, by budget."""
        cached = self._items.get(p)
        if cached is not None and cached[0] == self.version[p]:
            return cached[1]
        counts: dict[int, int] = {}
        cls, weights = self.cls, self.problem.weights
        for g in self.mes.supporters[p]:
            c = cls[g]
            counts[c] = counts.get(c, 0) + weights[g]
        value = self.value
        items = sorted(counts.items(), key=lambda item: value[item[0]])
        self._items[p] = (self.version[p], items)
        return items

    def share(self, p: int) -> _Share | None:
        """``p``'s share at b0, or None when its supporters cannot cover the cost."""
        cost = self.problem.costs[p]
        items = self.classes(p)
        value, error = self.value, self.error
        total = uncertain = 0.0
        for c, w in items:
            total += w * value[c]
            uncertain += w * error[c]
        slack = _slack(len(items), total + cost) + uncertain
        if total < cost - slack:
            return None
        if total <= cost + slack:
            return self.exact_share(p)
        capped_total = capped_error = 0.0
        count = sum(w for _c, w in items)
        last = len(items) - 1
        q = 0.0
        index = 0
        for index, (c, w) in enumerate(items):
            q = (cost - capped_total) / count
            if value[c] >= q or index == last:
                break
            capped_total += w * value[c]
            capped_error += w * error[c]
            count -= w
        slack = (_slack(index, cost + capped_total) + capped_error) / count
        # The capped set is certain when no budget lies within the margin around the share.
        margin = 2 * slack + EPS * q
        if index > 0:
            before = items[index - 1][0]
            if value[before] + error[before] > q - margin:
                return self.exact_share(p)
        if index < last:
            after = items[index][0]
            if value[after] - error[after] < q + margin:
                return self.exact_share(p)
        return _Share(q, slack, {c for c, _w in items[:index]}, None)

    def exact_share(self, p: int) -> _Share | None:
        """The share in exact arithmetic (budgets sorted exactly)."""
        budgets = [(self.exact_value(c), c, w) for c, w in self.classes(p)]
        budgets.sort(key=lambda item: item[0])
        cost = self.problem.costs[p]
        q, capped, affordable = _share(cost, [(v, w) for v, _c, w in budgets])
        if not affordable:
            return None
        return _Share(float(q), EPS * float(q), {c for _v, c, _w in budgets[:capped]}, q)

    def exact_q(self, p: int, share: _Share) -> Fraction:
        """The exact share, computed from the (certain) capped set if not known yet."""
        if share.exact is None:
            capped_total: Number = 0
            count = 0
            for c, w in self.classes(p):
                count += w
                if c in share.capped:
                    capped_total += w * self.exact_value(c)
                    count -= w
            share.exact = Fraction(self.problem.costs[p] - capped_total, count)
        return share.exact

    def cheaper(self, a: int, sa: _Share, b: int, sb: _Share) -> bool:
        """Whether ``a`` is bought before ``b``: lower price per unit of cost, then lower index."""
        costs = self.problem.costs
        left, right = sa.q * costs[b], sb.q * costs[a]
        gap = (sa.slack * costs[b] + sb.slack * costs[a]) * 2
        if left < right - gap:
            return True
        if left > right + gap:
            return False
        left_exact = self.exact_q(a, sa) * costs[b]
        right_exact = self.exact_q(b, sb) * costs[a]
        return left_exact < right_exact or (left_exact == right_exact and a < b)

    # The run --------------------------------------------------------------------------------

    def result(self) -> tuple[Run, Fraction]:
        problem = self.problem
        costs, votes = problem.costs, problem.votes
        # Lazy evaluation: keys are lower bounds of prices, and prices only rise.
        heap = [(1.0 / votes[p] * (1 - EPS), p, -1) for p in self.mes.available]
        heapq.heapify(heap)
        fresh: dict[int, _Share] = {}
        dropped: list[int] = []
        while heap:
            _key, p, seen = heapq.heappop(heap)
            if seen != self.version[p]:
                self.refresh(p, heap, fresh, dropped)
                continue
            # p is the cheapest as far as floats tell; near-ties are settled exactly.
            best, share = p, fresh.pop(p)
            others: list[tuple[int, _Share]] = []
            while heap and heap[0][0] <= _top(share, costs[best]):
                _key, r, seen = heapq.heappop(heap)
                if seen != self.version[r]:
                    self.refresh(r, heap, fresh, dropped)
                    continue
                other = fresh.pop(r)
                if self.cheaper(r, other, best, share):
                    others.append((best, share))
                    best, share = r, other
                else:
                    others.append((r, other))
            for r, other in others:
                fresh[r] = other
                heapq.heappush(heap, (_bottom(other, costs[r]), r, self.version[r]))
            self.buy(best, share, dropped)
            dropped = []
        self.run.dropped_at_end = sorted(dropped)
        if self.reach:
            # At the end, no project may become affordable in the interval.
            high, value, error = self.high, self.value, self.error
            bought = set(self.run.selected)
            conditions: list[tuple[Real, Real, bool]] = []
            for p in self.mes.available:
                if p not in bought:
                    items = self.classes(p)
                    top = start = uncertain = 0.0
                    for c, w in items:
                        top += w * high[c]
                        start += w * value[c]
                        uncertain += w * error[c]
                    if top + _slack(len(items), top) >= costs[p]:
                        conditions.append(
                            (
                                costs[p] - start - _slack(len(items), start) - uncertain,
                                costs[p] - top - _slack(len(items), top),
                                True,
                            )
                        )
            for condition in conditions:
                self.reach *= _reach([condition])
        return self.run, self.reach * self.span

    def refresh(
        self,
        p: int,
        heap: list[tuple[float, int, int]],
        fresh: dict[int, _Share],
        dropped: list[int],
    ) -> None:
        share = self.share(p)
        if share is None:
            dropped.append(p)
            fresh.pop(p, None)
            return
        fresh[p] = share
        heapq.heappush(heap, (_bottom(share, self.problem.costs[p]), p, self.version[p]))

    def buy(self, s: int, share: _Share, dropped: list[int]) -> None:
        """Buy ``s``: certify the round, then move its supporters' budgets."""
        items = self.classes(s)
        cost = self.problem.costs[s]
        bounds = self.certify(s, share, items) if self.reach else None
        value, error, exact, low, high = self.value, self.error, self.exact, self.low, self.high
        capped_items = [(c, w) for c, w in items if c in share.capped]
        free = sum(w for _c, w in items) - sum(w for _c, w in capped_items)
        r = len(self.rounds)
        self.rounds.append((cost, capped_items, free))
        self.round_share.append(share.exact)
        q, q_error = share.q, share.slack
        moved: dict[int, int] = {}
        for c, _w in items:
            capped = c in share.capped
            if bounds is None:
                if capped:
                    moved[c] = 1  # nothing left, for every budget that matters
                    continue
                new_low = new_high = 0.0
            else:
                upper, lower = bounds
                if capped:
                    new_low = 0.0  # pays all it has at b0: at least nothing is left
                else:
                    new_low = low[c] - upper - EPS * (abs(low[c]) + upper)
                new_high = high[c] - lower + EPS * (abs(high[c]) + abs(lower))
                if new_high <= 0:
                    new_high = 0.0
                    if capped:
                        moved[c] = 1
                        continue
            moved[c] = len(value)
            if capped:
                value.append(0.0)
                error.append(0.0)
                exact.append(0)
            else:
                left = value[c] - q
                value.append(left if left > 0 else 0.0)
                error.append(error[c] + q_error + EPS * value[c])
                exact.append(None)
            self.parent.append(c)
            self.origin.append(r)
            low.append(new_low)
            high.append(new_high)
        payments: dict[int, Fraction] = {}
        if self.record:
            exact_share = self.exact_round(r)
            for g in self.mes.supporters[s]:
                payments[g] = Fraction(min(self.exact_value(self.cls[g]), exact_share))
        cls = self.cls
        for g in self.mes.supporters[s]:
            cls[g] = moved[cls[g]]
        for p in self.mes.neighbours[s]:
            self.version[p] += 1
        self.version[s] += 1
        self.run.selected.append(s)
        if self.record:
            exact_share = self.exact_round(r)
            self.run.rounds.append(
                Round(
                    project=s,
                    rho=exact_share / cost,
                    share=exact_share,
                    payments=payments,
                    dropped=sorted(dropped),
                )
            )

    def certify(
        self, s: int, share: _Share, items: list[tuple[int, int]]
    ) -> tuple[float, float] | None:
        """Check the round over the interval (shrinking it if needed); bound the share at its end.

        The share at the end is at most the share computed from the lower budgets (``upper``)
        and at least the formula with b0's capped set applied to the upper budgets (``lower``).
        """
        cost = self.problem.costs[s]
        low, high, value, error = self.low, self.high, self.value, self.error
        total_low = total_start = uncertain = 0.0
        for c, w in items:
            total_low += w * low[c]
            total_start += w * value[c]
            uncertain += w * error[c]
        slack = _slack(len(items), total_low + cost)
        if total_low - slack < cost:
            # Affordable only up to some point of the interval.
            start: Real = total_start - _slack(len(items), total_start) - uncertain - cost
            if start < 0:
                start = sum((w * self.exact_value(c) for c, w in items), Fraction(0)) - cost
            if not self.shrink(_reach([(start, total_low - slack - cost, False)])):
                return None
        top = _BoundedShare(cost, [(low[c], w) for c, w in items])
        if not top.affordable:
            self.stop()
            return None
        count = capped_count = 0
        capped_high = 0.0
        for c, w in items:
            count += w
            if c in share.capped:
                capped_count += w
                capped_high += w * high[c]
        free = count - capped_count
        lower = (cost - capped_high) / free
        lower -= _slack(len(share.capped), cost + capped_high) / free
        q_low = share.q - share.slack
        chord = _Chord(self, s, share, top)
        bought = self._bought_set()
        for p in self.mes.neighbours[s]:
            if p not in bought:
                x = self.dearer(p, s, chord)
                if x < 1:
                    if not self.shrink(x):
                        return None
                    chord.shrink(x)
                    lower = _down_mix(Fraction(q_low), lower, x)
        return chord.upper, lower

    def shrink(self, x: Fraction) -> bool:
        """Keep only [0, x] of the interval: move every class bound to the new end."""
        if x <= 0:
            self.stop()
            return False
        self.reach *= x
        xf = float(x)
        value, error, low, high = self.value, self.error, self.low, self.high
        for c in range(2, len(value)):
            v = value[c]
            slack = 4 * EPS * (abs(v) + abs(low[c]) + abs(high[c])) + error[c]
            low[c] = v + (low[c] - v) * xf - slack
            high[c] = v + (high[c] - v) * xf + slack
        end = self.run.b + self.span * self.reach
        low[0], high[0] = _down(end), _up(end)
        self._bound.clear()
        return True

    def stop(self) -> None:
        """Nothing beyond b0 is certified."""
        self.reach = Fraction(0)

    def _bought_set(self) -> set[int]:
        selected = self.run.selected
        if len(self._bought) != len(selected):
            self._bought = set(selected)
        return self._bought

    def dearer(self, p: int, s: int, chord: _Chord) -> Fraction:
        """How far into the interval ``p`` stays unaffordable or no cheaper than ``s``.

        ``s``'s share runs at most along ``chord``; ``p``'s at least along a tangent formula.
        An exact tie goes to the smaller index.
        """
        costs = self.problem.costs
        ratio = costs[p] / costs[s]
        strict = p < s
        start = chord.start_high * ratio * (1 + 4 * EPS)
        end = chord.upper * ratio * (1 + 4 * EPS)
        # Its share is at least cost / supporters, whatever the budgets.
        floor_share = costs[p] / self.problem.votes[p] * (1 - 4 * EPS)
        if floor_share > start and floor_share > end:
            return _ALL
        cached = self._bound.get(p)
        if cached is not None and cached[0] > start and cached[1] > end:
            return _ALL
        items = self.classes(p)
        value, high, error = self.value, self.high, self.error
        conditions: list[tuple[Real, Real, bool]] = []
        chosen_at_start: set[int] = set()
        for key in (value, high):
            # The tangent whose capped set is right at this end of the interval (any capped
            # set gives a lower bound, so floats may choose it).
            ordered = sorted(items, key=lambda item: key[item[0]])
            capped = _capped_prefix(costs[p], [(key[c], w) for c, w in ordered])
            chosen = {c for c, _w in ordered[:capped]}
            free = 0
            at_start = at_end = uncertain = 0.0
            for c, w in items:
                if c in chosen:
                    at_start += w * value[c]
                    at_end += w * high[c]
                    uncertain += w * error[c]
                else:
                    free += w
            first = (costs[p] - at_start - _slack(capped, costs[p] + at_start) - uncertain) / free
            last = (costs[p] - at_end - _slack(capped, costs[p] + at_end)) / free
            if key is value:
                self._bound[p] = (first, last)
                chosen_at_start = chosen
            conditions.append((first - start, last - end, strict))
        total_start = uncertain = 0.0
        for c, w in items:
            total_start += w * value[c]
            uncertain += w * error[c]
        total_end = sum(w * high[c] for c, w in items)
        conditions.append(
            (
                costs[p] - total_start - _slack(len(items), total_start) - uncertain,
                costs[p] - total_end - _slack(len(items), total_end),
                True,
            )
        )
        reach = _reach(conditions)
        if reach == _ALL:
            return reach
        # Near a tie: redo the tangent at b0 and the winner's chord exactly.
        free = sum(w for c, w in items if c not in chosen_at_start)
        capped_exact: Number = 0
        capped_high = Fraction(0)
        for c, w in items:
            if c in chosen_at_start:
                capped_exact += w * self.exact_value(c)
                capped_high += w * Fraction(high[c])
        exact_ratio = Fraction(costs[p], costs[s])
        conditions.append(
            (
                Fraction(costs[p] - capped_exact, free) - chord.exact_start() * exact_ratio,
                Fraction(costs[p] - capped_high, free) - chord.exact() * exact_ratio,
                strict,
            )
        )
        return _reach(conditions)


class _Chord:
    """An upper bound of the winner's share over the interval: the chord of its two ends."""

    def __init__(self, run: _Pass, s: int, share: _Share, top: _BoundedShare) -> None:
        self._run, self._s, self._share = run, s, share
        self.start_high = share.q + share.slack
        self.top = top
        self.upper = top.upper
        self._shrunk: list[Fraction] = []

    def exact_start(self) -> Fraction:
        """The winner's share at b0, exactly."""
        return self._run.exact_q(self._s, self._share)

    def shrink(self, x: Fraction) -> None:
        """Restrict to [0, x] (the chord's value at x becomes the end)."""
        self._shrunk.append(x)
        self.upper = _up_mix(Fraction(self.start_high), self.upper, x)

    def exact(self) -> Fraction:
        """The chord's end value, exactly (for ties)."""
        start = self.exact_start()
        value = self.top.exact()
        for x in self._shrunk:
            value = start + (value - start) * x
        return value


def _up_mix(start: Fraction, end: float, x: Fraction) -> float:
    """An upper bound of ``start + (end - start)·x``."""
    return _up(start + (Fraction(end) - start) * x)


def _down_mix(start: Fraction, end: float, x: Fraction) -> float:
    """A lower bound of ``start + (end - start)·x``."""
    return _down(start + (Fraction(end) - start) * x)


class _BoundedShare:
    """The share over budgets given as floats that are exact numbers (interval ends)."""

    def __init__(self, cost: int, items: list[tuple[float, int]]) -> None:
        self.cost = cost
        self.items = values = sorted(items)
        total = 0.0
        for v, w in values:
            total += w * v
        slack = _slack(len(self.items), total + cost)
        self.affordable = total - slack >= cost
        self._exact: Fraction | None = None
        if not self.affordable:
            self.upper = 0.0
            return
        capped = _capped_prefix(cost, values)
        capped_total = 0.0
        count = 0
        for index, (v, w) in enumerate(values):
            if index < capped:
                capped_total += w * v
            else:
                count += w
        q = (cost - capped_total) / count
        slack = _slack(capped, cost + capped_total) / count
        margin = 2 * slack + EPS * q
        clean = not (
            (capped > 0 and values[capped - 1][0] > q - margin)
            or (capped < len(values) - 1 and values[capped][0] < q + margin)
        )
        self.upper = q + slack if clean else _up(self.exact())
        self.upper *= 1 + EPS

    def exact(self) -> Fraction:
        """The share over these budgets, exactly."""
        if self._exact is None:
            # Floats are exact numbers; sorted as floats is sorted exactly.
            self._exact = _share(self.cost, [(Fraction(v), w) for v, w in self.items])[0]
        return self._exact


def _capped_prefix(cost: int, items: Sequence[tuple[float, int]]) -> int:
    """How many leading classes the share algorithm caps, in floats (for tangent choices)."""
    capped_total = 0.0
    count = sum(w for _v, w in items)
    last = len(items) - 1
    for index, (v, w) in enumerate(items):
        if v >= (cost - capped_total) / count or index == last:
            return index
        capped_total += w * v
        count -= w
    return 0


def _bottom(share: _Share, cost: int) -> float:
    """A lower bound of the price per unit of cost."""
    return (share.q - share.slack) / cost * (1 - 4 * EPS)


def _top(share: _Share, cost: int) -> float:
    """An upper bound of the price per unit of cost."""
    return (share.q + share.slack) / cost * (1 + 4 * EPS)


def _down(x: Number) -> float:
    """The largest float not above ``x``."""
    f = float(x)
    return f if f <= x else math.nextafter(f, -math.inf)


def _up(x: Number) -> float:
    """The smallest float not below ``x``."""
    f = float(x)
    return f if f >= x else math.nextafter(f, math.inf)


def equal_shares(problem: Problem) -> list[int]:
    """Plain Equal Shares: each voter holds ``budget / voters``."""
    if problem.voters == 0:
        return []
    return EqualShares(problem).run(Fraction(problem.budget, problem.voters)).selected


# After a certificate that covers fewer than _FEW further steps, _PLAIN steps run without one.
_FEW, _PLAIN = 3, 16


@dataclass(slots=True)
class Add1Result:
    """Equal Shares with Add1: the outcome, the per-voter budget it used, the work done."""

    selected: list[int]
    b: Fraction
    increments: int
    runs: int


def equal_shares_add1(problem: Problem, *, skip: bool = True) -> Add1Result:
    """Equal Shares with Add1 completion (pabutools' ``voter_budget_increment=1``).

    ``skip=False`` runs every increment, as pabutools does (to test the certificates).
    """
    if problem.voters == 0:
        return Add1Result(selected=[], b=Fraction(0), increments=0, runs=0)
    mes = EqualShares(problem)
    base = Fraction(problem.budget, problem.voters)
    step = problem.scale  # one unit of the file's currency
    previous: list[int] = []
    k = runs = 0
    span = 8
    plain = 0  # runs to do without a certificate (they cost a fifth of one)
    while True:
        b = base + k * step
        certify = skip and plain == 0
        run, reach = mes.certified_run(b, Fraction(span * step if certify else 0))
        runs += 1
        spent = problem.cost(run.selected)
        if spent > problem.budget:
            return Add1Result(previous, base + (k - 1) * step, increments=k, runs=runs)
        chosen = set(run.selected)
        if all(p in chosen or spent + problem.costs[p] > problem.budget for p in mes.available):
            return Add1Result(run.selected, b, increments=k, runs=runs)
        previous = run.selected
        # Every k up to k + covered gives this same (neither exhaustive nor overspent) outcome.
        covered = floor(reach / step)
        k += covered + 1
        if not certify:
            plain = max(0, plain - 1)
        elif covered < _FEW:
            # Outcomes change at nearly every step here: plain runs are cheaper for a while.
            plain, span = _PLAIN, 8
        else:
            span = 2 * span if covered == span else max(8, 2 * covered)
