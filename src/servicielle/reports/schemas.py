"""What the services take in: a report being submitted and the filters of a search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from servicielle.reports.questions import AnswerInput

MAX_DESCRIPTION = 4000


@dataclass
class ReportDraft:
    """A report as the form or the Open311 POST gives it, not yet checked."""

    category_code: str
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    # map | device | commune | address: how the reporter gave the place.
    located_by: str = "map"
    commune_code: str = ""
    address_string: str = ""
    answers: dict[str, AnswerInput] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    media_url: str = ""
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    channel: str = "web"


@dataclass
class ReportFilters:
    """A search over public reports; empty fields do not filter."""

    ids: list[int] = field(default_factory=list)
    category_codes: list[str] = field(default_factory=list)
    # Open311 statuses ("open", "closed") or ours ("acknowledged", ...).
    statuses: list[str] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    commune_code: str = ""
    organisation_id: int | None = None
    # A circle: centre and radius in metres.
    lat: float | None = None
    lon: float | None = None
    radius: float | None = None
    text: str = ""
