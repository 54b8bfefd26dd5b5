"""Schemas of Open311 GeoReport v2 answers: an XSD for the XML, JSON Schemas for the JSON.

The JSON Schemas follow open311/schema-validation's (service, services, service-definition,
request, requests), closed to unlisted fields, plus discovery, errors, the POST answer and
tokens. ``date-time`` and ``uri`` are checked here: jsonschema leaves them to optional
packages otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import xmlschema
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource

HERE = Path(__file__).resolve().parent
XSD = HERE / "georeport-v2.xsd"

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _zoned_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value)
    return "T" in value and parsed.tzinfo is not None


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


@lru_cache
def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text())))
        for path in HERE.glob("*.json")
    ]
    return Registry().with_resources(resources)


@lru_cache
def _xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def validate_json(schema: str, document: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` fits ``schema`` (a file name)."""
    contents = json.loads((HERE / schema).read_text())
    Draft7Validator(contents, registry=_registry(), format_checker=FORMATS).validate(document)


def validate_xml(body: bytes, root: str) -> None:
    """Raise unless ``body`` is an Open311 document with the ``root`` element."""
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:80]
    text = body.decode("utf-8")
    _xsd().validate(text)
    found = ET.fromstring(body).tag
    assert found == root, f"root <{found}>, expected <{root}>"
