"""Reading CSV, XLSX, JSON and GeoJSON files as a header plus rows of text cells.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row
is row 2 (for XLSX, the sheet's own row numbers; for JSON, the n-th object is row n + 1).
Every message and report uses this number.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, BinaryIO, cast

import openpyxl

from servicielle.catalog.ingest.errors import IngestError
from servicielle.catalog.ingest.sniff import (
    check_text,
    detect_encoding,
    detect_format,
    read_sample,
    sniff_delimiter,
)
from servicielle.core.i18n import gettext as _

Row = list[str | None]
NumberedRows = Iterator[tuple[int, Row]]

MAX_ZIP_RATIO = 100
# Tiny members compress oddly well without being a threat; only big ones are checked.
ZIP_RATIO_MIN_SIZE = 1024 * 1024
MAX_CELL_CHARS = 16 * 1024 * 1024
WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"}


class ParsedFile:
    """A readable tabular file: its header, and its rows read again on each call."""

    def __init__(
        self,
        *,
        format: str,
        headers: list[str],
        source: Callable[[], NumberedRows],
        encoding: str | None = None,
        delimiter: str | None = None,
        header_row: int = 1,
    ) -> None:
        self.format = format
        self.encoding = encoding
        self.delimiter = delimiter
        self.headers = headers
        self.header_row = header_row
        self.row_count: int | None = None
        self._source = source

    def numbered_rows(self) -> NumberedRows:
        """``(row number, cells)`` of each non-blank data row; sets :attr:`row_count` at the end."""
        count = 0
        for number, cells in self._source():
            if is_blank(cells):
                continue
            count += 1
            yield number, cells
        self.row_count = count

    def rows(self) -> Iterator[Row]:
        """The raw cells of each non-blank data row, in file order."""
        for _number, cells in self.numbered_rows():
            yield cells

    def __repr__(self) -> str:
        return f"<ParsedFile {self.format} {len(self.headers)} columns>"


def is_blank(cells: Row) -> bool:
    """Whether a row holds nothing but empty or white-space cells."""
    if not any(cells):
        return True
    return not "".join([cell for cell in cells if cell]).strip()


def clean_headers(cells: list[Any], *, trim: bool = True) -> list[str]:
    """Stripped names; blanks named ``column_<n>`` (trailing ones dropped when ``trim``),
    duplicates suffixed ``_2``."""
    names = [str(cell).strip() if cell is not None else "" for cell in cells]
    while trim and names and not names[-1]:
        names.pop()
    headers: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        base = name or f"column_{position}"
        candidate, suffix = base, 1
        while candidate in seen:
            suffix += 1
            candidate = f"{base}_{suffix}"
        seen.add(candidate)
        headers.append(candidate)
    return headers


def read_file(
    path: Path,
    *,
    filename: str,
    declared_format: str | None = None,
    max_columns: int = 500,
    max_xlsx_uncompressed: int = 200 * 1024 * 1024,
) -> ParsedFile:
    """Open an uploaded table; raise :class:`IngestError` when it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(_("The file cannot be opened.")) from exc
    if size == 0:
        raise IngestError(_("The file is empty."))
    file_format = detect_format(path, filename, declared_format)
    if file_format == "csv":
        parsed = _read_csv(path)
    elif file_format == "xlsx":
        parsed = _read_xlsx(path, max_xlsx_uncompressed)
    else:
        parsed = _read_json(path, file_format)
    if not parsed.headers:
        raise IngestError(_("The file has no header row."))
    if len(parsed.headers) > max_columns:
        raise IngestError(
            _("The file has %(count)d columns; the limit is %(limit)d.")
            % {"count": len(parsed.headers), "limit": max_columns}
        )
    return parsed


# CSV


def _read_csv(path: Path) -> ParsedFile:
    codec, encoding = detect_encoding(path)
    sample, complete = read_sample(path, codec)
    check_text(sample)
    delimiter = sniff_delimiter(sample, complete)
    # Geometries and long texts exceed the csv module's 128 KiB default.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))

    def records() -> Generator[list[str], None, None]:
        with path.open(encoding=codec, newline="") as stream:
            reader = csv.reader(stream, delimiter=delimiter, quotechar='"')
            try:
                yield from reader
            except csv.Error as exc:
                raise IngestError(
                    _("The CSV file is malformed near line %(line)d.") % {"line": reader.line_num}
                ) from exc

    def source() -> NumberedRows:
        number = 0
        for record in records():
            if number == 0:
                if any(cell.strip() for cell in record):
                    number = 1  # the header
                continue
            number += 1
            yield number, cast(Row, record)

    with closing(records()) as stream:
        header = next((r for r in stream if any(cell.strip() for cell in r)), [])
    return ParsedFile(
        format="csv",
        headers=clean_headers(header),
        source=source,
        encoding=encoding,
        delimiter=delimiter,
    )


