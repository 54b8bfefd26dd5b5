"""Inputs of the catalog's services, shared by the CKAN API, the REST API and the forms."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from servicielle.catalog.vocabularies import FREQUENCIES, LICENCES, THEMES

SLUG = re.compile(r"^[a-z0-9_-]{2,100}$")


class DatasetInput(BaseModel):
    """Metadata of a dataset; on updates only the fields that were set count."""

    model_config = ConfigDict(str_strip_whitespace=True)

    slug: str | None = None
    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=50_000)
    organisation: str | None = None  # slug or id
    licence: str | None = None
    frequency: str | None = None
    themes: list[str] | None = None
    keywords: list[str] | None = None
    communes: list[str] | None = None
    geozones: list[str] | None = None
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_email: EmailStr | None = None
    status: str | None = None
    extras: dict[str, Any] | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG.match(value):
            raise ValueError("must be 2 to 100 characters: lowercase letters, digits, '-' and '_'")
        return value

    @field_validator("licence")
    @classmethod
    def _licence(cls, value: str | None) -> str | None:
        if value is not None and value not in LICENCES:
            raise ValueError(f"unknown licence; known: {', '.join(LICENCES)}")
        return value

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, value: str | None) -> str | None:
        if value is not None and value not in FREQUENCIES:
            raise ValueError(f"unknown frequency; known: {', '.join(FREQUENCIES)}")
        return value

    @field_validator("themes")
    @classmethod
    def _themes(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            unknown = [t for t in value if t.upper() not in THEMES]
            if unknown:
                raise ValueError(f"unknown theme {unknown[0]!r}; known: {', '.join(THEMES)}")
            return [t.upper() for t in value]
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [k.strip() for k in value if k and k.strip()]
        if any(len(k) > 100 for k in cleaned):
            raise ValueError("a keyword is longer than 100 characters")
        return list(dict.fromkeys(cleaned))

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        if value is not None and value not in ("public", "private", "archived"):
            raise ValueError("must be public, private or archived")
        return value


class ResourceInput(BaseModel):
    """Metadata of a resource."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=20_000)
    url: str | None = Field(None, max_length=2000)
    format: str | None = Field(None, max_length=20)
    kind: str | None = None
    schema_name: str | None = Field(None, max_length=120)
    position: int | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value or None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        if value is not None and value not in ("file", "remote", "documentation", "api"):
            raise ValueError("must be file, remote, documentation or api")
        return value
