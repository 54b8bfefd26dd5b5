"""CKAN data dicts into the catalog's inputs, and the field names back for errors."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from servicielle.catalog.inputs import DatasetInput, ResourceInput
from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _

# Our field → CKAN's, so a ValidationError names what the client sent.
CKAN_NAMES = {
    "slug": "name",
    "description": "notes",
    "organisation": "owner_org",
    "licence": "license_id",
    "keywords": "tags",
    "themes": "groups",
    "contact_name": "maintainer",
    "contact_email": "maintainer_email",
    "schema_name": "schema",
}
KNOWN_EXTRAS = {"frequency", "temporal_start", "temporal_end"}


def _names(items: Any, key: str = "name") -> list[str]:
    if isinstance(items, str):
        items = [s for s in items.split(",")] if items else []
    if not isinstance(items, list):
        raise InvalidInput.on_field(key, _("Must be a list."))
    return [str(i.get("name", "")) if isinstance(i, dict) else str(i) for i in items]


def _validated(model: type[DatasetInput] | type[ResourceInput], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = {
            CKAN_NAMES.get(str(e["loc"][0]), str(e["loc"][0])) if e["loc"] else "data": e["msg"]
            for e in exc.errors()
        }
        raise InvalidInput.on_fields(_("Some values are invalid."), fields) from None


def dataset_input(data: dict[str, Any], *, full: bool) -> DatasetInput:
    """A DatasetInput from ``package_create``/``update`` (``full``) or ``package_patch``."""
    values: dict[str, Any] = {}
    mapping = {
        "name": "slug",
        "title": "title",
        "notes": "description",
        "owner_org": "organisation",
        "license_id": "licence",
        "maintainer": "contact_name",
        "maintainer_email": "contact_email",
    }
    for ckan, ours in mapping.items():
        if ckan in data:
            values[ours] = data[ckan] if data[ckan] != "" or ours != "contact_email" else None
        elif full and ours not in ("slug", "organisation"):
            values[ours] = None
    if "tags" in data or full:
        values["keywords"] = _names(data.get("tags") or [], "tags")
    if "groups" in data:
        values["themes"] = _names(data["groups"], "groups")
    if "private" in data:
        private = data["private"]
        if isinstance(private, str):
            private = private.lower() == "true"
        values["status"] = "private" if private else "public"
    extras = data.get("extras")
    if isinstance(extras, str):
        try:
            extras = json.loads(extras)
        except ValueError:
            raise InvalidInput.on_field("extras", _("Must be a list.")) from None
    if extras is not None:
        if not isinstance(extras, list):
            raise InvalidInput.on_field("extras", _("Must be a list."))
        other: dict[str, str] = {}
        for item in extras:
            if not isinstance(item, dict) or "key" not in item:
                raise InvalidInput.on_field("extras", _("Each extra needs a key and a value."))
            key, value = str(item["key"]), item.get("value")
            if key in KNOWN_EXTRAS:
                values[key] = value or None
            else:
                other[key] = "" if value is None else str(value)
        values["extras"] = other
    for key in KNOWN_EXTRAS | {"communes", "geozones"}:
        if key in data:
            values[key] = data[key] or None
    if values.get("licence") in ("", None) and "licence" in values:
        values["licence"] = "notspecified" if full else None
    # model_fields_set holds exactly the keys given: a patch changes only those, while an
    # update has set every field above, so it resets what the client left out.
    model: DatasetInput = _validated(DatasetInput, values)
    return model


def resource_input(data: dict[str, Any]) -> ResourceInput:
    """A ResourceInput from ``resource_create``/``patch``."""
    mapping = {
        "name": "title",
        "description": "description",
        "url": "url",
        "format": "format",
        "schema": "schema_name",
        "position": "position",
    }
    values = {ours: data[ckan] for ckan, ours in mapping.items() if ckan in data}
    if values.get("url") == "":
        values["url"] = None
    resource_type = data.get("resource_type")
    if resource_type in ("documentation", "api"):
        values["kind"] = resource_type
    model: ResourceInput = _validated(ResourceInput, values)
    return model
