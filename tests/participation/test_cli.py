"""``servicielle budgets tally`` through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from servicielle.cli import main
from tests.participation.conftest import require_pabulib
from tests.participation.test_pabulib import GOOD


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "budget.pb"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_prints_the_selected_ids_one_per_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["budgets", "tally", write(tmp_path, GOOD), "--rule", "greedy"]
    )
    assert result.exit_code == 0, result.output
    # Votes: 1 → 1, 2 → 2, 3 → 2. Greedy takes 2 (tied with 3, smaller id), then 3; then 1
    # no longer fits.
    assert result.stdout.splitlines() == ["2", "3"]


def test_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["budgets", "tally", write(tmp_path, GOOD), "--rule", "mes", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rule"] == "mes"
    assert data["spent"] == sum({"1": 600, "2": 300.5, "3": 400}[p] for p in data["selected"])
    completed = CliRunner().invoke(
        main,
        [
            "budgets",
            "tally",
            write(tmp_path, GOOD),
            "--rule",
            "mes",
            "--complete",
            "greedy",
            "--json",
        ],
    )
    more = json.loads(completed.stdout)
    assert more["selected"][: len(data["selected"])] == data["selected"]
    assert more["spent"] >= data["spent"]


def test_official_outcome_from_the_command_line() -> None:
    directory = require_pabulib()
    result = CliRunner().invoke(
        main,
        [
            "budgets",
            "tally",
            str(directory / "Netherlands_Assen_2024.pb"),
            "--rule",
            "mes-add1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data["selected"]) == sorted(["3", "9", "2", "11", "13", "14", "5", "6", "12"])
    assert data["spent"] == 76700


def test_threshold_option(tmp_path: Path) -> None:
    # Project 1 costs 80 % of the budget with 1 voter in 4: 1/4 < 800 / 3000, it is left out.
    text = GOOD.replace("1;600;Un parc;1", "1;800;Un parc;1")
    args = ["budgets", "tally", write(tmp_path, text), "--rule", "greedy", "--json"]
    plain = json.loads(CliRunner().invoke(main, args).stdout)
    assert plain["excluded"] == []
    cut = json.loads(CliRunner().invoke(main, [*args, "--threshold", "swiecie"]).stdout)
    assert cut["excluded"] == ["1"]
    assert "1" not in cut["selected"]


def test_malformed_file_fails_with_line_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("b;2,3;", "b;2,9;"))
    result = CliRunner().invoke(main, ["budgets", "tally", path, "--rule", "greedy"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert path in result.stderr
    assert "17" in result.stderr
    assert "'9'" in result.stderr


def test_unknown_rule_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["budgets", "tally", write(tmp_path, GOOD), "--rule", "phragmen"]
    )
    assert result.exit_code == 2
    assert "phragmen" in result.stderr


def test_non_approval_ballots_get_a_note(tmp_path: Path) -> None:
    text = GOOD.replace("vote_type;approval", "vote_type;ordinal")
    result = CliRunner().invoke(
        main, ["budgets", "tally", write(tmp_path, text), "--rule", "greedy"]
    )
    assert result.exit_code == 0
    assert "ordinal" in result.stderr
    assert result.stdout.splitlines() == ["2", "3"]
