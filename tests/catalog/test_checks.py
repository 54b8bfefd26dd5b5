"""The Validata custom checks of SCDL schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicielle.catalog.ingest import ValidationError, infer_fields, read_file, validate
from servicielle.catalog.ingest.checks import actes_reason, build_checks
from servicielle.catalog.schemas import get_schema, load_descriptor
from servicielle.core.i18n import DEFAULT_LOCALE, set_locale


@pytest.fixture(autouse=True)
def _french() -> Iterator[None]:
    set_locale("fr")
    yield
    set_locale(DEFAULT_LOCALE)


def run(checks: list[dict[str, Any]], header: list[str], *rows: list[str]) -> list[ValidationError]:
    """Errors of ``checks`` over ``rows`` (numbered from 2, as in a file)."""
    found, warnings = build_checks({"custom_checks": checks}, header)
    assert warnings == []
    return [
        error
        for number, cells in enumerate(rows, start=2)
        for check in found
        for error in check(number, list(cells))
    ]


def test_siret() -> None:
    checks = [{"name": "french-siret-value", "params": {"column": "COLL_SIRET"}}]
    errors = run(
        checks,
        ["COLL_NOM", "COLL_SIRET"],
        ["Ville de Rochefort", "21170299800017"],
        ["Ville de Rochefort", "21170299900016"],
        ["Ville de Rochefort", ""],
        ["Ville de Rochefort", "123"],
    )
    assert [(e.row, e.field, e.value, e.code) for e in errors] == [
        (3, "COLL_SIRET", "21170299900016", "french-siret-value"),
        (5, "COLL_SIRET", "123", "french-siret-value"),
    ]
    assert errors[1].message == (
        "Ligne 5, colonne COLL_SIRET : « 123 » n'est pas un numéro SIRET valide "
        "(14 chiffres, clé de Luhn)."
    )


def test_siren() -> None:
    checks = [{"name": "french-siren-value", "params": {"column": "source"}}]
    errors = run(checks, ["source"], ["211702998"], ["211702999"])
    assert [(e.row, e.code) for e in errors] == [(3, "french-siren-value")]


def test_checks_on_absent_columns_are_skipped() -> None:
    checks = [
        {"name": "french-siret-value", "params": {"column": "COLL_SIRET"}},
        {"name": "compare-columns-value", "params": {"column": "A", "op": ">", "column2": "B"}},
        {"name": "sum-columns-value", "params": {"column": "A", "columns": ["B", "C"]}},
    ]
    assert run(checks, ["A"], ["1"]) == []


@pytest.mark.parametrize(
    ("op", "first", "second", "fails"),
    [
        (">=", "40", "35", False),
        (">=", "30", "31", True),
        (">", "5", "5", True),
        ("<", "2,5", "3", False),
        ("<=", "2024-04-02", "2024-03-28", True),
        (">=", "02/04/2024", "2024-03-28", False),
        ("==", "7", "7.0", False),
        ("!=", "7", "7", True),
        (">=", "", "3", False),
        (">=", "abc", "3", False),
    ],
)
def test_compare_columns(op: str, first: str, second: str, fails: bool) -> None:
    checks = [
        {"name": "compare-columns-value", "params": {"column": "A", "op": op, "column2": "B"}}
    ]
    errors = run(checks, ["A", "B"], [first, second])
    assert bool(errors) is fails
    if errors:
        assert errors[0].params == {"op": op, "column2": "B", "value2": second}


def test_compare_dates_message() -> None:
    params = {"column": "PREF_DATE", "op": ">=", "column2": "DELIB_DATE"}
    checks = [{"name": "compare-columns-value", "params": params}]
    (error,) = run(checks, ["DELIB_DATE", "PREF_DATE"], ["2024-03-28", "2024-03-20"])
    assert error.message == (
        "Ligne 2, colonne PREF_DATE : la valeur « 2024-03-20 » devrait être supérieure ou "
        "égale à la valeur de la colonne DELIB_DATE (« 2024-03-28 »)."
    )


def test_sum_columns() -> None:
    params = {"column": "VOTE_REEL", "columns": ["VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION"]}
    checks = [{"name": "sum-columns-value", "params": params}]
    header = ["VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION"]
    errors = run(checks, header, ["33", "28", "3", "2"], ["30", "25", "3", "1"], ["30", "", "", ""])
    assert [(e.row, e.value, e.params["total"]) for e in errors] == [(3, "30", "29")]


def test_one_of_required_uses_the_subventions_parameter_names() -> None:
    declared = load_descriptor(get_schema("scdl/subventions"))["custom_checks"]
    (one_of,) = [check for check in declared if check["name"] == "one-of-required"]
    assert one_of["params"] == {"column1": "idBeneficiaire", "column2": "rnaBeneficiaire"}
    header = ["idBeneficiaire", "rnaBeneficiaire"]
    errors = run([one_of], header, ["78181706900011", ""], ["", "W173000123"], [" ", ""])
    assert [(e.row, e.code) for e in errors] == [(4, "one-of-required")]
    # When one column is absent, the other one must be filled in.
    assert [e.row for e in run([one_of], ["rnaBeneficiaire"], ["W173000123"], [""])] == [3]


@pytest.mark.parametrize(
    ("value", "year_only", "reason"),
    [
        ("2023/2024", False, None),
        ("2023/2026", False, None),
        ("2024", True, None),
        ("2024", False, "interval-expected"),
        ("24/25", True, "year-expected"),
        ("2024/2024", True, "same-years"),
        ("2025/2024", True, "years-reversed"),
    ],
)
def test_year_interval(value: str, year_only: bool, reason: str | None) -> None:
    params = {"column": "BUDGET_ANNEE", "allow-year-only": "yes" if year_only else "no"}
    errors = run([{"name": "year-interval-value", "params": params}], ["BUDGET_ANNEE"], [value])
    assert [e.params["reason"] for e in errors] == ([reason] if reason else [])


def test_year_interval_message() -> None:
    params = {"column": "BUDGET_ANNEE", "allow-year-only": "yes"}
    (error,) = run(
        [{"name": "year-interval-value", "params": params}], ["BUDGET_ANNEE"], ["2025/2024"]
    )
    assert error.message == (
        "Ligne 2, colonne BUDGET_ANNEE : « 2025/2024 » n'est pas une année ou un intervalle "
        "d'années valide : la deuxième année doit être postérieure à la première."
    )


def test_cohesive_columns() -> None:
    params = {"column": "VOTE_EFFECTIF", "othercolumns": ["VOTE_REEL", "VOTE_POUR", "ABSENTE"]}
    checks = [{"name": "cohesive-columns-value", "params": params}]
    header = ["VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR"]
    errors = run(checks, header, ["35", "33", "28"], ["", "", ""], ["35", "", "28"], ["", "3", ""])
    assert [e.row for e in errors] == [4, 5]
    assert errors[0].message == (
        "Ligne 4 : les colonnes VOTE_EFFECTIF, VOTE_REEL, VOTE_POUR doivent être toutes "
        "renseignées ou toutes vides."
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Finances locales/Décisions budgétaires", None),
        ("finances locales/decisions budgetaires", None),
        ("DOMAINES DE COMPÉTENCES PAR THÈMES/Culture", None),
        ("Libertés publiques et pouvoirs de police/Police municipale", None),
        ("Finances locales", "slash-missing"),
        ("Finances locales / Fiscalité", "slash-spaces"),
        ("Finances locales /Fiscalité", "slash-spaces"),
        ("Voirie/Entretien", "unknown-prefix"),
    ],
)
def test_nomenclature_actes(value: str, reason: str | None) -> None:
    assert actes_reason(value) == reason


def test_nomenclature_actes_message() -> None:
    checks = [{"name": "nomenclature-actes-value", "params": {"column": "DELIB_MATIERE_NOM"}}]
    (error,) = run(checks, ["DELIB_MATIERE_NOM"], ["Voirie/Entretien"])
    assert error.message == (
        "Ligne 2, colonne DELIB_MATIERE_NOM : « Voirie/Entretien » ne respecte pas la "
        "nomenclature ACTES : le préfixe n'est pas une matière de premier niveau de la "
        "nomenclature ACTES."
    )


def test_unknown_checks_are_a_warning_once(tmp_path: Path) -> None:
    schema = load_descriptor(get_schema("etalab/schema-lieux-covoiturage"))
    schema["custom_checks"].append({"name": "opening-hours-value", "params": {"column": "x"}})
    header = [field["name"] for field in schema["fields"]]
    path = tmp_path / "covoiturage.csv"
    path.write_text(",".join(header) + "\n", encoding="utf-8")
    parsed = read_file(path, filename=path.name)
    report = validate(parsed, infer_fields(parsed, schema), schema)
    assert report.warnings == [
        "Le contrôle opening-hours-value n'est pas pris en charge : il a été ignoré."
    ]
    assert report.valid
