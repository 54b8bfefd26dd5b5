"""DCAT-AP 3 feed: catalogue pages in three syntaxes, Hydra paging, visibility, schema.org."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from rdflib.term import Node
from sqlalchemy.orm import Session

from servicielle.catalog import dcat, dcat_routes, service
from servicielle.catalog.inputs import DatasetInput
from servicielle.catalog.models import Dataset, Resource, ResourceKind, ResourceStatus
from servicielle.config import Settings
from servicielle.core.permissions import Principal, Role
from servicielle.core.territory.models import Commune
from tests.conftest import sign_in_client

ADMIN = Principal(roles=frozenset({Role.ADMINISTRATOR}))
SYNTAXES = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
BASE = "http://testserver"
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-0.98, 45.93], [-0.94, 45.93], [-0.94, 45.96], [-0.98, 45.96], [-0.98, 45.93]]
    ],
}


@pytest.fixture(autouse=True)
def dcat_mounted(app: FastAPI) -> FastAPI:
    """The feed's routes, mounted first unless the catalog manifest already mounts them."""
    paths = {getattr(route, "path", None) for route in app.router.routes}
    if "/catalog.{fmt}" not in paths:
        # In front: a page route ``/donnees/{slug}`` would otherwise answer ``x.ttl``.
        before = len(app.router.routes)
        app.include_router(dcat_routes.router)
        added = app.router.routes[before:]
        del app.router.routes[before:]
        app.router.routes[:0] = added
    return app


@pytest.fixture
def commune(db: Session) -> Commune:
    """Rochefort, with a rough outline."""
    place = Commune(insee_code="17299", name="Rochefort", population=23_000, geometry=SQUARE)
    db.add(place)
    db.flush()
    return place


def make_dataset(db: Session, slug: str, **fields: Any) -> Dataset:
    """A dataset of ``voirie-test`` with one published SCDL link and one draft."""
    data = {
        "slug": slug,
        "title": f"Délibérations {slug}",
        "description": "Les délibérations du conseil.",
        "organisation": "voirie-test",
        "licence": "lov2",
        "frequency": "monthly",
        "keywords": ["conseil", "délibérations"],
        "themes": ["GOVE"],
        "temporal_start": dt.date(2020, 1, 1),
        "temporal_end": dt.date(2024, 12, 31),
        "contact_email": "opendata@example.fr",
        **fields,
    }
    dataset = service.create_dataset(db, ADMIN, DatasetInput(**data))
    dataset.resources.append(
        Resource(
            title="Délibérations 2024",
            kind=ResourceKind.REMOTE,
            url=f"https://files.example.fr/{slug}.csv",
            format="csv",
            mimetype="text/csv",
            size=2048,
            checksum="ab" * 32,
            schema_name="scdl/deliberations",
            status=ResourceStatus.PUBLISHED,
        )
    )
    dataset.resources.append(
        Resource(
            title="Brouillon",
            kind=ResourceKind.REMOTE,
            url=f"https://files.example.fr/{slug}-draft.csv",
            format="csv",
            status=ResourceStatus.DRAFT,
            position=1,
        )
    )
    db.flush()
    return dataset


def parse(body: bytes, fmt: str) -> Graph:
    """The graph a harvester reads from a response body."""
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser wraps the graph in a ConjunctiveGraph and warns about it.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=body, format=SYNTAXES[fmt])


def dataset_node(graph: Graph, dataset: Dataset) -> Node:
    """The node whose dct:identifier is the dataset's id."""
    nodes = list(graph.subjects(DCTERMS.identifier, Literal(dataset.id)))
    assert len(nodes) == 1
    return nodes[0]


def dataset_ids(graph: Graph) -> set[str]:
    """Identifiers of the dcat:Dataset nodes."""
    return {
        str(graph.value(node, DCTERMS.identifier))
        for node in graph.subjects(RDF.type, DCAT.Dataset)
    }


