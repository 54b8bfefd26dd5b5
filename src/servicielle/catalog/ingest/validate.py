"""Validating a parsed file: its structure, its fields, and a Table Schema if it has one."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from frictionless import FrictionlessException, Resource, Schema

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.ingest.checks import RowCheck, build_checks
from servicielle.catalog.ingest.convert import Source, plan, read_source
from servicielle.catalog.ingest.errors import IngestError
from servicielle.catalog.ingest.readers import ParsedFile, Row
from servicielle.catalog.ingest.report import ValidationError, ValidationReport
from servicielle.catalog.ingest.values import COMMA_NUMBER_RE, DOT_NUMBER_RE
from servicielle.core.i18n import gettext as _

_TYPE_NOTE = re.compile(r'type is "([^/"]+)/([^"]*)"')
_CONSTRAINT_NOTE = re.compile(r'constraint "([^"]+)" is "(.*)"', re.DOTALL)
_GROUP_CHARS = " \u00a0\u202f"
# Cell errors frictionless would repeat: our ragged-row says it once per row.
_IGNORED = frozenset({"blank-row", "missing-cell", "extra-cell"})


class _Errors:
    """The first ``cap`` errors, and how many there were in all."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept: list[ValidationError] = []
        self.count = 0

    def add(self, error: ValidationError) -> None:
        self.count += 1
        if len(self.kept) < self.cap:
            self.kept.append(error)


def _ragged(number: int, cells: Row, width: int) -> ValidationError | None:
    count = len(cells)
    if count > width and not any(cell and cell.strip() for cell in cells[width:]):
        return None  # trailing delimiters: empty extra cells are harmless
    if count == width:
        return None
    return ValidationError(number, None, None, "ragged-row", {"cells": count, "expected": width})


def _check_cells(
    parsed: ParsedFile, number: int, cells: Row, sources: list[Source]
) -> Iterator[ValidationError]:
    failed: set[int] = set()
    for source in sources:
        try:
            read_source(source, cells)
        except ValueError:
            if source.index in failed:
                continue  # a GeoJSON geometry feeds two fields: say it once
            failed.add(source.index)
            value = cells[source.index] if source.index < len(cells) else None
            params = {"type": source.field.type.value, "format": "any"}
            yield ValidationError(number, parsed.headers[source.index], value, "type-error", params)


class _DecimalMarks:
    """How the cells of one number column write their decimals and thousands."""

    def __init__(self) -> None:
        self.comma = self.dot = 0
        self.groups: set[str] = set()

    def see(self, value: str | None) -> None:
        text = (value or "").strip()
        if COMMA_NUMBER_RE.fullmatch(text):
            self.comma += "," in text
        elif DOT_NUMBER_RE.fullmatch(text):
            self.dot += "." in text
        else:
            return
        self.groups.update(char for char in _GROUP_CHARS if char in text)

    def apply(self, spec: dict[str, Any]) -> None:
        if self.comma and not self.dot and "decimalChar" not in spec:
            spec["decimalChar"] = ","
        if len(self.groups) == 1 and "groupChar" not in spec:
            spec["groupChar"] = self.groups.pop()


def validate(
    parsed: ParsedFile,
    fields: list[Field],
    schema: dict[str, Any] | None = None,
    *,
    max_errors: int = 1000,
    schema_name: str | None = None,
) -> ValidationReport:
    """Check the structure and every cell; with a Table Schema, its rules and custom checks.

    Row numbers are those a spreadsheet shows (header = row 1, first data row = 2).
    """
    found = _Errors(max_errors)
    warnings: list[str] = []
    width = len(parsed.headers)
    missing: list[Field] = []
    sources = plan(parsed, fields, check_geometry=True, missing=missing)
    sources = [s for s in sources if s.field.type is not FieldType.TEXT or s.lon_index is not None]
    for field in missing:
        found.add(ValidationError(None, field.name, None, "missing-source"))
    descriptor = copy.deepcopy(schema) if schema else None
    checks: list[RowCheck] = []
    marks: dict[int, tuple[_DecimalMarks, dict[str, Any]]] = {}
    if descriptor is not None:
        _schema({k: v for k, v in descriptor.items() if k != "custom_checks"})  # fail early
        checks, warnings = build_checks(descriptor, parsed.headers)
        numbers = {
            spec["name"]: spec
            for spec in descriptor.get("fields") or []
            if isinstance(spec, dict) and spec.get("type") == "number"
        }
        marks = {
            index: (_DecimalMarks(), numbers[header])
            for index, header in enumerate(parsed.headers)
            if header in numbers
        }
    # One pass of our own checks; by-products: the row count and decimal marks.
    typing_errors: dict[tuple[int, str | None], ValidationError] = {}
    for number, cells in parsed.numbered_rows():
        if (ragged := _ragged(number, cells, width)) is not None:
            found.add(ragged)
        for error in _check_cells(parsed, number, cells, sources):
            if descriptor is None:
                found.add(error)
            elif len(typing_errors) < max_errors:
                typing_errors[(number, error.field)] = error
        for check in checks:
            for error in check(number, cells):
                found.add(error)
        for index, (seen, _spec) in marks.items():
            seen.see(cells[index] if index < len(cells) else None)
    row_count = parsed.row_count or 0
    if descriptor is not None:
        for seen, spec in marks.values():
            seen.apply(spec)
        table = _Errors(max_errors)
        for error in _frictionless_errors(parsed, descriptor):
            typing_errors.pop((error.row or 0, error.field), None)
            table.add(error)
        # Cells frictionless accepts but the loader could not convert still count.
        for error in typing_errors.values():
            table.add(error)
        found.count += table.count
        # Schema errors first, then ours, within a row and column (the sort is stable).
        found.kept = table.kept + found.kept
        schema_name = schema_name or str(descriptor.get("name") or descriptor.get("title") or "")
    position = {header: index for index, header in enumerate(parsed.headers)}
    position[""] = -1  # a whole-row problem comes before its cells'
    errors = sorted(found.kept, key=lambda e: (e.row or 0, position.get(e.field or "", width)))
    return ValidationReport(
        valid=found.count == 0,
        row_count=row_count,
        error_count=found.count,
        errors=errors[:max_errors],
        warnings=warnings,
        schema_name=schema_name or None,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        format=parsed.format,
    )


