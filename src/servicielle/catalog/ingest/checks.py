"""The Validata custom checks SCDL schemas declare under ``custom_checks``.

frictionless ignores that key; these follow Validata's rules
(https://gitlab.com/validata-table/validata-table): a check is skipped when its columns
are absent from the file and on empty cells, which the schema's ``required`` governs.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from stdnum.fr import siren, siret

from servicielle.catalog.ingest.readers import Row
from servicielle.catalog.ingest.report import ValidationError
from servicielle.catalog.ingest.values import to_date, to_float
from servicielle.core.i18n import gettext as _

RowCheck = Callable[[int, Row], Iterator[ValidationError]]
Factory = Callable[[dict[str, Any], dict[str, int]], RowCheck | None]

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_YEAR = re.compile(r"\d{4}")
_INTERVAL = re.compile(r"(\d{4})/(\d{4})")


def _norm(text: str) -> str:
    """Lower case without accents: Validata accepts "finances locales" and "Urbanisme"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


# First level of the ACTES nomenclature, as Validata lists it.
ACTES_SUBJECTS = frozenset(
    _norm(label)
    for label in (
        "Commande publique",
        "Urbanisme",
        "Domaine et patrimoine",
        "Fonction publique",
        "Institutions et vie politique",
        "Libertés publiques et pouvoirs de police",
        "Finances locales",
        "Domaines de compétences par thèmes",
        "Autres domaines de compétences",
    )
)


def _cell(cells: Row, index: int) -> str:
    value = cells[index] if index < len(cells) else None
    return (value or "").strip()


def _comparable(value: str) -> Any:
    try:
        return to_float(value)
    except ValueError:
        pass
    try:
        return to_date(value)
    except ValueError:
        return None


