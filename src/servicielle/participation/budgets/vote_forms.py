"""The vote's posted forms read safely: chosen projects and points, date of birth, residence.

A ballot form names each project ``p-<id>`` with its points (1 for a ticked box). Forms are
read within a size and field-count limit; a malformed form is a 400, never a server error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from servicielle.core.bodies import capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import BadRequest
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id, whole_number
from servicielle.core.text import plain
from servicielle.participation.budgets.ballots import Residence

# Paris's largest district ballots list a few dozen projects; a ballot form never needs more.
MAX_FIELDS = 500
MAX_FORM_BYTES = 128 * 1024
POINTS_PREFIX = "p-"
# Points typed into one box: more digits than this is no vote anyone means.
MAX_POINT_DIGITS = 4
OLDEST_BIRTH_YEAR = 1900
_FRENCH_DATE = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")


@dataclass
class VoteForm:
    """A posted vote form: text fields (first value each) and the ballot's ``p-<id>`` fields."""

    fields: dict[str, str] = field(default_factory=dict)
    ballot: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str, default: str = "", limit: int = 200) -> str:
        """A text field, control characters dropped, at most ``limit`` characters."""
        return plain(self.fields.get(name, default))[:limit]


async def read_vote_form(request: Request) -> VoteForm:
    """Read a vote form within its limits (400 beyond them), then check its CSRF token."""
    request = capped(request, MAX_FORM_BYTES)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:
        raise BadRequest(
            _("The form has too many fields or could not be read: send it again.")
        ) from None
    try:
        await verify_csrf(request)
        posted = VoteForm()
        for key, value in form.multi_items():
            if not isinstance(value, str):
                continue
            if key.startswith(POINTS_PREFIX):
                posted.ballot.append((key, value))
            else:
                posted.fields.setdefault(key, value)
    finally:
        await form.close()
    return posted


PostedVote = Annotated[VoteForm, Depends(read_vote_form)]


def parse_points(
    pairs: Collection[tuple[str, str]], known: Collection[int]
) -> tuple[dict[int, int], dict[str, str]]:
    """Points by project id from ``p-<id>`` fields; blank or 0 means not chosen.

    A field naming no project of this budget is a 400 (no form of ours sends it); points that
    are not a whole number are the voter's typing, returned as errors by field name.
    """
    points: dict[int, int] = {}
    errors: dict[str, str] = {}
    wanted = set(known)
    for key, value in pairs:
        project_id = parse_id(key[len(POINTS_PREFIX) :])
        if project_id is None or project_id not in wanted:
            raise BadRequest(_("A chosen project is not on this ballot."))
        if project_id in points or key in errors:
            continue  # the first value counts, as for any field
        text = value.strip()
        if not text:
            continue
        count = whole_number(text, max_digits=MAX_POINT_DIGITS)
        if count is None:
            errors[key] = _("Give a whole number of points, or leave the box empty.")
        elif count > 0:
            points[project_id] = count
    return points, errors


def points_fields(points: Mapping[int, int]) -> list[tuple[str, int]]:
    """The hidden fields that carry a selection to the next step."""
    return [(f"{POINTS_PREFIX}{project_id}", count) for project_id, count in points.items()]


def parse_birth_date(text: str, today: dt.date) -> tuple[dt.date | None, str | None]:
    """A date of birth as ``YYYY-MM-DD`` (date fields) or ``DD/MM/YYYY`` (typed), or an error."""
    value = text.strip()[:20]
    if not value:
        return None, None
    match = _FRENCH_DATE.match(value)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            born = dt.date(year, month, day)
        else:
            born = dt.date.fromisoformat(value)
    except ValueError:
        return None, _("Give your date of birth as day/month/year, for example 17/05/1980.")
    if born.year < OLDEST_BIRTH_YEAR or born > today:
        return None, _("This date of birth is not possible: check the year.")
    return born, None


def parse_residence(
    commune_text: str,
    zone_text: str,
    communes: Collection[str],
    zones: Collection[int],
) -> tuple[Residence, dict[str, str]]:
    """The declared commune and district, each checked against the lists offered."""
    errors: dict[str, str] = {}
    commune = commune_text.strip()[:5] or None
    if commune is not None and commune not in communes:
        errors["commune"] = _("Choose your commune from the list.")
        commune = None
    zone: int | None = None
    if zone_text.strip():
        zone = parse_id(zone_text)
        if zone is None or zone not in zones:
            errors["zone"] = _("Choose your district from the list.")
            zone = None
    return Residence(commune, zone), errors