def _schema(descriptor: dict[str, Any]) -> Any:
    try:
        return Schema.from_descriptor(descriptor)
    except FrictionlessException as exc:
        raise IngestError(_("The schema is invalid: %(reason)s") % {"reason": exc}) from exc


def _frictionless_errors(
    parsed: ParsedFile, descriptor: dict[str, Any]
) -> Iterator[ValidationError]:
    """Type, constraint and header errors from frictionless, streamed row by row."""
    descriptor.pop("custom_checks", None)
    # Match columns by name, report missing and extra ones (not by position).
    descriptor.setdefault("fieldsMatch", "equal")
    specs: dict[str, dict[str, Any]] = {
        str(s.get("name")): s for s in descriptor.get("fields") or [] if isinstance(s, dict)
    }
    schema = _schema(descriptor)
    key = descriptor.get("primaryKey") or []
    primary_key = [str(name) for name in ([key] if isinstance(key, str) else key)]
    width = len(parsed.headers)
    offset = parsed.header_row - 1

    def data() -> Iterator[list[str | None]]:
        yield list(parsed.headers)
        expected = parsed.header_row + 1
        for number, cells in parsed.numbered_rows():
            # Blank rows keep frictionless's row numbers equal to ours.
            yield from ([] for _ in range(number - expected))
            expected = number + 1
            yield (cells + [None] * (width - len(cells)))[:width]

    try:
        with Resource(data=data, schema=schema) as resource:
            for error in resource.header.errors:
                if (converted := _convert(error, specs, offset, primary_key)) is not None:
                    yield converted
            for row in resource.row_stream:
                for error in row.errors:
                    if (converted := _convert(error, specs, offset, primary_key)) is not None:
                        yield converted
    except FrictionlessException as exc:
        raise IngestError(_("The file cannot be validated: %(reason)s") % {"reason": exc}) from exc


def _convert(
    error: Any, specs: dict[str, Any], offset: int, primary_key: list[str]
) -> ValidationError | None:
    kind = error.type
    if kind in _IGNORED:
        return None
    if kind == "missing-label":
        return ValidationError(None, error.field_name, None, "missing-column")
    if kind == "extra-label":
        return ValidationError(None, error.label, None, "extra-column")
    row = getattr(error, "row_number", None)
    row = row + offset if row else None
    field = getattr(error, "field_name", None) or None
    cell = getattr(error, "cell", None)
    value = None if cell is None else str(cell)
    spec = specs.get(field or "") or {}
    note = str(getattr(error, "note", "") or "")
    if kind == "type-error":
        params: dict[str, Any] = {"type": spec.get("type"), "format": spec.get("format")}
        if match := _TYPE_NOTE.search(note):
            params = {"type": match[1], "format": match[2]}
        if spec.get("decimalChar"):
            params["decimal_char"] = spec["decimalChar"]
        if spec.get("type") == "boolean" and spec.get("trueValues"):
            values = [*spec.get("trueValues", []), *spec.get("falseValues", [])]
            params["values"] = " / ".join(str(v) for v in values)
        return ValidationError(row, field, value, kind, params)
    if kind == "constraint-error":
        match = _CONSTRAINT_NOTE.search(note)
        params = {"constraint": match[1], "limit": match[2]} if match else {"note": note}
        if match and match[1] == "pattern" and spec.get("example"):
            params["example"] = str(spec["example"])
        if match and match[1] == "enum":
            params["limit"] = ", ".join(str(v) for v in spec.get("constraints", {}).get("enum", []))
        return ValidationError(row, field, value, kind, params)
    if kind == "unique-error":
        return ValidationError(row, field, value, kind, {"constraint": "unique"})
    if kind == "primary-key":
        return ValidationError(row, None, None, kind, {"columns": ", ".join(primary_key)})
    return ValidationError(row, field, value, kind, {"note": error.message})
