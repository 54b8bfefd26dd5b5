"""Reading Open311 parameters: suffixes, W3C dates, GET filters and the POST form."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from servicielle.core.errors import BadRequest, NotFound
from servicielle.core.i18n import _
from servicielle.core.ids import is_id, whole_number
from servicielle.core.photos import MAX_UPLOAD_BYTES
from servicielle.reports.models import ReportStatus
from servicielle.reports.open311.formats import FORMATS, xml_text
from servicielle.reports.questions import AnswerInput
from servicielle.reports.schemas import ReportDraft, ReportFilters

DEFAULT_DAYS = 90
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000
MAX_IDS = 1000
# Longer than any id: read as a number (and found nowhere), not refused.
MAX_ID_DIGITS = 40
DEFAULT_RADIUS_M = 1000.0
MAX_RADIUS_M = 100_000.0
# Dates outside these years are typing mistakes, and year 1 overflows date arithmetic.
MIN_YEAR, MAX_YEAR = 1900, 9000
# Our detailed statuses are accepted beside open and closed; unconfirmed ones are never public.
STATUSES = frozenset({"open", "closed"}) | (frozenset(ReportStatus) - {ReportStatus.UNCONFIRMED})

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_MEDIA = re.compile(r"^media(\[\d*\])?$")
# A "+01:00" sent unencoded in a query string arrives as " 01:00".
_SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")
_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def split_format(name: str) -> tuple[str, str]:
    """(stem, format) of a path segment like ``123.json``; XML when there is no suffix."""
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and suffix.lower() in FORMATS:
        return stem, suffix.lower()
    return name, "xml"


def check_format(fmt: str) -> str:
    """``fmt`` if the server speaks it; NotFound otherwise."""
    if fmt.lower() not in FORMATS:
        raise NotFound(_("Unknown format .%(fmt)s: use .xml or .json.") % {"fmt": fmt[:20]})
    return fmt.lower()


def jurisdiction_of(base_url: str) -> str:
    """The jurisdiction this server serves: the host of its address, without ``www.``."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host.removeprefix("www.")


def check_jurisdiction(value: str | None, base_url: str) -> None:
    """An empty jurisdiction_id is no jurisdiction_id; another one than ours is unknown."""
    value = (value or "").strip()
    ours = jurisdiction_of(base_url)
    if value and value.lower() != ours:
        raise NotFound(
            _("Unknown jurisdiction_id %(given)s: this server serves %(ours)s.")
            % {"given": value[:100], "ours": ours}
        )


def parse_datetime(text: str, name: str) -> dt.datetime:
    """A W3C datetime (``2026-01-01``, ``2026-01-01T08:00:00Z``, ``…+01:00``) in UTC.

    A time without a zone is taken as UTC; BadRequest names the parameter otherwise.
    """
    text = text.strip()
    text = _SPACED_OFFSET.sub(r"\1+\2", text)
    if _YEAR.match(text):
        text += "-01-01"
    elif _YEAR_MONTH.match(text):
        text += "-01"
    try:
        if len(text) > 40:
            raise ValueError(text)
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        parsed = parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise BadRequest.on_field(
            name,
            _("%(name)s is not a W3C datetime such as 2026-01-31T08:00:00Z.") % {"name": name},
        ) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise BadRequest.on_field(
            name,
            _("%(name)s must lie between the years %(low)d and %(high)d.")
            % {"name": name, "low": MIN_YEAR, "high": MAX_YEAR},
        )
    return parsed


