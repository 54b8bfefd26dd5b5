"""Open311 XML and JSON: the same tree, JSON in the Spark form (root dropped, lists bare)."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from fastapi.responses import Response

FORMATS = ("xml", "json")
MEDIA_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# The element each container repeats, as GeoReport v2 names them.
CHILD_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "photos": "photo",
    "notes": "note",
}

# Characters XML 1.0 cannot carry at all, even escaped: a control character pasted into a
# description would otherwise make the whole document unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids, line breaks as ``\\n``.

    XML readers turn a raw carriage return into a line feed anyway: doing it here keeps the
    XML and the JSON saying the same.
    """
    return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def w3c(instant: dt.datetime | None) -> str | None:
    """A W3C datetime in UTC with its ``Z``, to the second; None stays None."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = CHILD_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = xml_text(str(value))


def to_xml(root: str, value: Any) -> bytes:
    """The XML document of ``value`` under ``root``; lists repeat their container's child."""
    element = ET.Element(root)
    _fill(element, value)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {key: _cleaned(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value


def to_json(value: Any) -> bytes:
    """The Spark JSON of ``value``: what the XML holds below its root, text for text."""
    return json.dumps(_cleaned(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(
    fmt: str,
    root: str,
    value: Any,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """An Open311 answer in ``fmt`` (``xml`` or ``json``)."""
    body = to_json(value) if fmt == "json" else to_xml(root, value)
    return Response(body, status_code=status_code, media_type=MEDIA_TYPES[fmt], headers=headers)
