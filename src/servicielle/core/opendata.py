"""What a module needs to publish open data through its manifest (DESIGN.md §2).

A module declares ``PublishedDataset`` objects; the catalog lists them and serves their rows
through the same records, exports, CKAN and DCAT interfaces as uploaded files, without ever
importing the module. ``Field`` is the contract between tables and the query language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import FromClause


class FieldType(StrEnum):
    """Field types, named as OpenDataSoft names them in ``fields[].type``."""

    TEXT = "text"
    INTEGER = "int"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    # A point stored as two float columns ``<column>_lon`` and ``<column>_lat``.
    GEO_POINT = "geo_point_2d"
    # A GeoJSON geometry stored as JSON text in ``<column>``; shown, not filtered on.
    GEO_SHAPE = "geo_shape"


@dataclass(frozen=True)
class Field:
    """One public field: ``name`` is what queries use, ``column`` what the table holds."""

    name: str
    type: FieldType
    column: str
    label: str = ""
    description: str = ""

    @property
    def is_geo(self) -> bool:
        """Whether the field holds a location."""
        return self.type in (FieldType.GEO_POINT, FieldType.GEO_SHAPE)

    def to_dict(self) -> dict[str, str]:
        """JSON form stored with the resource."""
        return {
            "name": self.name,
            "type": self.type.value,
            "column": self.column,
            "label": self.label,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Field:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            type=FieldType(data["type"]),
            column=data["column"],
            label=data.get("label", ""),
            description=data.get("description", ""),
        )


@dataclass(frozen=True)
class PublishedDataset:
    """A live dataset a module publishes: metadata plus a selectable with the fields' columns.

    ``source`` builds the selectable (a table or a subquery) whose columns match ``fields``;
    it is queried per request, so the data is always current.
    """

    key: str
    slug: str
    title: str
    description: str
    fields: tuple[Field, ...]
    source: Callable[[], FromClause]
    organisation_slug: str | None = None
    licence: str = "lov2"
    frequency: str = "continuous"
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    extras: dict[str, str] = field(default_factory=dict)
