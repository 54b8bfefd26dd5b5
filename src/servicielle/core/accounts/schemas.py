"""API shapes of accounts and tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Input models refuse fields they do not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationRef(BaseModel):
    """An organisation as other objects cite it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    kind: str


class MeRead(BaseModel):
    """The caller's own account."""

    id: int
    email: str
    display_name: str
    locale: str
    roles: list[str]
    organisations: list[OrganisationRef]
    token_organisation_id: int | None = None


class TokenCreate(Strict):
    """A token request."""

    name: str = Field(min_length=1, max_length=120)
    organisation_id: int
    lifetime_days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(BaseModel):
    """A token, without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    organisation_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreated(TokenRead):
    """A new token with its secret, shown this once."""

    token: str
