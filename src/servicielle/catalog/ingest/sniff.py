"""Guessing what an uploaded file is: its format, text encoding and CSV delimiter."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from servicielle.catalog.ingest.errors import IngestError
from servicielle.core.i18n import gettext as _

FORMATS = ("csv", "xlsx", "json", "geojson")

_DECLARED = {
    "csv": "csv",
    "tsv": "csv",
    "txt": "csv",
    "text/csv": "csv",
    "text/plain": "csv",
    "text/tab-separated-values": "csv",
    "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "json": "json",
    "application/json": "json",
    "geojson": "geojson",
    "application/geo+json": "geojson",
}
_EXTENSIONS = {ext: _DECLARED[ext] for ext in ("csv", "tsv", "txt", "xlsx", "json", "geojson")}
# Formats people upload that we do not read, with what to tell them.
_UNSUPPORTED = {
    "xls": "Excel 97-2003 (XLS)",
    "application/vnd.ms-excel": "Excel 97-2003 (XLS)",
    "ods": "OpenDocument (ODS)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument (ODS)",
}

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 and other MS Office binary files
DELIMITERS = (";", ",", "\t", "|")
SAMPLE_BYTES = 64 * 1024
SAMPLE_RECORDS = 50
_CHUNK = 1024 * 1024


def _unsupported(kind: str) -> IngestError:
    return IngestError(
        _("The %(format)s format is not supported: save the file as CSV or XLSX.")
        % {"format": kind}
    )


def detect_format(path: Path, filename: str, declared: str | None) -> str:
    """One of :data:`FORMATS`, from the declared format, else the extension, else the bytes."""
    if declared:
        key = declared.split(";")[0].strip().lower().lstrip(".")
        if key in _DECLARED:
            return _DECLARED[key]
        if key in _UNSUPPORTED:
            raise _unsupported(_UNSUPPORTED[key])
        raise IngestError(_("Unknown file format: %(format)s.") % {"format": declared})
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if extension in _UNSUPPORTED:
        raise _unsupported(_UNSUPPORTED[extension])
    return sniff_format(path)


def sniff_format(path: Path) -> str:
    """The format the first bytes announce; CSV when nothing else matches."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        raise _unsupported(_UNSUPPORTED["xls"])
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text[:1] in (b"{", b"["):
        return "json"
    return "csv"


def _decodes_strictly(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> tuple[str, str]:
    """``(codec to open the file with, encoding to report)``.

    UTF-8 is checked over the whole file: a guess from the first lines fails later on the
    one accented name at line 80,000. cp1252 (Excel's "CSV" on French Windows) comes next;
    latin-1 decodes anything, so it is the last resort.
    """
    with path.open("rb") as stream:
        head = stream.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16"
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise IngestError(_("This file is a spreadsheet or an archive, not a CSV text file."))
    if b"\x00" in head:
        raise IngestError(_("This file is not a text file: it cannot be read as CSV."))
    for encoding in ("utf-8", "cp1252"):
        if _decodes_strictly(path, encoding):
            return encoding, encoding
    return "latin-1", "latin-1"


def read_sample(path: Path, codec: str) -> tuple[str, bool]:
    """The beginning of the file as text, and whether that is the whole file."""
    with path.open(encoding=codec, newline="") as stream:
        text = stream.read(SAMPLE_BYTES)
        complete = stream.read(1) == ""
    return text, complete


def check_text(sample: str) -> None:
    """Refuse binary content that happened to decode (e.g. an image renamed to .csv)."""
    controls = sum(1 for char in sample if char < " " and char not in "\t\r\n")
    if sample and controls > len(sample) / 100:
        raise IngestError(_("This file is not a text file: it cannot be read as CSV."))


def sniff_delimiter(sample: str, complete: bool) -> str:
    """The candidate giving the most consistent number of cells over the first records.

    Parsing with the csv module (rather than counting characters per line) respects
    quotes, so a quoted "Rochefort, Charente-Maritime" does not vote for the comma. A
    single-column file gets a delimiter its values do not contain.
    """
    scores = []
    for rank, delimiter in enumerate(DELIMITERS):
        records = _records(sample, delimiter, complete)
        if not records:
            continue
        width = len(records[0])
        consistency = sum(1 for record in records if len(record) == width) / len(records)
        splits = width > 1 and consistency >= 0.5
        scores.append((splits, consistency, width, -rank, delimiter))
    return max(scores)[-1] if scores else ","


def _records(sample: str, delimiter: str, complete: bool) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"'))
    except csv.Error:
        return []
    if not complete and len(rows) > 1:
        rows.pop()  # probably cut in the middle
    return [row for row in rows if any(cell.strip() for cell in row)][:SAMPLE_RECORDS]
