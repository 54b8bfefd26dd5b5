"""The one error the query language raises: a 400 naming the clause and the position."""

from __future__ import annotations

from typing import ClassVar

from servicielle.core.errors import BadRequest
from servicielle.core.i18n import N_, _


class QueryError(BadRequest):
    """A query parameter is malformed, names an unknown field or mixes types."""

    type_slug: ClassVar[str] = "invalid-query"
    title: ClassVar[str] = N_("Invalid query")

    def __init__(self, message: str, *, clause: str, position: int | None, text: str) -> None:
        if position is None:
            detail = _("Invalid {clause}: {message}").format(clause=clause, message=message)
        else:
            detail = _("Invalid {clause} at position {position}: {message}").format(
                clause=clause, position=position, message=message
            )
        super().__init__(
            detail, errors=[{"field": clause, "position": position, "message": message}]
        )
        self.message = message
        self.clause = clause
        self.position = position
        self.text = text


class NodeError(Exception):
    """Raised deep in parsing or compiling; the caller adds the clause and its text."""

    def __init__(self, message: str, position: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
