"""Participatory-budget tallies: our engine against pabutools 1.2.3, in the same run.

1. ``mes-add1`` (Equal Shares with Add1, ``voter_budget_increment=1``) on Pabulib's
   ``Poland_Swiecie_2023.pb`` and ``France_Toulouse_2024.pb``: our time (median of
   ``--repeat`` runs, file parsing excluded) and pabutools' (one run, parsing excluded), the
   ratio, and whether the outcomes are the same set of projects; ``greedy`` and ``mes`` too.
2. A synthetic approval vote of ``--ballots`` (1,000,000) ballots on ``--projects`` (40)
   projects (each voter approves 1 to 4, popularity skewed, seeded): the time to read the
   ``.pb`` text, then ``greedy`` and ``mes``. pabutools runs on it only with
   ``--pabutools-synthetic`` (its parser alone holds every ballot several times in memory).

Pabulib files come from ``--pabulib-dir``, else ``$SERVICIELLE_PABULIB_DIR``, else
``../shared/pabulib``. Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from http_baseline import cpu_model, memory_gib, version

from catalog import progress, source_revision
from servicielle.participation.tally import Instance, parse, read, tally

ROOT = Path(__file__).resolve().parent.parent
FILES = ("Poland_Swiecie_2023.pb", "France_Toulouse_2024.pb")
RULES = ("greedy", "mes", "mes-add1")


@dataclass
class Row:
    instance: str
    rule: str
    ours: float
    theirs: float | None
    same: bool | None
    funded: int


def pabulib_dir(option: str | None) -> Path:
    for candidate in (
        option,
        os.environ.get("SERVICIELLE_PABULIB_DIR"),
        str(ROOT.parent / "shared" / "pabulib"),
    ):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    sys.exit("no Pabulib directory: pass --pabulib-dir")


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The median duration of ``repeat`` calls, and the last result."""
    durations = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), result


def pabutools_rule(path: str | None, text: str | None, rule: str) -> tuple[float, frozenset[str]]:
    """pabutools' outcome and its duration (parsing excluded)."""
    from pabutools.election import Cost_Sat
    from pabutools.election.pabulib import parse_pabulib, parse_pabulib_from_string
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

    instance, profile = parse_pabulib(path) if path else parse_pabulib_from_string(text or "")
    started = time.perf_counter()
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    else:
        increment = 1 if rule == "mes-add1" else None
        outcome = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, voter_budget_increment=increment
        )
    return time.perf_counter() - started, frozenset(p.name for p in outcome)


def synthetic(ballots: int, projects: int, seed: int) -> str:
    """A Pabulib approval vote: skewed popularity, costs from 5,000 to 500,000."""
    rng = random.Random(seed)
    costs = [rng.randrange(5, 501) * 1000 for _ in range(projects)]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(projects)]
    budget = sum(costs) // 4
    lines = [
        "META",
        "key;value",
        "description;synthetic",
        "country;France",
        "unit;Synthétique",
        "instance;bench",
        f"num_projects;{projects}",
        f"num_votes;{ballots}",
        f"budget;{budget}",
        "vote_type;approval",
        "rule;greedy",
        "PROJECTS",
        "project_id;cost",
    ]
    lines += [f"{p + 1};{cost}" for p, cost in enumerate(costs)]
    lines += ["VOTES", "voter_id;vote"]
    ids = list(range(1, projects + 1))
    for voter in range(ballots):
        size = rng.randint(1, 4)
        chosen = set(rng.choices(ids, weights=weights, k=size))
        lines.append(f"{voter};{','.join(map(str, sorted(chosen)))}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pabulib-dir", default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (median kept)")
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--only", default="files,synthetic", help="files and/or synthetic (comma-separated)"
    )
    parser.add_argument("--no-pabutools", action="store_true", help="skip pabutools entirely")
    parser.add_argument("--pabutools-synthetic", action="store_true")
    options = parser.parse_args()
    parts = set(options.only.split(","))
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    rows: list[Row] = []
    notes: list[str] = []
    if "files" in parts:
        directory = pabulib_dir(options.pabulib_dir)
        for name in FILES:
            instance = read(directory / name)
            for rule in RULES:
                progress(f"{name} {rule}: ours")
                ours, outcome = timed(lambda i=instance, r=rule: tally(i, r), options.repeat)
                selected = frozenset(outcome.selected)  # type: ignore[attr-defined]
                theirs: float | None = None
                same: bool | None = None
                if not options.no_pabutools:
                    progress(f"{name} {rule}: pabutools")
                    theirs, reference = pabutools_rule(str(directory / name), None, rule)
                    same = reference == selected
                rows.append(Row(name, rule, ours, theirs, same, len(selected)))
    if "synthetic" in parts:
        progress(f"synthetic: {options.ballots} ballots")
        text = synthetic(options.ballots, options.projects, options.seed)
        started_parse = time.perf_counter()
        instance: Instance = parse(text)
        notes.append(
            f"synthetic vote: {options.ballots:,} ballots, {options.projects} projects, "
            f"{len(text) / 1e6:.1f} MB of `.pb` text read in "
            f"{time.perf_counter() - started_parse:.2f} s by our parser"
        )
        for rule in ("greedy", "mes"):
            progress(f"synthetic {rule}: ours")
            ours, outcome = timed(lambda r=rule: tally(instance, r), options.repeat)
            selected = frozenset(outcome.selected)  # type: ignore[attr-defined]
            theirs = same = None
            if options.pabutools_synthetic and not options.no_pabutools:
                progress(f"synthetic {rule}: pabutools")
                theirs, reference = pabutools_rule(None, text, rule)
                same = reference == selected
            rows.append(
                Row(f"synthetic {options.ballots:,}", rule, ours, theirs, same, len(selected))
            )
    report(rows, notes, started, load_before)
    return 0 if all(row.same is not False for row in rows) else 1


def report(
    rows: list[Row], notes: list[str], started: dt.datetime, load: tuple[float, float, float]
) -> None:
    print()
    print("## Participatory-budget tallies against pabutools")
    print()
    cores = len(os.sched_getaffinity(0))
    kernel = f"{platform.system()} {platform.release()}"
    print(f"- machine: {cores} cores (nproc), {cpu_model()}, {memory_gib()} RAM, {kernel}")
    print(
        f"- software: Python {platform.python_version()}, pabutools {version('pabutools')}, "
        f"gmpy2 {version('gmpy2')}"
    )
    print(f"- date (UTC): {started:%Y-%m-%d %H:%M}; source: {source_revision()}")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    after = os.getloadavg()
    print(
        f"- load average (1/5/15 min) before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}"
    )
    print()
    print("| instance | rule | ours (s) | pabutools (s) | ratio | same outcome | funded |")
    print("|---|---|---:|---:|---:|---|---:|")
    for row in rows:
        theirs = f"{row.theirs:.3f}" if row.theirs is not None else "not run"
        ratio = f"{row.theirs / row.ours:.0f}×" if row.theirs is not None and row.ours else "—"
        same = {True: "yes", False: "**NO**", None: "—"}[row.same]
        print(
            f"| {row.instance} | {row.rule} | {row.ours:.3f} | {theirs} | {ratio} | {same} "
            f"| {row.funded} |"
        )
    for note in notes:
        print(f"\n- {note}")


if __name__ == "__main__":
    sys.exit(main())
