"""The one error ingestion raises for unreadable files."""

from __future__ import annotations

from servicielle.core.errors import InvalidInput


class IngestError(InvalidInput):
    """The file cannot be read as a table; ``detail`` says why, in the current locale."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"field": "file", "message": detail}])
