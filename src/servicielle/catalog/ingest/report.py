"""Validation reports, stored as JSON and worded in the reader's language when shown."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from servicielle.core.i18n import get_locale, ngettext
from servicielle.core.i18n import gettext as _

MAX_VALUE_CHARS = 200


def _expected(params: dict[str, Any]) -> str:
    """What a cell of this type should look like, e.g. "a date in the format YYYY-MM-DD"."""
    kind, fmt = params.get("type"), params.get("format") or "default"
    if kind in ("integer", "int"):
        return _("an integer")
    if kind in ("number", "double"):
        if params.get("decimal_char") == ",":
            return _("a number with a decimal comma (e.g. 1234,56)")
        return _("a number (e.g. 1234.56)")
    if kind == "boolean":
        values = params.get("values") or "true / false, oui / non, vrai / faux"
        return _("a yes/no value (%(values)s)") % {"values": values}
    if kind == "date":
        if fmt in ("default", "%Y-%m-%d"):
            return _("a date in the format YYYY-MM-DD")
        if fmt == "any":
            return _("a date in the format YYYY-MM-DD or DD/MM/YYYY")
        return _("a date in the format %(format)s") % {"format": fmt}
    if kind == "datetime":
        return _("a date and time in the format YYYY-MM-DDThh:mm:ss")
    if kind == "year":
        return _("a year (YYYY)")
    if kind in ("geopoint", "geo_point_2d"):
        return _("a point “longitude, latitude”")
    if kind in ("geojson", "geo_shape"):
        return _("a GeoJSON geometry")
    if fmt == "uri":
        return _("a web address starting with http:// or https://")
    if fmt == "email":
        return _("an e-mail address")
    return _("a value of type %(type)s") % {"type": kind}


def _constraint(params: dict[str, Any], at: dict[str, Any]) -> str:
    name, limit = params.get("constraint"), params.get("limit")
    values = at | {"limit": limit}
    if name == "required":
        return _("Row %(row)s, column %(field)s: a value is required.") % values
    if name == "pattern":
        if params.get("example"):
            return _(
                "Row %(row)s, column %(field)s: “%(value)s” does not have the expected "
                "format (for example “%(example)s”)."
            ) % (values | {"example": params["example"]})
        return (
            _("Row %(row)s, column %(field)s: “%(value)s” does not match the pattern %(limit)s.")
            % values
        )
    if name == "enum":
        return (
            _(
                "Row %(row)s, column %(field)s: “%(value)s” is not one of the allowed "
                "values: %(limit)s."
            )
            % values
        )
    if name in ("minimum", "exclusiveMinimum"):
        return (
            _("Row %(row)s, column %(field)s: “%(value)s” is below the minimum %(limit)s.") % values
        )
    if name in ("maximum", "exclusiveMaximum"):
        return (
            _("Row %(row)s, column %(field)s: “%(value)s” is above the maximum %(limit)s.") % values
        )
    if name == "minLength":
        return (
            _("Row %(row)s, column %(field)s: “%(value)s” is shorter than %(limit)s characters.")
            % values
        )
    if name == "maxLength":
        return (
            _("Row %(row)s, column %(field)s: the value is longer than %(limit)s characters.")
            % values
        )
    if name == "unique":
        return (
            _("Row %(row)s, column %(field)s: “%(value)s” is already used on another row.") % values
        )
    return _("Row %(row)s, column %(field)s: “%(value)s” breaks the rule %(rule)s.") % (
        values | {"rule": name}
    )


def _operator(op: str) -> str:
    labels = {
        ">": _("greater than"),
        ">=": _("greater than or equal to"),
        "<": _("less than"),
        "<=": _("less than or equal to"),
        "==": _("equal to"),
        "!=": _("different from"),
    }
    return labels.get(op, op)


def _reason(reason: str | None) -> str:
    reasons = {
        "year-expected": _("a year (YYYY) or an interval of years (YYYY/YYYY) is expected"),
        "interval-expected": _("an interval of years (YYYY/YYYY) is expected"),
        "same-years": _("the two years must differ"),
        "years-reversed": _("the second year must come after the first"),
        "slash-missing": _("the slash “/” is missing"),
        "slash-spaces": _("the slash must not be preceded or followed by a space"),
        "unknown-prefix": _("the prefix is not a top-level ACTES subject"),
    }
    return reasons.get(reason or "", reason or "")


def _message(error: ValidationError) -> str:
    params = error.params
    at = {"row": error.row, "field": error.field, "value": error.value or ""}
    code = error.code
    if code == "ragged-row":
        return _("Row %(row)s has %(cells)s cells, the header has %(expected)s.") % (at | params)
    if code == "type-error":
        return _("Row %(row)s, column %(field)s: “%(value)s” is not %(expected)s.") % (
            at | {"expected": _expected(params)}
        )
    if code in ("constraint-error", "unique-error"):
        return _constraint(params, at)
    if code == "primary-key":
        return _("Row %(row)s: the key %(columns)s is empty or already used on another row.") % (
            at | params
        )
    if code == "missing-column":
        return _("The column %(field)s is missing.") % at
    if code == "extra-column":
        return _("The column %(field)s is not in the schema.") % at
    if code == "missing-source":
        return _("No column of the file provides the field %(field)s.") % at
    if code in ("french-siret-value", "french-siren-value"):
        if code == "french-siren-value":
            return (
                _(
                    "Row %(row)s, column %(field)s: “%(value)s” is not a valid SIREN number "
                    "(9 digits, Luhn key)."
                )
                % at
            )
        return (
            _(
                "Row %(row)s, column %(field)s: “%(value)s” is not a valid SIRET number "
                "(14 digits, Luhn key)."
            )
            % at
        )
    if code == "compare-columns-value":
        return _(
            "Row %(row)s, column %(field)s: the value “%(value)s” should be %(op)s the value "
            "of column %(column2)s (“%(value2)s”)."
        ) % (at | params | {"op": _operator(str(params.get("op")))})
    if code == "sum-columns-value":
        return _(
            "Row %(row)s, column %(field)s: “%(value)s” should equal the sum of columns "
            "%(columns)s (%(total)s)."
        ) % (at | params)
    if code == "one-of-required":
        return _("Row %(row)s: column %(column1)s or column %(column2)s must be filled in.") % (
            at | params
        )
    if code == "cohesive-columns-value":
        return _("Row %(row)s: columns %(columns)s must all be filled in or all be empty.") % (
            at | params
        )
    if code == "year-interval-value":
        return _(
            "Row %(row)s, column %(field)s: “%(value)s” is not a valid year or interval of "
            "years: %(reason)s."
        ) % (at | {"reason": _reason(params.get("reason"))})
    if code == "nomenclature-actes-value":
        return _(
            "Row %(row)s, column %(field)s: “%(value)s” does not follow the ACTES "
            "nomenclature: %(reason)s."
        ) % (at | {"reason": _reason(params.get("reason"))})
    note = str(params.get("note") or code)
    if error.row is None:
        return _("Column %(field)s: %(note)s") % (at | {"note": note})
    return _("Row %(row)s, column %(field)s: %(note)s") % (at | {"note": note})


@dataclass
class ValidationError:
    """One problem in a file.

    ``row`` is the row number a spreadsheet shows (header = row 1, first data row = 2),
    ``None`` for problems of the header; ``field`` the column header as in the file.
    """

    row: int | None
    field: str | None
    value: str | None
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.value is not None and len(self.value) > MAX_VALUE_CHARS:
            self.value = self.value[: MAX_VALUE_CHARS - 1] + "…"

    @property
    def message(self) -> str:
        """The problem in words, in the current locale."""
        return _message(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "code": self.code,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationError:
        """Inverse of :meth:`to_dict`."""
        return cls(
            row=data.get("row"),
            field=data.get("field"),
            value=data.get("value"),
            code=data["code"],
            params=dict(data.get("params") or {}),
        )


def _count(number: int) -> str:
    return format_decimal(number, locale=get_locale())


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`: ``errors`` is capped, ``error_count`` is not."""

    valid: bool
    row_count: int
    error_count: int
    errors: list[ValidationError] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    schema_name: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form, stored with the resource."""
        return {
            "valid": self.valid,
            "row_count": self.row_count,
            "error_count": self.error_count,
            "errors": [error.to_dict() for error in self.errors],
            "warnings": list(self.warnings),
            "schema_name": self.schema_name,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "format": self.format,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """Inverse of :meth:`to_dict`."""
        return cls(
            valid=bool(data["valid"]),
            row_count=int(data["row_count"]),
            error_count=int(data["error_count"]),
            errors=[ValidationError.from_dict(e) for e in data.get("errors") or []],
            warnings=list(data.get("warnings") or []),
            schema_name=data.get("schema_name"),
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
            format=data.get("format"),
        )

    def summary(self) -> str:
        """One line, e.g. "12 erreurs sur 340 lignes"."""
        rows = ngettext("%(num)s row", "%(num)s rows", self.row_count) % {
            "num": _count(self.row_count)
        }
        if not self.error_count:
            return _("No errors in %(rows)s") % {"rows": rows}
        errors = ngettext("%(num)s error", "%(num)s errors", self.error_count) % {
            "num": _count(self.error_count)
        }
        return _("%(errors)s in %(rows)s") % {"errors": errors, "rows": rows}
