"""Reading and validating uploaded tables (CSV, XLSX, JSON, GeoJSON) for the catalog.

Pure functions, no database::

    parsed = read_file(path, filename="deliberations.csv")
    fields = infer_fields(parsed, schema)
    report = validate(parsed, fields, schema)
    if report.valid:
        rows = typed_rows(parsed, fields)
"""

from __future__ import annotations

from servicielle.catalog.ingest.convert import MissingColumn, typed_rows
from servicielle.catalog.ingest.errors import IngestError
from servicielle.catalog.ingest.infer import column_names, identifier, infer_fields
from servicielle.catalog.ingest.readers import ParsedFile, read_file
from servicielle.catalog.ingest.report import ValidationError, ValidationReport
from servicielle.catalog.ingest.validate import validate

__all__ = [
    "IngestError",
    "MissingColumn",
    "ParsedFile",
    "ValidationError",
    "ValidationReport",
    "column_names",
    "identifier",
    "infer_fields",
    "read_file",
    "typed_rows",
    "validate",
]
