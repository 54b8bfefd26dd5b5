"""DCAT-AP 3 graphs of the catalogue (what data.gouv.fr harvests) and schema.org JSON-LD.

Pure functions: they read loaded datasets and never touch the session.
"""

from __future__ import annotations

import datetime as dt
import math
import mimetypes
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from servicielle.catalog.ckan.dictize import resource_url
from servicielle.catalog.models import (
    Dataset,
    DatasetStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from servicielle.catalog.schemas import UnknownSchema, get_schema
from servicielle.catalog.vocabularies import FREQUENCIES, FREQUENCY_URI, LICENCES, THEME_URI

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SCHEMA = Namespace("https://schema.org/")

PREFIXES: dict[str, Namespace] = {
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "vcard": VCARD,
    "spdx": SPDX,
    "hydra": HYDRA,
    "adms": ADMS,
    "dcatap": DCATAP,
    "schema": SCHEMA,
    "xsd": Namespace(str(XSD)),
}
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
}
DEFAULT_PAGE_SIZE = 100

EU = "http://publications.europa.eu/resource/authority/"
FRENCH = URIRef(f"{EU}language/FRA")
PUBLIC_ACCESS = URIRef(f"{EU}access-right/PUBLIC")
STATUS_URI = f"{EU}dataset-status/"
FILE_TYPE_URI = f"{EU}file-type/"
IANA_URI = "https://www.iana.org/assignments/media-types/"
COMMUNE_URI = "http://id.insee.fr/geo/commune/"
SCHEMA_BASE = "https://schema.data.gouv.fr/schemas"
# Formats of the EU file-type vocabulary data.gouv.fr maps back to its own format names.
EU_FILE_TYPES = frozenset(
    "CSV TSV JSON GEOJSON XML XLS XLSX ODS PDF ZIP PARQUET SHP KML GPKG HTML TXT RDF_XML".split()
)
MIMETYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def _uri(base_url: str, *parts: str) -> URIRef:
    return URIRef("/".join((base_url.rstrip("/"), *parts)))


def dataset_uri(base_url: str, dataset: Dataset) -> URIRef:
    """The dataset's stable URI: built on its id, so a new slug never duplicates it."""
    return _uri(base_url, "datasets", dataset.id)


def landing_page(base_url: str, dataset: Dataset) -> str:
    """The dataset's human page."""
    return f"{base_url.rstrip('/')}/donnees/{dataset.slug}"


def last_modified(dataset: Dataset) -> dt.datetime:
    """When the metadata or the data last changed, whichever is later."""
    return max(dataset.modified_at, dataset.data_modified)


def schema_url(name: str, version: str | None) -> str:
    """The schema.data.gouv.fr URL of a Table Schema, for ``dct:conformsTo``."""
    try:
        info = get_schema(name)
    except UnknownSchema:
        # Not shipped here: the schema.data.gouv.fr pattern still names it.
        return f"{SCHEMA_BASE}/{name}/{version or 'latest'}/schema.json"
    if version and version != info.version:
        # The resource was checked against an older version than the shipped one.
        return info.url.replace(f"/{info.version}/", f"/{version}/")
    return info.url


def download_url(base_url: str, dataset: Dataset, resource: Resource) -> str:
    """Where the resource's content is fetched."""
    return resource_url(base_url, resource, dataset.slug)


def _mimetype(resource: Resource) -> str | None:
    mimetype = resource.mimetype or mimetypes.guess_type(f"x.{resource.format.lower()}")[0]
    return mimetype if mimetype and MIMETYPE.match(mimetype) else None


def _publisher(graph: Graph, base_url: str, dataset: Dataset) -> URIRef | BNode | None:
    organisation = dataset.organisation if dataset.organisation_id else None
    if organisation is not None:
        node: URIRef | BNode = _uri(base_url, "donnees", "organisations", organisation.slug)
        graph.add((node, RDF.type, FOAF.Organization))
        graph.add((node, FOAF.name, Literal(organisation.name)))
        if organisation.website:
            graph.add((node, FOAF.homepage, URIRef(organisation.website)))
        return node
    if dataset.community_author:
        node = BNode()
        graph.add((node, RDF.type, FOAF.Agent))
        graph.add((node, FOAF.name, Literal(dataset.community_author)))
        return node
    return None


