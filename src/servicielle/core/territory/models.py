"""Communes, geozones and organisations of the territory."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from shapely.geometry import shape
from sqlalchemy import ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, TimestampMixin


class HasOutline:
    """A GeoJSON outline and a point inside it, kept in step, for maps and open data."""

    geometry: Mapped[dict[str, Any]]
    centroid_lon: Mapped[float | None]
    centroid_lat: Mapped[float | None]


@event.listens_for(HasOutline, "before_insert", propagate=True)
@event.listens_for(HasOutline, "before_update", propagate=True)
def _place_centroid(_mapper: Any, _connection: Any, target: HasOutline) -> None:
    # A point on the surface, not the centroid: a crescent's centroid can fall outside it.
    point = shape(target.geometry).representative_point()
    target.centroid_lon, target.centroid_lat = round(point.x, 6), round(point.y, 6)


class Commune(HasOutline, TimestampMixin, Base):
    """A member commune, keyed by its INSEE code, with its outline (GeoJSON, WGS84)."""

    __tablename__ = "communes"
    __audit_redact__ = frozenset({"geometry"})

    insee_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    population: Mapped[int]
    siren: Mapped[str | None] = mapped_column(String(9))


class GeoZone(HasOutline, TimestampMixin, Base):
    """Any named polygon: a district, a neighbourhood, a sector of a contract."""

    __tablename__ = "geozones"
    __audit_redact__ = frozenset({"geometry"})

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="district")
    commune_code: Mapped[str | None] = mapped_column(
        ForeignKey("communes.insee_code", ondelete="SET NULL"), index=True
    )


class OrganisationKind(StrEnum):
    """What an organisation is to the authority."""

    AUTHORITY = "authority"
    DEPARTMENT = "department"
    OPERATOR = "operator"
    ASSOCIATION = "association"


class Organisation(TimestampMixin, Base):
    """The authority, one of its departments, a delegated operator or an association."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(String(20), index=True)
    siren: Mapped[str | None] = mapped_column(String(9))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(500))
