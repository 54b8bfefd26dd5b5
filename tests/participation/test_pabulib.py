"""Reading and writing Pabulib files; malformed files name their line and their problem."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from servicielle.participation.tally import PabulibError, dumps, parse, read, write
from servicielle.participation.tally.pabulib import format_number, parse_number
from tests.participation.conftest import pb_params, require_pabulib

GOOD = """META
key;value
description;Test
num_projects;3
num_votes;4
budget;1000
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name;selected
1;600;Un parc;1
2;"300,5";"Bancs; et fontaine";0
3;400;Pistes;1
VOTES
voter_id;vote;age
a;1,2;34
b;2,3;
c;;51
d;3;19
"""


def test_reads_a_small_file() -> None:
    instance = parse(GOOD)
    assert instance.budget == 1000
    assert instance.vote_type == "approval"
    assert list(instance.projects) == ["1", "2", "3"]
    assert instance.projects["2"].cost == Fraction(6010, 20)
    assert instance.projects["2"].name == "Bancs; et fontaine"
    assert [b.projects for b in instance.ballots] == [("1", "2"), ("2", "3"), (), ("3",)]
    assert instance.ballots[0].fields == {"age": "34"}
    assert instance.ballots[3].line == 19
    assert instance.voters == 4
    assert instance.official_selection() == ["1", "3"]


def test_round_trip_keeps_everything() -> None:
    instance = parse(GOOD)
    again = parse(dumps(instance))
    assert again.meta == instance.meta
    assert again.projects.keys() == instance.projects.keys()
    for pid, project in instance.projects.items():
        assert again.projects[pid].cost == project.cost
        assert again.projects[pid].fields == project.fields
    assert [(b.voter_id, b.projects, b.fields) for b in again.ballots] == [
        (b.voter_id, b.projects, b.fields) for b in instance.ballots
    ]


def test_cumulative_points_are_read_and_written(tmp_path: Path) -> None:
    text = GOOD.replace("vote_type;approval", "vote_type;cumulative").replace(
        "voter_id;vote;age\na;1,2;34\nb;2,3;\nc;;51\nd;3;19",
        "voter_id;vote;points\na;1,2;2,1\nb;2,3;1.5,1\nc;;\nd;3;3",
    )
    instance = parse(text)
    assert instance.ballots[1].points == (Fraction(3, 2), Fraction(1))
    path = tmp_path / "out.pb"
    write(instance, path)
    assert read(path).ballots == instance.ballots


@pytest.mark.parametrize("path", pb_params())
def test_every_pabulib_file_reads_and_round_trips(path: Path | None) -> None:
    require_pabulib()
    assert path is not None
    instance = read(path)
    assert len(instance.projects) == int(instance.meta["num_projects"])
    assert instance.voters == int(instance.meta["num_votes"])
    again = parse(dumps(instance))
    assert again.projects == instance.projects
    assert again.ballots == instance.ballots
    assert again.budget == instance.budget


def test_numbers() -> None:
    assert parse_number("1 000") is None
    assert parse_number("1e3") is None
    assert parse_number("12,50") == Fraction(25, 2)
    assert format_number(Fraction(25, 2)) == "12.5"
    assert format_number(Fraction(-1, 8)) == "-0.125"
    assert format_number(Fraction(7)) == "7"
    with pytest.raises(ValueError, match="decimal"):
        format_number(Fraction(1, 3))


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


MALFORMED = [
    # (text, line, words the message must contain)
    (broken("budget;1000", "budget;mille"), 6, ["mille"]),
    (broken("budget;1000\n", ""), 1, ["budget"]),
    (broken("vote_type;approval", "vote_type;ranked"), 7, ["ranked"]),
    (broken('2;"300,5"', "2;-3"), 12, ["-3"]),
    (broken("3;400;Pistes;1", "1;400;Pistes;1"), 13, ["'1'", "11"]),
    (broken("3;400;Pistes;1", "3;400;Pistes"), 13, ["3", "4"]),
    (broken("b;2,3;", "b;2,9;"), 17, ["'b'", "'9'"]),
    (broken("d;3;19", "a;3;19"), 19, ["'a'", "16"]),
    (broken("d;3;19", "d;3,3;19"), 19, ["'3'"]),
    (broken("num_votes;4", "num_votes;5"), 5, ["num_votes", "5", "4"]),
    (broken("VOTES\n", "VOTES\nVOTES\n"), 15, ["VOTES", "14"]),
    (broken("PROJECTS\nproject_id;cost", "PROJECTS\nproject_id;prix"), 10, ["cost"]),
    ("key;value\nbudget;1\n", 1, ["META"]),
    (GOOD.split("VOTES")[0], 13, ["VOTES"]),
    (broken("1;600;Un parc;1", '1;"600;Un parc;1'), 11, []),
]


@pytest.mark.parametrize(("text", "line", "words"), MALFORMED)
def test_malformed_files_name_the_line_and_the_problem(
    text: str, line: int, words: list[str]
) -> None:
    with pytest.raises(PabulibError) as caught:
        parse(text)
    assert caught.value.line == line, str(caught.value)
    assert str(line) in str(caught.value)
    for word in words:
        assert word in caught.value.problem, caught.value.problem


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.pb"
    path.write_bytes(GOOD.replace("Un parc", "Un parc à jeux").encode("latin-1"))
    with pytest.raises(PabulibError) as caught:
        read(path)
    assert caught.value.line == 11


def test_the_product_never_imports_pabutools() -> None:
    """pabutools is GPL and test-only: the tally runs without it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from servicielle.participation.tally import parse, tally\n"
        "from servicielle.participation.tally.explain import explain_equal_shares\n"
        f"instance = parse({GOOD!r})\n"
        "for rule in ('greedy', 'mes', 'mes-add1'):\n"
        "    tally(instance, rule, complete='greedy', threshold='swiecie')\n"
        "explain_equal_shares(instance, 'mes-add1')\n"
        "assert not any(name.startswith('pabutools') for name in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
