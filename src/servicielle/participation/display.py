"""How participation pages write dates and money: the territory's clock, the reader's locale."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from servicielle.core.i18n import get_locale

# The territory's clock: instants are stored in UTC and shown in Paris time.
PARIS = ZoneInfo("Europe/Paris")


def _aware(instant: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes for UTC values.
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def local_date(instant: dt.datetime | None) -> str:
    """A date as people of the territory read it."""
    if instant is None:
        return ""
    return str(format_date(_aware(instant).astimezone(PARIS), "long", locale=get_locale()))


def local_datetime(instant: dt.datetime | None) -> str:
    """A date and time on the territory's clock."""
    if instant is None:
        return ""
    return str(
        format_datetime(_aware(instant), "d MMMM y, HH:mm", tzinfo=PARIS, locale=get_locale())
    )


def iso(instant: dt.datetime | None) -> str:
    """The machine-readable form of an instant, for ``<time datetime>``."""
    return _aware(instant).astimezone(dt.UTC).isoformat() if instant is not None else ""


def euros(amount: int | None) -> str:
    """An amount in whole euros, grouped the local way."""
    if amount is None:
        return ""
    return f"{format_decimal(amount, locale=get_locale())} €"
