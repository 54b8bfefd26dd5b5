"""API shapes of the territory."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GeoZoneCreate(BaseModel):
    """A named polygon to add."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="district", min_length=1, max_length=40)
    commune_code: str | None = Field(default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$")
    geometry: dict[str, Any]


class OrganisationRead(BaseModel):
    """An organisation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    kind: str
    siren: str | None
    description: str
    email: str | None
    website: str | None


class OrganisationCreate(BaseModel):
    """An organisation to add."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=r"^(authority|department|operator|association)$")
    siren: str | None = Field(default=None, pattern=r"^[0-9]{9}$")
    description: str = Field(default="", max_length=5000)
    email: str | None = Field(default=None, max_length=320)
    website: str | None = Field(default=None, max_length=500)


class PlaceRead(BaseModel):
    """A commune or geozone found by a lookup."""

    kind: str
    key: str
    name: str


class LocationRead(BaseModel):
    """What contains a point."""

    lon: float
    lat: float
    inside: bool
    commune: PlaceRead | None
    geozones: list[PlaceRead]
