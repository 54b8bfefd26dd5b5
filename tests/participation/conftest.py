"""Pabulib files for the tally tests, and pabutools (GPL, test-only) as the reference."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pabulib_dir() -> Path | None:
    """``$SERVICIELLE_PABULIB_DIR``, else ``../shared/pabulib`` or ``/work/shared/pabulib``."""
    configured = os.environ.get("SERVICIELLE_PABULIB_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [REPO.parent / "shared" / "pabulib", Path("/work/shared/pabulib")]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.pb")):
            return candidate
    return None


def pabulib_files() -> list[Path]:
    """Every ``.pb`` file of the Pabulib directory (none when there is no directory)."""
    directory = pabulib_dir()
    return sorted(directory.glob("*.pb")) if directory else []


def require_pabulib() -> Path:
    """The Pabulib directory; in CI its absence is a failure, elsewhere a skip."""
    directory = pabulib_dir()
    if directory is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "no Pabulib directory: set SERVICIELLE_PABULIB_DIR or add ../shared/pabulib"
            )
        pytest.skip("no Pabulib directory (../shared/pabulib)")
    return directory


def pb_params() -> list[object]:
    """Parametrize over the Pabulib files; one failing (in CI) or skipped case when none."""
    files = pabulib_files()
    if files:
        return [pytest.param(path, id=path.name) for path in files]
    return [pytest.param(None, id="no-pabulib-directory")]


@cache
def pabutools_outcome(path: str, rule: str, threshold: str | None = None) -> frozenset[str]:
    """pabutools 1.2.3's outcome on a file, computed once per test session (it is slow)."""
    from pabutools.election import Cost_Sat, Instance, parse_pabulib

    instance, profile = parse_pabulib(path)
    if threshold == "swiecie":
        voters = profile.num_ballots()
        keep = [
            p
            for p in instance
            if 3 * instance.budget_limit * profile.approval_score(p) >= p.cost * voters
        ]
        filtered = Instance(keep, budget_limit=instance.budget_limit)
        instance = filtered
    return frozenset(p.name for p in run_pabutools(instance, profile, rule, Cost_Sat))


def run_pabutools(instance: object, profile: object, rule: str, sat: object) -> list[object]:
    """Run one of our rule names with pabutools."""
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    greedy: dict[str, object] = {"sat_class": sat}
    mes: dict[str, object] = {"sat_class": sat}
    if rule.startswith("mes-add1"):
        mes["voter_budget_increment"] = 1
    if rule == "greedy":
        return list(greedy_utilitarian_welfare(instance, profile, **greedy))
    if rule.endswith("+greedy"):
        rules: list[Callable[..., object]] = [method_of_equal_shares, greedy_utilitarian_welfare]
        return list(
            completion_by_rule_combination(instance, profile, rules, [mes, greedy])  # type: ignore[arg-type]
        )
    return list(method_of_equal_shares(instance, profile, **mes))