class TestCatalogue:
    @pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
    def test_every_syntax_parses_with_the_harvested_triples(
        self, client: TestClient, db: Session, roles: dict[str, Any], commune: Commune, fmt: str
    ) -> None:
        first = make_dataset(db, "deliberations-a", communes=["17299"])
        second = make_dataset(db, "deliberations-b", frequency="annual")
        response = client.get(f"/catalog.{fmt}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(dcat.FORMATS[fmt][1])
        graph = parse(response.content, fmt)
        assert dataset_ids(graph) == {first.id, second.id}
        catalog = URIRef(f"{BASE}/catalog")
        assert (catalog, RDF.type, DCAT.Catalog) in graph
        assert len(list(graph.objects(catalog, DCAT.dataset))) == 2
        node = dataset_node(graph, first)
        assert node == URIRef(f"{BASE}/datasets/{first.id}")
        assert graph.value(node, DCAT.landingPage) == URIRef(f"{BASE}/donnees/deliberations-a")
        assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(
            "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
        )
        assert graph.value(node, DCAT.theme) == URIRef(
            "http://publications.europa.eu/resource/authority/data-theme/GOVE"
        )
        assert {str(k) for k in graph.objects(node, DCAT.keyword)} == {"conseil", "délibérations"}
        assert graph.value(node, DCTERMS.spatial) == URIRef("http://id.insee.fr/geo/commune/17299")
        period = graph.value(node, DCTERMS.temporal)
        assert period is not None
        assert graph.value(period, DCAT.startDate) == Literal(dt.date(2020, 1, 1))
        publisher = graph.value(node, DCTERMS.publisher)
        assert str(graph.value(publisher, dcat.PREFIXES["foaf"].name)) == "Voirie Test"
        contact = graph.value(node, DCAT.contactPoint)
        assert graph.value(contact, dcat.VCARD.hasEmail) == URIRef("mailto:opendata@example.fr")

        distributions = list(graph.objects(node, DCAT.distribution))
        assert len(distributions) == 1  # the draft stays out
        distribution = distributions[0]
        assert graph.value(distribution, DCAT.downloadURL) == URIRef(
            "https://files.example.fr/deliberations-a.csv"
        )
        assert graph.value(distribution, DCTERMS.license) == URIRef(
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
        )
        conforms = str(graph.value(distribution, DCTERMS.conformsTo))
        assert conforms.startswith("https://schema.data.gouv.fr/schemas/scdl/deliberations/")
        assert conforms.endswith("/schema.json")
        assert graph.value(distribution, DCAT.mediaType) == URIRef(
            "https://www.iana.org/assignments/media-types/text/csv"
        )
        assert graph.value(distribution, DCAT.byteSize).toPython() == 2048  # type: ignore[union-attr]
        checksum = graph.value(distribution, dcat.SPDX.checksum)
        assert str(graph.value(checksum, dcat.SPDX.checksumValue)) == "ab" * 32

    def test_private_and_deleted_datasets_never_appear(
        self, client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
    ) -> None:
        public = make_dataset(db, "publique")
        make_dataset(db, "privee", status="private")
        deleted = make_dataset(db, "supprimee")
        service.delete_dataset(db, deleted)
        graph = parse(client.get("/catalog.ttl").content, "ttl")
        assert dataset_ids(graph) == {public.id}
        for slug in ("privee", "supprimee", "inconnue"):
            assert client.get(f"/donnees/{slug}.ttl").status_code == 404
        # Not even for a member of the publishing organisation: the feed is open data only.
        sign_in_client(client, db, settings, roles["agent"])
        graph = parse(client.get("/catalog.jsonld").content, "jsonld")
        assert dataset_ids(graph) == {public.id}
        assert client.get("/donnees/privee.ttl").status_code == 200

    def test_unknown_format_is_not_found(self, client: TestClient, db: Session, roles: Any) -> None:
        make_dataset(db, "publique")
        assert client.get("/catalog.csv").status_code == 404
        assert client.get("/donnees/publique.csv").status_code == 404

    def test_text_and_modified_since_filter(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        recent = make_dataset(db, "budget-primitif", title="Budget primitif")
        old = make_dataset(db, "deliberations-anciennes")
        old.modified_at = old.data_modified = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
        db.flush()
        graph = parse(client.get("/catalog.ttl", params={"q": "budget"}).content, "ttl")
        assert dataset_ids(graph) == {recent.id}
        response = client.get("/catalog.ttl", params={"modified_since": "2010-06-30"})
        assert dataset_ids(parse(response.content, "ttl")) == {recent.id}
        response = client.get("/catalog.ttl", params={"modified_since": "2000-12-31T23:00:00"})
        assert dataset_ids(parse(response.content, "ttl")) == {recent.id, old.id}
        assert client.get("/catalog.ttl", params={"modified_since": "hier"}).status_code == 422

    def test_datastore_resources_add_an_api_distribution(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        dataset = make_dataset(db, "equipements")
        dataset.resources.append(
            Resource(
                title="Équipements en direct",
                kind=ResourceKind.LIVE,
                format="csv",
                live_source="test.equipements",
                position=2,
            )
        )
        db.flush()
        graph = parse(client.get("/donnees/equipements.ttl").content, "ttl")
        node = dataset_node(graph, dataset)
        services = [
            graph.value(d, DCAT.accessService) for d in graph.objects(node, DCAT.distribution)
        ]
        [api] = [s for s in services if s is not None]
        assert graph.value(api, DCAT.endpointURL) == URIRef(
            f"{BASE}/api/explore/v2.1/catalog/datasets/equipements/records"
        )
        downloads = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
        assert f"{BASE}/api/explore/v2.1/catalog/datasets/equipements/exports/csv" in downloads


class TestPaging:
    def test_hydra_pages(self, client: TestClient, db: Session, roles: dict[str, Any]) -> None:
        created = {make_dataset(db, f"jeu-{n}").id for n in range(5)}
        seen: set[str] = set()
        for number in (1, 2, 3):
            response = client.get("/catalog.ttl", params={"page": number, "page_size": 2})
            graph = parse(response.content, "ttl")
            ids = dataset_ids(graph)
            assert len(ids) == (1 if number == 3 else 2)
            assert not ids & seen
            seen |= ids
            view = URIRef(f"{BASE}/catalog.ttl?page={number}&page_size=2")
            assert (view, RDF.type, dcat.HYDRA.PartialCollectionView) in graph
            assert graph.value(view, dcat.HYDRA.totalItems).toPython() == 5  # type: ignore[union-attr]
            assert graph.value(view, dcat.HYDRA.itemsPerPage).toPython() == 2  # type: ignore[union-attr]
            assert graph.value(view, dcat.HYDRA.last) == URIRef(
                f"{BASE}/catalog.ttl?page=3&page_size=2"
            )
            legacy = graph.value(predicate=RDF.type, object=dcat.HYDRA.PagedCollection)
            assert graph.value(legacy, dcat.HYDRA.totalItems).toPython() == 5  # type: ignore[union-attr]
            following = graph.value(view, dcat.HYDRA.next)
            if number < 3:
                expected = URIRef(f"{BASE}/catalog.ttl?page={number + 1}&page_size=2")
                assert following == expected
                assert graph.value(legacy, dcat.HYDRA.nextPage) == expected
            else:
                assert following is None
                assert graph.value(legacy, dcat.HYDRA.nextPage) is None
            previous = graph.value(view, dcat.HYDRA.previous)
            assert (previous is None) == (number == 1)
        assert seen == created

    def test_filters_stay_in_the_page_links(
        self, client: TestClient, db: Session, roles: dict[str, Any]
    ) -> None:
        for n in range(3):
            make_dataset(db, f"budget-{n}", title=f"Budget {n}")
        response = client.get("/catalog.rdf", params={"page_size": 1, "q": "budget"})
        graph = parse(response.content, "rdf")
        view = graph.value(predicate=RDF.type, object=dcat.HYDRA.PartialCollectionView)
        assert str(graph.value(view, dcat.HYDRA.next)) == (
            f"{BASE}/catalog.rdf?page=2&page_size=1&q=budget"
        )

    def test_page_size_is_bounded(self, client: TestClient) -> None:
        assert client.get("/catalog.ttl", params={"page_size": 1001}).status_code == 422
        assert client.get("/catalog.ttl", params={"page": 0}).status_code == 422


class TestOneDataset:
    @pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
    def test_serialisations_parse(
        self, client: TestClient, db: Session, roles: dict[str, Any], fmt: str
    ) -> None:
        dataset = make_dataset(db, "arretes")
        response = client.get(f"/donnees/arretes.{fmt}")
        assert response.status_code == 200, response.text
        graph = parse(response.content, fmt)
        assert dataset_ids(graph) == {dataset.id}
        # By id as well as by slug.
        assert client.get(f"/donnees/{dataset.id}.{fmt}").status_code == 200

    def test_uri_survives_a_new_slug(self, db: Session, roles: dict[str, Any]) -> None:
        dataset = make_dataset(db, "ancien-nom")
        before = dcat.dataset_uri(BASE, dataset)
        service.update_dataset(db, ADMIN, dataset, DatasetInput(slug="nouveau-nom"), {"slug"})
        assert dcat.dataset_uri(BASE, dataset) == before
        graph = dcat.dataset_graph(dataset, base_url=BASE)
        assert graph.value(before, DCAT.landingPage) == URIRef(f"{BASE}/donnees/nouveau-nom")


class TestSchemaOrg:
    def test_json_ld_parses_offline(
        self, db: Session, roles: dict[str, Any], commune: Commune
    ) -> None:
        dataset = make_dataset(db, "subventions", communes=["17299"])
        data = dcat.schema_org(dataset, base_url=BASE, commune_names={"17299": "Rochefort"})
        assert data["temporalCoverage"] == "2020-01-01/2024-12-31"
        assert data["isAccessibleForFree"] is True
        assert data["spatialCoverage"][0]["name"] == "Rochefort"
        assert data["distribution"] == [
            {
                "@type": "DataDownload",
                "name": "Délibérations 2024",
                "contentUrl": "https://files.example.fr/subventions.csv",
                "encodingFormat": "text/csv",
            }
        ]
        graph = parse(json.dumps(data).encode(), "jsonld")
        node = graph.value(predicate=RDF.type, object=dcat.SCHEMA.Dataset)
        assert node == URIRef(f"{BASE}/datasets/{dataset.id}")
        assert str(graph.value(node, dcat.SCHEMA.name)) == "Délibérations subventions"
        assert str(graph.value(node, dcat.SCHEMA.license)) == (
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
        )
        publisher = graph.value(node, dcat.SCHEMA.publisher)
        assert str(graph.value(publisher, dcat.SCHEMA.name)) == "Voirie Test"
