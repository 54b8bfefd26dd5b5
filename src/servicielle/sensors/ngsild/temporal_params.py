"""Parameters of the NGSI-LD temporal API, parsed and checked into a TemporalQuery."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servicielle.sensors.ngsild.errors import BadRequestData, OperationNotSupported
from servicielle.sensors.ngsild.http import split_list
from servicielle.sensors.timeseries import METHODS, Window

MAX_PERIOD = dt.timedelta(days=36_600)
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d{1,6})?)S)?)?$"
)


@dataclass(frozen=True)
class TemporalQuery:
    """What to read and how to render it."""

    window: Window = Window()
    last_n: int | None = None
    form: str = "normalized"
    methods: tuple[str, ...] = ()
    period_us: int = 0
    attrs: tuple[str, ...] = ()


def parse_time(raw: Any, name: str) -> dt.datetime:
    """An ISO 8601 date-time with a time zone, in UTC."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequestData(f"{name} must be an ISO 8601 date-time such as 2024-05-01T00:00:00Z")
    try:
        instant = dt.datetime.fromisoformat(raw.strip().replace("z", "Z"))
    except ValueError:
        raise BadRequestData(f"{name} is not an ISO 8601 date-time: {raw!r}") from None
    if instant.tzinfo is None:
        raise BadRequestData(f"{name} has no time zone (add Z for UTC): {raw!r}")
    if not 1970 <= instant.year <= 9000:
        raise BadRequestData(f"{name} is out of range (years 1970 to 9000): {raw!r}")
    return instant.astimezone(dt.UTC)


def parse_window(timerel: str | None, time_at: Any, end_time_at: Any) -> Window:
    """The time range of ``timerel``/``timeAt``/``endTimeAt``."""
    if not timerel:
        if time_at or end_time_at:
            raise BadRequestData("timeAt and endTimeAt need timerel (before, after or between)")
        return Window()
    if timerel not in ("before", "after", "between"):
        raise BadRequestData(f"unknown timerel {timerel!r}: expected before, after or between")
    if not time_at:
        raise BadRequestData(f"timerel={timerel} needs timeAt")
    start = parse_time(time_at, "timeAt")
    if timerel == "before":
        return Window(end=start)
    if timerel == "after":
        return Window(start=start)
    if not end_time_at:
        raise BadRequestData("timerel=between needs endTimeAt")
    end = parse_time(end_time_at, "endTimeAt")
    if end <= start:
        raise BadRequestData("endTimeAt must be later than timeAt")
    return Window(start, end)


def parse_duration(raw: Any) -> int:
    """``aggrPeriodDuration`` in microseconds; 0 for the whole range (absent or P0D)."""
    if raw is None or raw == "":
        return 0
    match = _DURATION.match(raw.strip()) if isinstance(raw, str) else None
    if not match or raw.strip() == "P" or raw.strip().endswith("T"):
        raise BadRequestData(
            f"aggrPeriodDuration is not an ISO 8601 duration: {raw!r} (e.g. PT15M, PT1H, P1D)"
        )
    parts = {k: v for k, v in match.groupdict().items() if v is not None}
    if int(parts.get("years", 0)) or int(parts.get("months", 0)):
        raise BadRequestData(
            f"aggrPeriodDuration {raw!r}: months and years have no fixed length; "
            "write days instead (P30D, P365D)"
        )
    seconds = float(parts.get("seconds", "0").replace(",", "."))
    try:
        period = dt.timedelta(
            weeks=int(parts.get("weeks", 0)),
            days=int(parts.get("days", 0)),
            hours=int(parts.get("hours", 0)),
            minutes=int(parts.get("minutes", 0)),
            seconds=seconds,
        )
    except OverflowError:
        period = MAX_PERIOD * 2
    if period > MAX_PERIOD:
        raise BadRequestData(f"aggrPeriodDuration {raw!r} is longer than 100 years")
    if dt.timedelta(0) < period < dt.timedelta(seconds=1):
        raise BadRequestData(f"aggrPeriodDuration {raw!r} is shorter than one second")
    return period // dt.timedelta(microseconds=1)


def words(raw: Any, name: str) -> list[str]:
    """A comma-separated parameter, or a JSON array of strings, as a list."""
    if raw is None or isinstance(raw, str):
        return split_list(raw)
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return split_list(",".join(raw))
    raise BadRequestData(f"{name} must be a string or an array of strings")


def parse_methods(raw: Any) -> tuple[str, ...]:
    """``aggrMethods``, checked, in the order given."""
    names = words(raw, "aggrMethods")
    if not names:
        raise BadRequestData("options=aggregatedValues needs aggrMethods, e.g. aggrMethods=avg")
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        raise BadRequestData(
            f"unknown aggrMethods {', '.join(unknown)}: expected some of {', '.join(METHODS)}"
        )
    return tuple(dict.fromkeys(names))


def positive_int(raw: Any, name: str, maximum: int | None = None) -> int | None:
    """A positive integer parameter, None when absent; checked against ``maximum``."""
    if raw is None or raw == "":
        return None
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise BadRequestData(f"{name} must be a positive integer, got {raw!r}") from None
    if number < 1:
        raise BadRequestData(f"{name} must be a positive integer, got {raw!r}")
    if maximum is not None and number > maximum:
        raise BadRequestData(f"{name} is above the maximum of {maximum}")
    return number


def parse_form(options: Any, format_: Any) -> str:
    """normalized, temporalValues or aggregatedValues; other option words are tolerated."""
    given = set(words(options, "options")) | set(words(format_, "format"))
    given = {"temporalValues" if w in ("keyValues", "simplified") else w for w in given}
    forms = given & {"temporalValues", "aggregatedValues"}
    if len(forms) > 1:
        raise BadRequestData("options cannot ask for both temporalValues and aggregatedValues")
    return forms.pop() if forms else "normalized"


def temporal_query(params: Mapping[str, Any], attrs: Sequence[str]) -> TemporalQuery:
    """The checked query of request parameters (or of a Query body's temporalQ)."""
    timeproperty = params.get("timeproperty") or "observedAt"
    if timeproperty in ("createdAt", "modifiedAt"):
        raise OperationNotSupported(
            f"timeproperty={timeproperty} is not kept: the history is by observedAt only"
        )
    if timeproperty != "observedAt":
        raise BadRequestData(f"unknown timeproperty {timeproperty!r}: expected observedAt")
    window = parse_window(
        params.get("timerel"),
        params.get("timeAt") or params.get("time"),
        params.get("endTimeAt") or params.get("endTime"),
    )
    form = parse_form(params.get("options"), params.get("format"))
    aggregated = form == "aggregatedValues"
    return TemporalQuery(
        window=window,
        last_n=positive_int(params.get("lastN"), "lastN"),
        form=form,
        methods=parse_methods(params.get("aggrMethods")) if aggregated else (),
        period_us=parse_duration(params.get("aggrPeriodDuration")) if aggregated else 0,
        attrs=tuple(attrs),
    )