def _number(text: str, name: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadRequest.on_field(name, _("%(name)s must be a number.") % {"name": name})
    return value


@dataclass
class SearchQuery:
    """A GET requests search: the filters, the page and whether to add the extensions."""

    filters: ReportFilters
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    extensions: bool = False
    # Ids were asked for, none of which any request can have: the answer is empty.
    no_match: bool = False


def clean_text(value: str) -> str:
    """``value`` without the control characters no database column or XML answer can hold."""
    return xml_text(value)


def clean_items(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Items with their control characters dropped (PostgreSQL refuses NUL in text)."""
    return [(clean_text(key), clean_text(value)) for key, value in items]


class Params:
    """Query or form items where an empty value is the same as no value (GeoReport v2)."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in clean_items(items):
            if value.strip():
                self.values.setdefault(key, []).append(value.strip())

    def get(self, name: str) -> str | None:
        """The last non-empty value of ``name``."""
        found = self.values.get(name)
        return found[-1] if found else None

    def listed(self, name: str) -> list[str]:
        """A comma list, which may also be given several times."""
        return [
            part.strip()
            for value in self.values.get(name, [])
            for part in value.split(",")
            if part.strip()
        ]

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number between ``low`` and ``high``."""
        text = self.get(name)
        if text is None:
            return default
        number = whole_number(text)
        if number is None or not low <= number <= high:
            raise BadRequest.on_field(
                name,
                _("%(name)s must be a whole number from %(low)d to %(high)d.")
                % {"name": name, "low": low, "high": high},
            )
        return number

    def flag(self, name: str) -> bool:
        """A boolean: true, false, 1 or 0 (absent is false)."""
        text = (self.get(name) or "false").lower()
        if text not in ("true", "false", "1", "0"):
            raise BadRequest.on_field(name, _("%(name)s must be true or false.") % {"name": name})
        return text in ("true", "1")

    def instant(self, name: str) -> dt.datetime | None:
        """A W3C datetime, or None."""
        text = self.get(name)
        return None if text is None else parse_datetime(text, name)


def _ids(params: Params) -> list[int]:
    texts = params.listed("service_request_id")
    if len(texts) > MAX_IDS:
        raise BadRequest.on_field(
            "service_request_id",
            _("Ask for at most %(n)d service_request_id at once.") % {"n": MAX_IDS},
        )
    numbers = [whole_number(text, max_digits=MAX_ID_DIGITS) for text in texts]
    if any(number is None for number in numbers):
        raise BadRequest.on_field(
            "service_request_id", _("service_request_id is a comma list of numbers.")
        )
    # A number beyond any id is a request that does not exist: no error, nothing found.
    return [number for number in numbers if number is not None and is_id(number)]


def _circle(params: Params) -> tuple[float | None, float | None, float | None]:
    lat, lon, radius = params.get("lat"), params.get("long"), params.get("radius")
    if lat is None and lon is None:
        if radius is not None:
            raise BadRequest.on_field("radius", _("radius needs lat and long."))
        return None, None, None
    if lat is None or lon is None:
        raise BadRequest.on_field("lat", _("Give both lat and long."))
    latitude, longitude = _number(lat, "lat"), _number(lon, "long")
    if not -90 <= latitude <= 90:
        raise BadRequest.on_field("lat", _("lat must lie between -90 and 90."))
    if not -180 <= longitude <= 180:
        raise BadRequest.on_field("long", _("long must lie between -180 and 180."))
    distance = DEFAULT_RADIUS_M if radius is None else _number(radius, "radius")
    if not 0 < distance <= MAX_RADIUS_M:
        raise BadRequest.on_field(
            "radius",
            _("radius is in metres, above 0 and at most %(max)d.") % {"max": int(MAX_RADIUS_M)},
        )
    return latitude, longitude, distance


def parse_search(items: Iterable[tuple[str, str]], now: dt.datetime) -> SearchQuery:
    """The search a GET requests query string asks for (the last 90 days by default)."""
    params = Params(items)
    query = SearchQuery(
        filters=ReportFilters(),
        page=params.integer("page", 1, 1, MAX_PAGE),
        page_size=params.integer("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        extensions=params.flag("extensions"),
    )
    filters = query.filters
    if params.listed("service_request_id"):
        # A list of ids overrides every other filter, even when none of them can exist.
        filters.ids = _ids(params)
        query.no_match = not filters.ids
        return query
    filters.category_codes = params.listed("service_code")
    filters.statuses = [status.lower() for status in params.listed("status")]
    unknown = [status for status in filters.statuses if status not in STATUSES]
    if unknown:
        raise BadRequest.on_field(
            "status",
            _("Unknown status %(status)s: use open or closed.") % {"status": unknown[0][:40]},
        )
    filters.start, filters.end = params.instant("start_date"), params.instant("end_date")
    filters.updated_after = params.instant("updated_after")
    filters.updated_before = params.instant("updated_before")
    for low, high, name in (
        (filters.start, filters.end, "end_date"),
        (filters.updated_after, filters.updated_before, "updated_before"),
    ):
        if low is not None and high is not None and high < low:
            raise BadRequest.on_field(
                name, _("%(name)s comes before the start of the range.") % {"name": name}
            )
    dated = (filters.start, filters.end, filters.updated_after, filters.updated_before)
    if all(instant is None for instant in dated):
        filters.start = now - dt.timedelta(days=DEFAULT_DAYS)
    elif filters.start is None and filters.end is not None:
        filters.start = filters.end - dt.timedelta(days=DEFAULT_DAYS)
    filters.lat, filters.lon, filters.radius = _circle(params)
    return query


@dataclass
class Submission:
    """A POST requests form: its credentials, jurisdiction, report and how it was sent."""

    api_key: str | None
    jurisdiction_id: str | None
    draft: ReportDraft
    account_id: str | None = None
    device_id: str | None = None


def parse_attributes(items: Iterable[tuple[str, str]]) -> dict[str, AnswerInput]:
    """``attribute[code]=v`` and ``attribute[code][]=v1&attribute[code][]=v2`` as answers."""
    answers: dict[str, AnswerInput] = {}
    for key, value in items:
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        code, many = match.group(1), match.group(2) is not None
        previous = answers.get(code)
        if many or previous is not None:
            listed = (
                previous if isinstance(previous, list) else ([] if previous is None else [previous])
            )
            answers[code] = [*listed, value]
        else:
            answers[code] = value
    return answers


def is_media_field(name: str) -> bool:
    """Whether a multipart part named ``name`` carries a photo (``media``, ``media[]``)."""
    return _MEDIA.match(name) is not None


def parse_submission(items: Sequence[tuple[str, str]], photos: list[bytes]) -> Submission:
    """The report a POST requests form describes (query-string items first, then the body)."""
    items = clean_items(items)
    params = Params(items)
    lat, lon = params.get("lat"), params.get("long")
    address = params.get("address_string") or ""
    address_id = params.get("address_id") or ""
    names = [params.get("first_name") or "", params.get("last_name") or ""]
    draft = ReportDraft(
        category_code=params.get("service_code") or "",
        description=params.get("description") or "",
        lat=None if lat is None else _number(lat, "lat"),
        lon=None if lon is None else _number(lon, "long"),
        located_by="device",
        # No address register here: an address_id alone is kept as the place's text.
        address_string=address or address_id,
        answers=parse_attributes(items),
        photos=photos,
        # FixMyStreet may send several; a comma is legal in a URL, so no comma list here.
        media_url=(params.values.get("media_url") or [""])[0],
        reporter_name=" ".join(name for name in names if name),
        reporter_email=params.get("email") or "",
        reporter_phone=params.get("phone") or "",
        channel="open311",
    )
    if not draft.category_code:
        raise BadRequest.on_field("service_code", _("service_code is required."))
    for index, photo in enumerate(photos):
        # The service says so too, but without naming which file.
        if len(photo) > MAX_UPLOAD_BYTES:
            raise BadRequest.on_field(
                f"media[{index}]",
                _("A photo may not exceed %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024},
            )
    return Submission(
        api_key=params.get("api_key"),
        jurisdiction_id=params.get("jurisdiction_id"),
        draft=draft,
        account_id=params.get("account_id"),
        device_id=params.get("device_id"),
    )
