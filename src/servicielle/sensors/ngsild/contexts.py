"""The JSON-LD contexts the hub serves itself: never fetched from the internet at run time.

The core context is built from the term table of ETSI GS CIM 009 (v1.8); each Smart Data
Models domain context from the models the hub knows. Terms stay short in storage: the hub
does not expand them, so any context a client sends is recorded, echoed, never downloaded.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from servicielle.sensors.datamodels import MODELS

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
CORE_CONTEXT_URLS = frozenset(
    {
        CORE_CONTEXT_URL,
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
    }
)
LINK_REL = "http://www.w3.org/ns/json-ld#context"

# Terms by how the core context defines them.
_PLAIN = (
    "accept attrs cacheDuration contextSourceInfo cooldown csf data endpoint entities entity "
    "entityCount error errors format geoQ geoproperty georel idPattern information isActive "
    "lang localOnly location management managementInterval mode notification "
    "notificationTrigger notifierInfo notUpdated observationInterval observationSpace "
    "operationSpace operations q reason receiverInfo refreshRate registrationId "
    "registrationName scope scopeQ showChanges status subscriptionName sysAttrs temporalQ "
    "throttling timeInterval timeout timeproperty timerel timesFailed timesSent triggerReason "
    "unchanged unitCode updated uri"
).split()
_CLASSES = (
    "Attribute AttributeList ContextSourceIdentity ContextSourceNotification "
    "ContextSourceRegistration Date DateTime EntityType EntityTypeInfo EntityTypeList "
    "GeoProperty JsonProperty LanguageProperty ListProperty ListRelationship Notification "
    "Property Relationship Subscription TemporalProperty Time VocabProperty"
).split()
_GEOJSON_CLASSES = (
    "Feature FeatureCollection GeometryCollection LineString MultiLineString MultiPoint "
    "MultiPolygon Point Polygon"
).split()
_DATETIMES = (
    "createdAt deletedAt endAt endTimeAt expiresAt lastFailure lastNotification lastSuccess "
    "modifiedAt notifiedAt observedAt startAt timeAt"
).split()
_LISTS = "avg distinctCount entityList jsons max min stddev sum sumsq totalCount".split()
_VOCABS = (
    "attributeList attributeName attributeNames attributeTypes attributes propertyNames "
    "relationshipNames typeList typeName typeNames watchedAttributes"
).split()
_IDS = "datasetId entityId instanceId subscriptionId success tenant".split()
# Terms whose IRI is not ngsi-ld:<term>.
_RENAMED: dict[str, Any] = {
    "value": "ngsi-ld:hasValue",
    "key": "ngsi-ld:hasKey",
    "object": {"@id": "ngsi-ld:hasObject", "@type": "@id"},
    "objectType": {"@id": "ngsi-ld:hasObjectType", "@type": "@vocab"},
    "vocab": {"@id": "ngsi-ld:hasVocab", "@type": "@vocab"},
    "previousVocab": {"@id": "ngsi-ld:hasPreviousVocab", "@type": "@vocab"},
    "previousObject": {"@id": "ngsi-ld:hasPreviousObject", "@type": "@id"},
    "previousValue": "ngsi-ld:hasPreviousValue",
    "json": {"@id": "ngsi-ld:hasJSON", "@type": "@json"},
    "previousJson": {"@id": "ngsi-ld:hasPreviousJson", "@type": "@json"},
    "languageMap": {"@id": "ngsi-ld:hasLanguageMap", "@container": "@language"},
    "previousLanguageMap": {"@id": "ngsi-ld:hasPreviousLanguageMap", "@container": "@language"},
    "dataset": {"@id": "ngsi-ld:hasDataset", "@container": "@index"},
    "attributeCount": "attributeCount",
    "attributeDetails": "attributeDetails",
    "description": "http://purl.org/dc/terms/description",
    "title": "http://purl.org/dc/terms/title",
    "detail": "ngsi-ld:detail",
    "geometry": "geojson:geometry",
    "properties": "geojson:properties",
    "bbox": {"@container": "@list", "@id": "geojson:bbox"},
    "coordinates": {"@container": "@list", "@id": "geojson:coordinates"},
    "features": {"@container": "@set", "@id": "geojson:features"},
}
_LIST_RENAMED = {
    "languageMaps": "hasLanguageMaps",
    "objectList": "hasObjectList",
    "objects": "hasObjects",
    "objectsLists": "hasObjectsLists",
    "previousObjectList": "hasPreviousObjectList",
    "previousValueList": "hasPreviousValueList",
    "valueList": "hasValueList",
    "valueLists": "hasValueLists",
    "values": "hasValues",
    "vocabs": "hasVocabs",
}


@cache
def core_context() -> dict[str, Any]:
    """The NGSI-LD core context document."""
    terms: dict[str, Any] = {
        "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
        "geojson": "https://purl.org/geojson/vocab#",
        "id": "@id",
        "type": "@type",
    }
    terms.update({name: f"ngsi-ld:{name}" for name in _CLASSES})
    terms.update({name: f"geojson:{name}" for name in _GEOJSON_CLASSES})
    terms.update({name: f"ngsi-ld:{name}" for name in _PLAIN})
    terms.update({n: {"@id": f"ngsi-ld:{n}", "@type": "DateTime"} for n in _DATETIMES})
    terms.update({n: {"@id": f"ngsi-ld:{n}", "@container": "@list"} for n in _LISTS})
    terms.update({n: {"@id": f"ngsi-ld:{n}", "@type": "@vocab"} for n in _VOCABS})
    terms.update({n: {"@id": f"ngsi-ld:{n}", "@type": "@id"} for n in _IDS})
    terms.update(
        {n: {"@id": f"ngsi-ld:{iri}", "@container": "@list"} for n, iri in _LIST_RENAMED.items()}
    )
    terms.update(_RENAMED)
    terms["@vocab"] = "https://uri.etsi.org/ngsi-ld/default-context/"
    return {"@context": dict(sorted(terms.items()))}


_COMMON_TERMS = (
    "address alternateName areaServed dataProvider dateCreated dateModified dateObserved "
    "name owner seeAlso source refDevice"
).split()


@cache
def domain_contexts() -> dict[str, dict[str, Any]]:
    """Smart Data Models context documents by URL, for the domains of the known models."""
    documents: dict[str, dict[str, Any]] = {}
    for model in MODELS.values():
        base = f"https://smartdatamodels.org/{model.domain}/"
        terms = documents.setdefault(model.context_url, {"@context": {}})["@context"]
        terms[model.type] = base + model.type
        terms.update({name: base + name for name in model.attributes})
        terms.update({name: f"https://smartdatamodels.org/{name}" for name in _COMMON_TERMS})
        terms.update(model.extra_context)
    return documents


def bundled(url: str) -> dict[str, Any] | None:
    """The bundled document served for ``url``, if the hub has it."""
    if url in CORE_CONTEXT_URLS:
        return core_context()
    return domain_contexts().get(url)


def link_header(url: str = CORE_CONTEXT_URL) -> str:
    """The ``Link`` header naming ``url`` as the context of a JSON answer."""
    return f'<{url}>; rel="{LINK_REL}"; type="application/ld+json"'


def context_from_link(header: str | None) -> str | None:
    """The context URL of a ``Link`` header, if it names one."""
    if not header:
        return None
    for part in header.split(","):
        if LINK_REL in part and "<" in part and ">" in part:
            return part[part.index("<") + 1 : part.index(">")].strip()
    return None
