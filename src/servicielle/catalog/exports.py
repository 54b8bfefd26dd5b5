"""Streaming exports of query results: CSV, JSON, GeoJSON, Parquet, XLSX.

Every row goes out (no limit), in batches; Parquet and XLSX are written to a temporary file
first because their formats need the whole table before the first byte can be final.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from servicielle.catalog.fields import FieldType
from servicielle.catalog.odsql import CompiledQuery

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value: Any) -> Any:
    """Defuse a text cell a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _flat(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"lon", "lat"}:
            # ODS writes points as "lat, lon" in tabular exports.
            return f"{value['lat']}, {value['lon']}"
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_chunks(
    query: CompiledQuery, rows: Iterable[Any], *, delimiter: str, bom: bool
) -> Iterator[bytes]:
    """CSV with a header line, in chunks of encoded text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.name for c in query.columns])
    prefix = "\ufeff" if bom else ""
    count = 0
    for row in rows:
        record = query.decode(row)
        writer.writerow([neutralise(_flat(record[c.name])) for c in query.columns])
        count += 1
        if count % BATCH == 0:
            yield (prefix + buffer.getvalue()).encode()
            prefix = ""
            buffer.seek(0)
            buffer.truncate()
    yield (prefix + buffer.getvalue()).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def json_chunks(query: CompiledQuery, rows: Iterable[Any]) -> Iterator[bytes]:
    """A JSON array of records."""
    yield b"["
    first = True
    parts: list[str] = []
    for row in rows:
        parts.append(
            ("" if first else ",")
            + json.dumps(query.decode(row), default=_json_default, ensure_ascii=False)
        )
        first = False
        if len(parts) >= BATCH:
            yield "".join(parts).encode()
            parts = []
    parts.append("]")
    yield "".join(parts).encode()


def geojson_chunks(query: CompiledQuery, rows: Iterable[Any]) -> Iterator[bytes]:
    """A FeatureCollection: the shape if there is one, else the point, as geometry."""
    shapes = [c.name for c in query.columns if c.type == FieldType.GEO_SHAPE]
    points = [c.name for c in query.columns if c.type == FieldType.GEO_POINT]
    yield b'{"type":"FeatureCollection","features":['
    first = True
    parts: list[str] = []
    for row in rows:
        record = query.decode(row)
        geometry = None
        if shapes and record.get(shapes[0]):
            geometry = record[shapes[0]]
        elif points and record.get(points[0]):
            point = record[points[0]]
            geometry = {"type": "Point", "coordinates": [point["lon"], point["lat"]]}
        properties = {k: v for k, v in record.items() if k not in shapes}
        feature = {"type": "Feature", "geometry": geometry, "properties": properties}
        parts.append(
            ("" if first else ",") + json.dumps(feature, default=_json_default, ensure_ascii=False)
        )
        first = False
        if len(parts) >= BATCH:
            yield "".join(parts).encode()
            parts = []
    parts.append("]}")
    yield "".join(parts).encode()


def _arrow_type(kind: FieldType) -> Any:
    import pyarrow as pa

    return {
        FieldType.INTEGER: pa.int64(),
        FieldType.DOUBLE: pa.float64(),
        FieldType.BOOLEAN: pa.bool_(),
        FieldType.DATE: pa.date32(),
        FieldType.DATETIME: pa.timestamp("us", tz="UTC"),
    }.get(kind, pa.string())


def parquet_file(query: CompiledQuery, rows: Iterable[Any]) -> tempfile.SpooledTemporaryFile[bytes]:
    """A Parquet file of the results, written batch by batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c.name, _arrow_type(c.type)) for c in query.columns])
    out: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(
        max_size=32 * 1024 * 1024
    )
    converters = [_arrow_value(c.type) for c in query.columns]
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[list[Any]] = [[] for _ in query.columns]

        def flush() -> None:
            writer.write_table(
                pa.Table.from_arrays(
                    [pa.array(col, type=schema.field(i).type) for i, col in enumerate(batch)],
                    schema=schema,
                )
            )
            for col in batch:
                col.clear()

        for row in rows:
            record = query.decode(row)
            for i, column in enumerate(query.columns):
                batch[i].append(converters[i](record[column.name]))
            if len(batch[0]) >= 50_000:
                flush()
        if batch[0] or not len(query.columns) == 0:
            flush()
    out.seek(0)
    return out


def _arrow_value(kind: FieldType) -> Callable[[Any], Any]:
    if kind == FieldType.DATE:
        return lambda v: dt.date.fromisoformat(v) if isinstance(v, str) else v
    if kind == FieldType.DATETIME:
        return lambda v: dt.datetime.fromisoformat(v) if isinstance(v, str) else v
    if kind in (FieldType.INTEGER, FieldType.DOUBLE, FieldType.BOOLEAN):
        return lambda v: v
    return lambda v: None if v is None else str(_flat(v))


def xlsx_file(query: CompiledQuery, rows: Iterable[Any]) -> tempfile.SpooledTemporaryFile[bytes]:
    """An XLSX workbook of the results (write-only mode: memory stays flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("donnees")
    sheet.append([c.name for c in query.columns])
    for row in rows:
        record = query.decode(row)
        sheet.append([neutralise(_flat(record[c.name])) for c in query.columns])
    out: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(
        max_size=32 * 1024 * 1024
    )
    workbook.save(out)
    out.seek(0)
    return out


def file_chunks(handle: Any, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """Read a temporary file out in chunks, closing it at the end."""
    try:
        while data := handle.read(chunk):
            yield data
    finally:
        handle.close()