def _contact_point(graph: Graph, dataset: Dataset) -> BNode | None:
    organisation = dataset.organisation if dataset.organisation_id else None
    email = dataset.contact_email or (organisation.email if organisation else None)
    name = dataset.contact_name or (organisation.name if organisation else None)
    if not (email or name):
        return None
    node = BNode()
    graph.add((node, RDF.type, VCARD.Kind))
    if name:
        graph.add((node, VCARD.fn, Literal(name)))
    if email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    return node


def _distribution(
    graph: Graph, base_url: str, dataset: Dataset, resource: Resource, licence: URIRef | None
) -> URIRef:
    node = _uri(base_url, "datasets", dataset.id, "resources", resource.id)
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.identifier, Literal(resource.id)))
    graph.add((node, DCTERMS.title, Literal(resource.title)))
    if resource.description:
        graph.add((node, DCTERMS.description, Literal(resource.description)))
    url = download_url(base_url, dataset, resource)
    if resource.kind == ResourceKind.API and url:
        # A third-party API is accessed, not downloaded.
        graph.add((node, DCAT.accessURL, URIRef(url)))
    else:
        graph.add((node, DCAT.accessURL, URIRef(landing_page(base_url, dataset))))
        if url:
            graph.add((node, DCAT.downloadURL, URIRef(url)))
    code = resource.format.upper()
    if code:
        kind = URIRef(FILE_TYPE_URI + code) if code in EU_FILE_TYPES else Literal(code)
        graph.add((node, DCTERMS["format"], kind))
    mimetype = _mimetype(resource)
    if mimetype:
        graph.add((node, DCAT.mediaType, URIRef(IANA_URI + mimetype)))
    if resource.size is not None:
        graph.add((node, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
    if resource.checksum:
        checksum = BNode()
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        # A plain literal, not xsd:hexBinary: udata stores the value as the string it reads.
        graph.add((checksum, SPDX.checksumValue, Literal(resource.checksum)))
    if licence is not None:
        graph.add((node, DCTERMS.license, licence))
    graph.add((node, DCTERMS.issued, Literal(resource.created_at)))
    graph.add((node, DCTERMS.modified, Literal(resource.last_modified or resource.modified_at)))
    if resource.schema_name:
        conforms = schema_url(resource.schema_name, resource.schema_version)
        graph.add((node, DCTERMS.conformsTo, URIRef(conforms)))
    return node


def _api_distribution(
    graph: Graph, base_url: str, dataset: Dataset, licence: URIRef | None
) -> URIRef:
    # A distribution of its own: udata types any distribution with an accessService as an
    # API, which would hide the file download of the tabular resource itself.
    node = _uri(base_url, "datasets", dataset.id, "api")
    service = _uri(base_url, "datasets", dataset.id, "service")
    endpoint = URIRef(
        f"{base_url.rstrip('/')}/api/explore/v2.1/catalog/datasets/{dataset.slug}/records"
    )
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, Literal(f"API : {dataset.title}")))
    graph.add((node, DCAT.accessURL, endpoint))
    graph.add((node, DCTERMS["format"], Literal("API")))
    graph.add((node, DCAT.accessService, service))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCTERMS.title, Literal(f"API : {dataset.title}")))
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, DCAT.servesDataset, dataset_uri(base_url, dataset)))
    if licence is not None:
        graph.add((node, DCTERMS.license, licence))
        graph.add((service, DCTERMS.license, licence))
    return node


