"""Reading and writing the NGSI-LD entity representation (normalized, keyValues, concise)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import shape

from servicielle.sensors.datamodels import model_of
from servicielle.sensors.ngsild.errors import BadRequestData, InvalidRequest

ATTRIBUTE_TYPES = frozenset(
    {"Property", "Relationship", "GeoProperty", "JsonProperty", "LanguageProperty", "ListProperty"}
)
RESERVED = frozenset({"id", "type", "@context", "createdAt", "modifiedAt", "scope"})
SYSTEM_SUBS = frozenset({"createdAt", "modifiedAt", "instanceId"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:\-.]{0,119}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
MAX_FUTURE = dt.timedelta(hours=1)


@dataclass
class ParsedEntity:
    """An entity as a client sent it, checked: normalized attributes keyed by short name."""

    id: str
    type: str
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)
    context: list[str] = field(default_factory=list)


def check_uri(value: Any, what: str = "id") -> str:
    """``value`` if it is a URI (NGSI-LD ids are URIs), else BadRequestData."""
    if not isinstance(value, str) or not _URI.match(value) or len(value) > 256:
        raise BadRequestData(f"{what} must be a URI such as urn:ngsi-ld:Type:name, got {value!r}")
    return value


def parse_instant(value: Any, what: str) -> dt.datetime:
    """An ISO 8601 instant with a time zone, not in the future beyond clock drift."""
    if not isinstance(value, str):
        raise BadRequestData(f"{what} must be an ISO 8601 date-time string, got {value!r}")
    try:
        instant = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise BadRequestData(f"{what} is not an ISO 8601 date-time: {value!r}") from None
    if instant.tzinfo is None:
        raise BadRequestData(f"{what} has no time zone (add Z for UTC): {value!r}")
    instant = instant.astimezone(dt.UTC)
    if instant > dt.datetime.now(dt.UTC) + MAX_FUTURE:
        raise BadRequestData(f"{what} is in the future: {value!r}")
    if instant.year < 1970:
        raise BadRequestData(f"{what} is before 1970: {value!r}")
    return instant


def format_instant(instant: dt.datetime) -> str:
    """The NGSI-LD form of an instant: UTC with a Z."""
    text = instant.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def check_geometry(value: Any, what: str = "location") -> dict[str, Any]:
    """A GeoJSON geometry with WGS84 coordinates in range."""
    if not isinstance(value, dict) or "type" not in value or "coordinates" not in value:
        raise BadRequestData(f"{what} must be a GeoJSON geometry with type and coordinates")
    try:
        geometry = shape(value)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise BadRequestData(f"{what} is not a valid GeoJSON geometry: {exc}") from None
    if geometry.is_empty:
        raise BadRequestData(f"{what} is an empty geometry")
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise BadRequestData(
            f"{what} has coordinates outside the WGS84 range "
            "(longitude −180..180, latitude −90..90; GeoJSON puts longitude first)"
        )
    return value


def _normalize(name: str, raw: Any) -> dict[str, Any]:
    """Normalized form of one attribute, accepting the concise and keyValues forms too."""
    if isinstance(raw, dict) and raw.get("type") in ATTRIBUTE_TYPES:
        attribute = dict(raw)
    elif isinstance(raw, dict) and "object" in raw:
        attribute = {"type": "Relationship", **raw}
    elif isinstance(raw, dict) and "value" in raw:
        attribute = {"type": "Property", **raw}
    elif isinstance(raw, dict) and "type" in raw and name == "location":
        attribute = {"type": "GeoProperty", "value": raw}
    elif isinstance(raw, dict) and "type" in raw:
        raise BadRequestData(
            f"attribute {name}: unknown attribute type {raw['type']!r}; expected one of "
            + ", ".join(sorted(ATTRIBUTE_TYPES))
        )
    else:
        attribute = {"type": "Property", "value": raw}
    kind = attribute["type"]
    if kind == "Relationship":
        objects = attribute.get("object")
        for target in objects if isinstance(objects, list) else [objects]:
            check_uri(target, f"attribute {name}: object")
    elif "value" not in attribute or attribute["value"] is None:
        raise BadRequestData(f"attribute {name}: a {kind} needs a value")
    if kind == "GeoProperty" or name == "location":
        attribute["type"] = "GeoProperty"
        check_geometry(attribute.get("value"), f"attribute {name}")
    if "observedAt" in attribute:
        attribute["observedAt"] = format_instant(
            parse_instant(attribute["observedAt"], f"attribute {name}: observedAt")
        )
    if "unitCode" in attribute and not isinstance(attribute["unitCode"], str):
        raise BadRequestData(f"attribute {name}: unitCode must be a string")
    for sub in SYSTEM_SUBS:
        attribute.pop(sub, None)
    return attribute


def parse_attributes(
    body: Mapping[str, Any], entity_type: str, *, open_world: bool = True
) -> dict[str, dict[str, Any]]:
    """The attributes of an entity or fragment body, checked against the known model."""
    model = model_of(entity_type)
    attrs: dict[str, dict[str, Any]] = {}
    for name, raw in body.items():
        if name in RESERVED:
            continue
        if not _NAME.match(name):
            raise BadRequestData(f"invalid attribute name {name!r}")
        attribute = _normalize(name, raw)
        spec = model.attributes.get(name) if model else None
        if spec is not None and attribute["type"] == "Property":
            problem = spec.check(attribute["value"])
            if problem:
                raise BadRequestData(f"attribute {name} of {entity_type}: {problem}")
            if spec.unit and "unitCode" not in attribute:
                attribute["unitCode"] = spec.unit
        elif model is not None and spec is None and not open_world and not _common(name):
            raise BadRequestData(f"{entity_type} has no attribute {name!r}")
        attrs[name] = attribute
    return attrs


def _common(name: str) -> bool:
    return name in {
        "location",
        "name",
        "description",
        "address",
        "dateObserved",
        "alternateName",
        "areaServed",
        "dataProvider",
        "owner",
        "seeAlso",
        "source",
    } or name.startswith("ref")


def parse_entity(body: Any, *, open_world: bool = True) -> ParsedEntity:
    """A whole entity (create, upsert)."""
    if not isinstance(body, dict):
        raise InvalidRequest("the entity must be a JSON object")
    entity_id = check_uri(body.get("id"))
    entity_type = body.get("type")
    if not isinstance(entity_type, str) or not _NAME.match(entity_type):
        raise BadRequestData(f"entity {entity_id}: type must be a name, got {entity_type!r}")
    if not open_world and model_of(entity_type) is None:
        raise BadRequestData(f"unknown entity type {entity_type!r}")
    return ParsedEntity(
        entity_id,
        entity_type,
        parse_attributes(body, entity_type, open_world=open_world),
        parse_context(body.get("@context")),
    )


def parse_context(context: Any) -> list[str]:
    """The context URLs of a body; inline context objects are accepted and not kept."""
    items = context if isinstance(context, list) else [context] if context is not None else []
    for item in items:
        if isinstance(item, str):
            check_uri(item, "@context")
        elif not isinstance(item, dict):
            raise BadRequestData(
                "@context must be a URL, a context object or a list of them, "
                f"got {json.dumps(item)}"
            )
    return [item for item in items if isinstance(item, str)]


def simplified(attribute: Mapping[str, Any]) -> Any:
    """The keyValues form of one attribute."""
    if attribute.get("type") == "Relationship":
        return attribute.get("object")
    return attribute.get("value")


def concise(attribute: Mapping[str, Any]) -> Any:
    """The concise form: the type goes, and a lone value becomes the bare value."""
    rest = {k: v for k, v in attribute.items() if k != "type"}
    if list(rest) == ["value"]:
        return rest["value"]
    return rest