def _number_text(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _identifier_check(params: dict[str, Any], at: dict[str, int], code: str) -> RowCheck | None:
    column = params.get("column")
    if column not in at:
        return None
    index = at[column]
    is_valid = siret.is_valid if code == "french-siret-value" else siren.is_valid

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        value = _cell(cells, index)
        if value and not is_valid(value):
            yield ValidationError(number, column, value, code)

    return check


def siret_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """A SIRET number with a valid Luhn key (``stdnum.fr.siret``)."""
    return _identifier_check(params, at, "french-siret-value")


def siren_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """A SIREN number with a valid Luhn key (``stdnum.fr.siren``)."""
    return _identifier_check(params, at, "french-siren-value")


def compare_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """``column op column2``, comparing numbers or dates; skipped when a cell is empty."""
    column, column2, op = params.get("column"), params.get("column2"), params.get("op")
    if column not in at or column2 not in at or op not in OPERATORS:
        return None
    first, second, compare = at[column], at[column2], OPERATORS[op]

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        value, value2 = _cell(cells, first), _cell(cells, second)
        left, right = _comparable(value), _comparable(value2)
        if left is None or right is None or type(left) is not type(right):
            return  # empty, or a type error frictionless reports
        if not compare(left, right):
            yield ValidationError(
                number,
                column,
                value,
                "compare-columns-value",
                {"op": op, "column2": column2, "value2": value2},
            )

    return check


def sum_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """``column`` equals the sum of ``columns``; skipped when a cell is empty."""
    column, columns = params.get("column"), params.get("columns")
    if column not in at or not isinstance(columns, list) or not all(c in at for c in columns):
        return None
    total_index, parts = at[column], [at[c] for c in columns]

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        value = _cell(cells, total_index)
        numbers = [_comparable(_cell(cells, index)) for index in [total_index, *parts]]
        if not all(isinstance(n, float) for n in numbers):
            return
        total = sum(numbers[1:])
        if abs(numbers[0] - total) > 1e-9 * max(1.0, abs(total)):
            yield ValidationError(
                number,
                column,
                value,
                "sum-columns-value",
                {"columns": ", ".join(columns), "total": _number_text(total)},
            )

    return check


def one_of_required_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """At least one of two columns is filled; an absent column counts as empty."""
    column1 = params.get("column1", params.get("column"))
    column2 = params.get("column2")
    present = [at[c] for c in (column1, column2) if c in at]
    if not present:
        return None  # both are reported as missing columns

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        if not any(_cell(cells, index) for index in present):
            yield ValidationError(
                number, None, None, "one-of-required", {"column1": column1, "column2": column2}
            )

    return check


def year_interval_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """``YYYY/YYYY`` with increasing years, or ``YYYY`` alone when ``allow-year-only``."""
    column = params.get("column")
    if column not in at:
        return None
    index = at[column]
    year_only = str(params.get("allow-year-only", "")).lower() in ("yes", "true")

    def reason(value: str) -> str | None:
        if match := _INTERVAL.fullmatch(value):
            first, second = int(match[1]), int(match[2])
            if first == second:
                return "same-years"
            return "years-reversed" if first > second else None
        if year_only:
            return None if _YEAR.fullmatch(value) else "year-expected"
        return "interval-expected"

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        value = _cell(cells, index)
        if value and (why := reason(value)):
            yield ValidationError(number, column, value, "year-interval-value", {"reason": why})

    return check


def cohesive_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """``column`` and ``othercolumns`` are all filled in or all empty."""
    column, others = params.get("column"), params.get("othercolumns")
    if column not in at or not isinstance(others, list):
        return None
    names = [column, *(c for c in others if c in at)]
    indexes = [at[c] for c in names]

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        filled = [bool(_cell(cells, index)) for index in indexes]
        if any(filled) and not all(filled):
            yield ValidationError(
                number,
                column,
                _cell(cells, indexes[0]) or None,
                "cohesive-columns-value",
                {"columns": ", ".join(names)},
            )

    return check


def actes_reason(value: str) -> str | None:
    """Why a subject is not "<ACTES top-level subject>/<detail>", ``None`` when it is."""
    if "/" not in value:
        return "slash-missing"
    prefix = value[: value.find("/")]
    if _norm(prefix) in ACTES_SUBJECTS and "/ " not in value:
        return None
    if _norm(prefix.rstrip()) in ACTES_SUBJECTS or "/ " in value:
        return "slash-spaces"
    return "unknown-prefix"


def actes_check(params: dict[str, Any], at: dict[str, int]) -> RowCheck | None:
    """The ACTES nomenclature subject of a deliberation (rules of Validata)."""
    column = params.get("column")
    if column not in at:
        return None
    index = at[column]

    def check(number: int, cells: Row) -> Iterator[ValidationError]:
        value = _cell(cells, index)
        if value and (why := actes_reason(value)):
            yield ValidationError(
                number, column, value, "nomenclature-actes-value", {"reason": why}
            )

    return check


FACTORIES: dict[str, Factory] = {
    "french-siret-value": siret_check,
    "french-siren-value": siren_check,
    "compare-columns-value": compare_check,
    "sum-columns-value": sum_check,
    "one-of-required": one_of_required_check,
    "year-interval-value": year_interval_check,
    "cohesive-columns-value": cohesive_check,
    "nomenclature-actes-value": actes_check,
}


def build_checks(schema: dict[str, Any], headers: list[str]) -> tuple[list[RowCheck], list[str]]:
    """The row checks of ``schema["custom_checks"]`` for this header, and warnings."""
    at = {header: index for index, header in enumerate(headers)}
    checks: list[RowCheck] = []
    unknown: list[str] = []
    declared = schema.get("custom_checks")
    for item in declared if isinstance(declared, list) else []:
        name = item.get("name") if isinstance(item, dict) else None
        params = item.get("params") if isinstance(item, dict) else None
        factory = FACTORIES.get(str(name))
        if factory is None:
            if str(name) not in unknown:
                unknown.append(str(name))
            continue
        check = factory(params if isinstance(params, dict) else {}, at)
        if check is not None:
            checks.append(check)
    warnings = [
        _("The check %(name)s is not supported and was skipped.") % {"name": name}
        for name in unknown
    ]
    return checks, warnings