def add_dataset(graph: Graph, dataset: Dataset, *, base_url: str) -> URIRef:
    """Add one dataset, its distributions and agents to ``graph``; return its node."""
    node = dataset_uri(base_url, dataset)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(dataset.id)))
    graph.add((node, DCTERMS.title, Literal(dataset.title)))
    graph.add((node, DCTERMS.description, Literal(dataset.description or dataset.title)))
    page = URIRef(landing_page(base_url, dataset))
    graph.add((node, DCAT.landingPage, page))
    graph.add((page, RDF.type, FOAF.Document))
    for keyword in dataset.values("keyword"):
        graph.add((node, DCAT.keyword, Literal(keyword)))
    for theme in dataset.values("theme"):
        graph.add((node, DCAT.theme, URIRef(THEME_URI + theme)))
    graph.add((node, DCTERMS.issued, Literal(dataset.created_at)))
    graph.add((node, DCTERMS.modified, Literal(last_modified(dataset))))
    frequency = FREQUENCIES.get(dataset.frequency)
    if frequency is not None:
        graph.add((node, DCTERMS.accrualPeriodicity, URIRef(FREQUENCY_URI + frequency.eu_code)))
    if dataset.temporal_start or dataset.temporal_end:
        # A blank node: udata fetches a period given by URI from the network.
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end)))
    for code in dataset.values("commune"):
        place = URIRef(COMMUNE_URI + code)
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
    publisher = _publisher(graph, base_url, dataset)
    if publisher is not None:
        graph.add((node, DCTERMS.publisher, publisher))
    contact = _contact_point(graph, dataset)
    if contact is not None:
        graph.add((node, DCAT.contactPoint, contact))
    graph.add((node, DCTERMS.accessRights, PUBLIC_ACCESS))
    status = "DEPRECATED" if dataset.status == DatasetStatus.ARCHIVED else "COMPLETED"
    graph.add((node, ADMS.status, URIRef(STATUS_URI + status)))
    known = LICENCES.get(dataset.licence)
    licence = URIRef(known.url) if known and known.url else None
    if licence is not None:
        # On the dataset too: data.gouv.fr guesses the licence of resource-less datasets.
        graph.add((node, DCTERMS.license, licence))
    published = [r for r in dataset.resources if r.status == ResourceStatus.PUBLISHED]
    for resource in published:
        graph.add(
            (node, DCAT.distribution, _distribution(graph, base_url, dataset, resource, licence))
        )
    if any(r.datastore_active for r in published):
        graph.add((node, DCAT.distribution, _api_distribution(graph, base_url, dataset, licence)))
    return node


