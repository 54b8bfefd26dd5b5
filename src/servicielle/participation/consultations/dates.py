"""Dates of consultations as people of the territory read and type them (Europe/Paris)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from servicielle.core.i18n import get_locale

PARIS = ZoneInfo("Europe/Paris")
# What <input type="datetime-local"> sends (seconds optional).
INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


def local_datetime(instant: dt.datetime | None) -> str:
    """A date and time in the territory's time zone, in the page's language."""
    if instant is None:
        return ""
    return str(format_datetime(instant, "d MMMM y, HH:mm", tzinfo=PARIS, locale=get_locale()))


def local_date(instant: dt.datetime | None) -> str:
    """A date in the territory's time zone, in the page's language."""
    if instant is None:
        return ""
    return str(format_date(instant.astimezone(PARIS), "long", locale=get_locale()))


def iso(instant: dt.datetime | None) -> str:
    """The machine-readable form of an instant, for ``<time datetime>``."""
    return instant.astimezone(dt.UTC).isoformat() if instant is not None else ""


def input_value(instant: dt.datetime | None) -> str:
    """The value of a ``datetime-local`` field showing ``instant`` in Paris time."""
    return instant.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") if instant is not None else ""


def parse_local(text: str) -> dt.datetime | None:
    """A Paris wall-clock time typed in a form, as a UTC instant; None if unreadable."""
    value = text.strip()[:25]
    for pattern in INPUT_FORMATS:
        try:
            naive = dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
        if not 1900 <= naive.year <= 2200:
            return None
        return naive.replace(tzinfo=PARIS).astimezone(dt.UTC)
    return None
