"""Properties of the Open311 parameter parsers and of the XML writer."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicielle.core.errors import BadRequest, NotFound
from servicielle.reports.open311.formats import to_json, to_xml, w3c, xml_text
from servicielle.reports.open311.params import (
    DEFAULT_DAYS,
    check_jurisdiction,
    jurisdiction_of,
    parse_attributes,
    parse_datetime,
    parse_search,
    parse_submission,
    split_format,
)

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
codes = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="[]"),
    min_size=1,
    max_size=20,
)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
answers = st.dictionaries(codes, st.one_of(values, st.lists(values, min_size=1, max_size=4)))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=offsets
)


@given(answers)
def test_attributes_survive_form_encoding(sent: dict[str, str | list[str]]) -> None:
    items: list[tuple[str, str]] = []
    for code, value in sent.items():
        if isinstance(value, list):
            items += [(f"attribute[{code}][]", one) for one in value]
        else:
            items.append((f"attribute[{code}]", value))
    body = urlencode(items + [("service_code", "x"), ("attributes", "ignored")])
    assert parse_attributes(parse_qsl(body, keep_blank_values=True)) == sent


def test_repeated_plain_attribute_keys_make_a_list() -> None:
    items = [("attribute[a]", "1"), ("attribute[a]", "2"), ("attribute[b][]", "3")]
    assert parse_attributes(items) == {"a": ["1", "2"], "b": ["3"]}
    assert parse_attributes([("attribute[]", "x"), ("attribute[a][b]", "y")]) == {}


@given(instants)
def test_w3c_datetimes_read_back_to_the_same_instant(instant: dt.datetime) -> None:
    text = instant.replace(microsecond=0).isoformat()
    parsed = parse_datetime(text, "start_date")
    assert parsed == instant.replace(microsecond=0)
    assert parsed.tzinfo == dt.UTC
    # A "+" left unencoded in a query string arrives as a space.
    assert parse_datetime(text.replace("+", " "), "start_date") == parsed
    assert parse_datetime(w3c(parsed) or "", "start_date") == parsed


def test_w3c_short_forms_and_zones() -> None:
    assert parse_datetime("2026", "d") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert parse_datetime("2026-03", "d") == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert parse_datetime("2026-03-05", "d") == dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    assert parse_datetime("2026-03-05T10:00:00Z", "d") == dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC)
    assert parse_datetime("2026-03-05T10:00+01:00", "d") == dt.datetime(
        2026, 3, 5, 9, tzinfo=dt.UTC
    )


@given(st.text(max_size=50))
def test_any_text_is_a_datetime_or_a_bad_request_naming_it(text: str) -> None:
    failure: BadRequest | None = None
    try:
        parsed = parse_datetime(text, "end_date")
    except BadRequest as exc:
        failure = exc
    if failure is not None:
        assert list(failure.by_field()) == ["end_date"]
    else:
        assert parsed.tzinfo == dt.UTC


PARAMETER_NAMES = (
    "service_request_id",
    "service_code",
    "status",
    "start_date",
    "end_date",
    "updated_after",
    "updated_before",
    "page",
    "page_size",
    "lat",
    "long",
    "radius",
    "extensions",
    "jurisdiction_id",
)


@given(st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES), st.text(max_size=30)), max_size=8))
def test_any_query_string_is_a_search_or_a_bad_request(items: list[tuple[str, str]]) -> None:
    failure: BadRequest | None = None
    try:
        query = parse_search(items, NOW)
    except BadRequest as exc:
        failure = exc
    if failure is not None:
        assert set(failure.by_field()) <= set(PARAMETER_NAMES)
        return
    assert 1 <= query.page_size <= 1000
    if not query.filters.ids and not query.no_match:
        assert (
            query.filters.start is not None
            or query.filters.updated_after is not None
            or (query.filters.updated_before is not None)
        )


def test_ids_beyond_any_row_are_skipped_and_alone_match_nothing() -> None:
    query = parse_search([("service_request_id", "2147483648,7,99999999999999999999")], NOW)
    assert (query.filters.ids, query.no_match) == ([7], False)
    alone = parse_search([("service_request_id", "2147483648")], NOW)
    assert (alone.filters.ids, alone.no_match) == ([], True)
    for bad in ("²", "1,٣", "-1"):
        with pytest.raises(BadRequest) as raised:
            parse_search([("service_request_id", bad)], NOW)
        assert list(raised.value.by_field()) == ["service_request_id"]


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31T23:59:59Z", "9001", "9999-12-31"])
def test_dates_outside_1900_to_9000_are_refused(text: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_datetime(text, "end_date")
    assert list(raised.value.by_field()) == ["end_date"]
    with pytest.raises(BadRequest):
        parse_search([("end_date", text)], NOW)


def test_default_search_is_the_last_90_days() -> None:
    query = parse_search([], NOW)
    assert query.filters.start == NOW - dt.timedelta(days=DEFAULT_DAYS)
    assert query.filters.end is None
    assert query.page == 1
    assert query.page_size == 1000
    ids = parse_search([("service_request_id", "3, 1"), ("status", "open")], NOW)
    assert ids.filters.ids == [3, 1]
    assert ids.filters.start is None  # ids override every other filter
    assert ids.filters.statuses == []


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_xml_text_always_parses_back(text: str) -> None:
    document = to_xml("errors", [{"code": 400, "description": text}])
    assert ET.fromstring(document).findtext("error/description", "") == xml_text(text)
    assert json.loads(to_json([{"description": text}])) == [{"description": xml_text(text)}]


def test_split_format() -> None:
    assert split_format("123.json") == ("123", "json")
    assert split_format("123.XML") == ("123", "xml")
    assert split_format("a.b.json") == ("a.b", "json")
    assert split_format("a.b") == ("a.b", "xml")
    assert split_format(".json") == (".json", "xml")


def test_jurisdiction() -> None:
    assert jurisdiction_of("https://www.rochefort-ocean.fr/") == "rochefort-ocean.fr"
    check_jurisdiction("", "https://www.rochefort-ocean.fr")
    check_jurisdiction("Rochefort-Ocean.fr", "https://www.rochefort-ocean.fr")
    with pytest.raises(NotFound):
        check_jurisdiction("issy.fr", "https://www.rochefort-ocean.fr")


def test_submission_fields() -> None:
    items = [
        ("api_key", "svc_query"),
        ("service_code", "nid-de-poule"),
        ("lat", "45.5"),
        ("long", "-1"),
        ("first_name", "Jean"),
        ("last_name", ""),
        ("address_id", "#NOTPINPOINTED#"),
        ("media_url", "https://example.org/a,b.jpg"),
        ("media_url", "https://example.org/c.jpg"),
        ("api_key", "svc_body"),
    ]
    submission = parse_submission(items, [b"photo"])
    draft = submission.draft
    assert submission.api_key == "svc_body"  # the body comes after the query string
    assert (draft.lat, draft.lon, draft.reporter_name) == (45.5, -1.0, "Jean")
    assert draft.address_string == "#NOTPINPOINTED#"
    assert draft.media_url == "https://example.org/a,b.jpg"
    assert draft.channel == "open311"
    assert draft.photos == [b"photo"]
    with pytest.raises(BadRequest) as no_code:
        parse_submission([("lat", "1")], [])
    assert "service_code" in no_code.value.by_field()
    with pytest.raises(BadRequest) as bad_lat:
        parse_submission([("service_code", "a"), ("lat", "inf")], [])
    assert "lat" in bad_lat.value.by_field()