def new_graph() -> Graph:
    """An empty graph with the DCAT-AP prefixes bound."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def dataset_graph(dataset: Dataset, *, base_url: str) -> Graph:
    """The DCAT-AP graph of one dataset."""
    graph = new_graph()
    add_dataset(graph, dataset, base_url=base_url)
    return graph


def page_url(
    base_url: str, fmt: str, page: int, page_size: int, params: Mapping[str, str] | None = None
) -> str:
    """URL of one catalogue page, keeping the filters so every page lists the same set."""
    query: dict[str, str | int] = {"page": page}
    if page_size != DEFAULT_PAGE_SIZE:
        query["page_size"] = page_size
    query.update({k: v for k, v in (params or {}).items() if v})
    return f"{base_url.rstrip('/')}/catalog.{fmt}?{urlencode(query)}"


def catalog_graph(
    datasets: Iterable[Dataset],
    *,
    base_url: str,
    site_name: str,
    page: int,
    page_size: int,
    total: int,
    fmt: str = "ttl",
    publisher: str | None = None,
    params: Mapping[str, str] | None = None,
) -> Graph:
    """The catalogue with one page of datasets and its Hydra paging."""
    graph = new_graph()
    base = base_url.rstrip("/")
    catalog = _uri(base, "catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(site_name)))
    # French: data.gouv.fr shows the catalogue description as it is.
    description = f"Données ouvertes publiées par {publisher or site_name}."
    graph.add((catalog, DCTERMS.description, Literal(description)))
    graph.add((catalog, DCTERMS.language, FRENCH))
    graph.add((catalog, FOAF.homepage, URIRef(f"{base}/")))
    agent = BNode()
    graph.add((catalog, DCTERMS.publisher, agent))
    graph.add((agent, RDF.type, FOAF.Organization))
    graph.add((agent, FOAF.name, Literal(publisher or site_name)))
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, dataset, base_url=base)))

    last = max(1, math.ceil(total / page_size))

    def url(number: int) -> URIRef:
        return URIRef(page_url(base, fmt, number, page_size, params))

    # Hydra Core: the catalogue is the collection, this page one view of it (udata reads it).
    view = url(page)
    graph.add((catalog, RDF.type, HYDRA.Collection))
    graph.add((catalog, HYDRA.totalItems, Literal(total)))
    graph.add((catalog, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.totalItems, Literal(total)))
    graph.add((view, HYDRA.itemsPerPage, Literal(page_size)))
    graph.add((view, HYDRA.first, url(1)))
    graph.add((view, HYDRA.last, url(last)))
    # The legacy PagedCollection that ckanext-dcat writes and its harvester reads; a
    # separate node, since udata picks the first node of either class.
    legacy = BNode()
    graph.add((legacy, RDF.type, HYDRA.PagedCollection))
    graph.add((legacy, HYDRA.totalItems, Literal(total)))
    graph.add((legacy, HYDRA.itemsPerPage, Literal(page_size)))
    graph.add((legacy, HYDRA.firstPage, url(1)))
    graph.add((legacy, HYDRA.lastPage, url(last)))
    if page < last:
        graph.add((view, HYDRA.next, url(page + 1)))
        graph.add((legacy, HYDRA.nextPage, url(page + 1)))
    if page > 1:
        previous = url(min(page - 1, last))
        graph.add((view, HYDRA.previous, previous))
        graph.add((legacy, HYDRA.previousPage, previous))
    return graph


def serialize(graph: Graph, fmt: str) -> tuple[bytes, str]:
    """The graph in ``fmt`` (ttl, jsonld or rdf) and its media type; KeyError otherwise."""
    syntax, media_type = FORMATS[fmt]
    if syntax == "json-ld":
        # An inline prefix context compacts the keys and still parses offline.
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        data = graph.serialize(format=syntax, context=context, auto_compact=True, encoding="utf-8")
    else:
        data = graph.serialize(format=syntax, encoding="utf-8")
    return data, media_type


def schema_org(
    dataset: Dataset, *, base_url: str, commune_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The schema.org ``Dataset`` JSON-LD of a dataset page (search engines read it)."""
    base = base_url.rstrip("/")
    names = commune_names or {}
    organisation = dataset.organisation if dataset.organisation_id else None
    out: dict[str, Any] = {
        # An inline @vocab instead of the remote schema.org context: parseable offline.
        "@context": {"@vocab": str(SCHEMA)},
        "@type": "Dataset",
        "@id": str(dataset_uri(base, dataset)),
        "name": dataset.title,
        "description": dataset.description or dataset.title,
        "url": landing_page(base, dataset),
        "identifier": dataset.id,
        "keywords": dataset.values("keyword"),
        "isAccessibleForFree": True,
        "inLanguage": "fr",
        "datePublished": dataset.created_at.isoformat(),
        "dateModified": last_modified(dataset).isoformat(),
    }
    licence = LICENCES.get(dataset.licence)
    if licence and licence.url:
        out["license"] = licence.url
    if organisation is not None:
        agent = {
            "@type": "Organization",
            "name": organisation.name,
            "url": f"{base}/donnees/organisations/{organisation.slug}",
        }
        out["creator"] = out["publisher"] = agent
    elif dataset.community_author:
        out["creator"] = {"@type": "Person", "name": dataset.community_author}
    if dataset.temporal_start or dataset.temporal_end:
        start = dataset.temporal_start.isoformat() if dataset.temporal_start else ".."
        end = dataset.temporal_end.isoformat() if dataset.temporal_end else ".."
        out["temporalCoverage"] = f"{start}/{end}"
    places = [
        {
            "@type": "Place",
            "name": names.get(code, code),
            "identifier": code,
            "sameAs": COMMUNE_URI + code,
        }
        for code in dataset.values("commune")
    ]
    if places:
        out["spatialCoverage"] = places
    distribution = []
    for resource in dataset.resources:
        url = download_url(base, dataset, resource)
        if resource.status != ResourceStatus.PUBLISHED or not url:
            continue
        item = {"@type": "DataDownload", "name": resource.title, "contentUrl": url}
        item["encodingFormat"] = _mimetype(resource) or resource.format.upper()
        distribution.append(item)
    if distribution:
        out["distribution"] = distribution
    return out
