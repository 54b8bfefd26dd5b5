"""Reading back-office forms: strings in, typed values out, one French message per bad field.

Shared by the process, phase, category and budget set-up services; each raises one
``InvalidInput`` naming every bad field, so the form is shown again with all its errors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.core.ids import whole_number
from servicielle.core.text import plain

# Agents type dates on the territory's clock; they are stored in UTC.
PARIS = ZoneInfo("Europe/Paris")
LOCAL_INPUT = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::[0-9]{2})?$"
)
# Years a process could plausibly run in; beyond, a typing slip.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Whole euros in a 32-bit column.
MAX_EUROS = 2_000_000_000
_EURO_NOISE = re.compile(r"[\s\u00a0\u202f€.]")


def to_local_input(instant: dt.datetime | None) -> str:
    """An instant as a ``datetime-local`` field shows it, on the territory's clock."""
    if instant is None:
        return ""
    return instant.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def parse_local(text: str) -> dt.datetime | None:
    """A ``YYYY-MM-DDTHH:MM`` in Europe/Paris as a UTC instant, or None when unreadable."""
    match = LOCAL_INPUT.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(part) for part in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        local = dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)
    except ValueError:
        return None
    return local.astimezone(dt.UTC)


def skipped_by_clocks(text: str) -> bool:
    """Whether a readable local time falls in the hour Paris clocks skip each spring."""
    match = LOCAL_INPUT.match(text.strip())
    if match is None:
        return False
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        typed = dt.datetime(year, month, day, hour, minute)
    except ValueError:
        return False
    shown = typed.replace(tzinfo=PARIS).astimezone(dt.UTC).astimezone(PARIS)
    return shown.replace(tzinfo=None) != typed


class FormReader:
    """Reads a form's strings, collecting one message per bad field."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        """The field's value, as sent."""
        return str(self.values.get(name, ""))

    def text(self, name: str, limit: int, *, required: bool = False, lines: bool = False) -> str:
        """Free text without control characters; one line unless ``lines``."""
        value = plain(self.raw(name).replace("\r\n", "\n"))
        if required and not value:
            self.errors[name] = _("This field is required.")
        elif len(value) > limit:
            self.errors[name] = _("At most %(n)d characters.") % {"n": limit}
        elif not lines and len(value.splitlines()) > 1:
            self.errors[name] = _("Write this on one line.")
        return value

    def integer(self, name: str, *, low: int, high: int, required: bool = False) -> int | None:
        """A whole number between ``low`` and ``high``; None when empty and not required."""
        raw = self.raw(name).strip()
        if not raw:
            if required:
                self.errors[name] = _("This field is required.")
            return None
        negative = raw.startswith("-")
        number = whole_number(raw[1:] if negative else raw)
        if number is None:
            self.errors[name] = _("Give a whole number.")
            return None
        number = -number if negative else number
        if not low <= number <= high:
            self.errors[name] = _("Give a number between %(low)d and %(high)d.") % {
                "low": low,
                "high": high,
            }
            return None
        return number

    def euros(self, name: str, *, required: bool = True) -> int | None:
        """An amount in whole euros, above zero; spaces and a euro sign are allowed."""
        raw = self.raw(name).strip()
        if raw.endswith((",00", ",0")):
            raw = raw.rsplit(",", 1)[0]
        cleaned = _EURO_NOISE.sub("", raw)
        if not cleaned:
            if required:
                self.errors[name] = _("This field is required.")
            return None
        number = whole_number(cleaned)
        if number is None:
            self.errors[name] = _("Give an amount in whole euros, for example 150000.")
            return None
        if not 0 < number <= MAX_EUROS:
            self.errors[name] = _("Give an amount above 0 and at most %(max)s euros.") % {
                "max": f"{MAX_EUROS:,}".replace(",", " ")
            }
            return None
        return number

    def decimal(self, name: str, *, low: float, high: float) -> float | None:
        """A decimal number (comma or dot) within bounds; None when empty."""
        raw = self.raw(name).strip().replace(",", ".")
        if not raw:
            return None
        if len(raw) > 32 or not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", raw):
            self.errors[name] = _("Give a number, for example 45.93.")
            return None
        number = float(raw)
        if not low <= number <= high:
            self.errors[name] = _("Give a number between %(low)s and %(high)s.") % {
                "low": low,
                "high": high,
            }
            return None
        return number

    def flag(self, name: str) -> bool:
        """A ticked box."""
        return self.raw(name) in ("1", "on", "true")

    def choice(self, name: str, allowed: Iterable[str], *, required: bool = True) -> str:
        """One of ``allowed``; empty is accepted when not required."""
        value = self.raw(name).strip()
        if not value and not required:
            return ""
        if value not in set(allowed):
            self.errors[name] = _("Choose one of the options.")
            return ""
        return value

    def local_datetime(self, name: str) -> dt.datetime | None:
        """A date and time typed on the territory's clock, as a UTC instant."""
        raw = self.raw(name).strip()
        if not raw:
            self.errors[name] = _("This field is required.")
            return None
        instant = parse_local(raw)
        if instant is not None and skipped_by_clocks(raw):
            # A time in the spring-forward gap (e.g. 02:30 on the last Sunday of March) never
            # shows on Paris clocks: zoneinfo would silently move it by an hour.
            self.errors[name] = _(
                "This time does not exist in Paris: clocks go forward by one hour that night. "
                "Choose another time."
            )
            return None
        if instant is None:
            self.errors[name] = _(
                "Give a date and time, for example 2026-03-01 09:00 (between %(first)d and "
                "%(last)d)."
            ) % {"first": FIRST_YEAR, "last": LAST_YEAR}
        return instant

    def check(self) -> None:
        """Raise the collected errors, if any."""
        if self.errors:
            raise InvalidInput.on_fields(_("Some fields need correcting."), self.errors)