# XLSX


def check_zip(path: Path, max_uncompressed: int) -> None:
    """Refuse what is not an XLSX workbook, and zip bombs, before openpyxl inflates anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(_("This file is not a valid XLSX workbook.")) from exc
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise IngestError(_("This file is not a valid XLSX workbook."))
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise IngestError(
            _(
                "The workbook is too large once uncompressed (%(size)d MB; "
                "the limit is %(limit)d MB)."
            )
            % {"size": total // 1_000_000, "limit": max_uncompressed // 1_000_000}
        )
    for member in members:
        if member.file_size > ZIP_RATIO_MIN_SIZE and member.file_size > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise IngestError(_("This workbook is suspiciously compressed (zip bomb); refused."))


def _open_workbook(handle: BinaryIO) -> Any:
    # A file object, not a path: stored uploads are named by digest, without the ".xlsx"
    # openpyxl insists on when given a path.
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (styles, data validation, extensions);
            # cell values are unaffected, and the uploader cannot act on the warning.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, lxml errors... on bad files
        raise IngestError(_("This file is not a valid XLSX workbook.")) from exc


def _xlsx_cell(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
    with path.open("rb") as handle:
        workbook = _open_workbook(handle)
        try:
            if not workbook.worksheets:
                raise IngestError(_("The workbook has no sheet."))
            sheet = workbook.worksheets[0]
            # Some producers write a wrong <dimension>; trusting it would cut columns off.
            sheet.reset_dimensions()
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        finally:
            workbook.close()


def _read_xlsx(path: Path, max_uncompressed: int) -> ParsedFile:
    check_zip(path, max_uncompressed)
    header_row, header = 0, []
    rows = _xlsx_rows(path)
    try:
        for number, values in rows:
            if any(value is not None and str(value).strip() for value in values):
                header_row, header = number, [_xlsx_cell(value) for value in values]
                break
    finally:
        rows.close()
    headers = clean_headers(header)
    width = len(headers)

    def source() -> NumberedRows:
        for number, values in _xlsx_rows(path):
            if number <= header_row:
                continue
            cells = [_xlsx_cell(value) for value in values]
            while len(cells) > width and cells[-1] is None:
                cells.pop()
            if len(cells) < width:
                # A spreadsheet row simply ends at its last filled cell: not a ragged row.
                cells.extend([None] * (width - len(cells)))
            yield number, cells

    return ParsedFile(format="xlsx", headers=headers, source=source, header_row=header_row or 1)


# JSON and GeoJSON


def _load_json(path: Path) -> Any:
    try:
        with path.open("rb") as stream:
            return json.load(stream)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise IngestError(_("This file is not valid JSON.")) from exc


def _json_cell(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_records(data: Any, file_format: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        return _features(data)
    if file_format == "geojson":
        raise IngestError(_("A GeoJSON file must hold a FeatureCollection."))
    if isinstance(data, dict):
        data = next(
            (
                data[key]
                for key in ("records", "results", "data")
                if isinstance(data.get(key), list)
            ),
            None,
        )
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise IngestError(_("A JSON file must hold a list of objects, one per row."))
    return data


def _features(data: dict[str, Any]) -> list[dict[str, Any]]:
    crs = data.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if name and name not in WGS84_NAMES:
        raise IngestError(
            _("The coordinates must be WGS 84 longitudes and latitudes; this file uses %(crs)s.")
            % {"crs": name}
        )
    features = data.get("features")
    if not isinstance(features, list) or not all(
        isinstance(feature, dict)
        and isinstance(feature.get("properties") or {}, dict)
        and isinstance(feature.get("geometry") or {}, dict)
        for feature in features
    ):
        raise IngestError(_("The GeoJSON features cannot be read."))
    return features


def _read_json(path: Path, declared: str) -> ParsedFile:
    data = _load_json(path)
    records = _json_records(data, declared)
    is_geo = isinstance(data, dict) and data.get("type") == "FeatureCollection"
    if is_geo:
        keys = list(dict.fromkeys(k for f in records for k in (f.get("properties") or {})))
    else:
        keys = list(dict.fromkeys(key for record in records for key in record))
    if not keys and not is_geo:
        raise IngestError(_("The file holds no rows."))
    headers = clean_headers([*keys, "geometry"] if is_geo else keys, trim=False)

    def source() -> NumberedRows:
        for number, record in enumerate(_json_records(_load_json(path), declared), start=2):
            if is_geo:
                properties = record.get("properties") or {}
                geometry = record.get("geometry")
                cells = [_json_cell(properties.get(key)) for key in keys]
                cells.append(_json_cell(geometry) if geometry else None)
            else:
                cells = [_json_cell(record.get(key)) for key in keys]
            yield number, cells

    return ParsedFile(format="geojson" if is_geo else "json", headers=headers, source=source)
