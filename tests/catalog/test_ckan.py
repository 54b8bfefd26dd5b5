"""CKAN Action API over HTTP: envelope, errors, datasets, search, resources, datastore."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.catalog.conftest import Ckan, new_package

CSV = (
    "nom;commune;capacite;surface;ouverture\n"
    "Piscine Océane;Rochefort;450;1200,5;2012-06-01\n"
    "Médiathèque;Rochefort;120;800;2009-01-15\n"
    "Gymnase du Polygone;Tonnay-Charente;300;950,25;1998-09-01\n"
).encode()


class TestTransport:
    def test_both_paths_answer_with_the_envelope(self, client: TestClient) -> None:
        for path in ("/api/3/action/status_show", "/api/action/status_show"):
            response = client.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            body = response.json()
            assert body["success"] is True
            assert body["help"].endswith("/api/3/action/help_show?name=status_show")
            assert body["result"]["locale_default"] == "fr"

    def test_unknown_action_is_a_bare_string(self, client: TestClient) -> None:
        response = client.post("/api/action/nope", json={})
        assert response.status_code == 400
        assert response.json() == "Bad request: Action name not known: nope"

    def test_write_action_refuses_get(self, client: TestClient) -> None:
        response = client.get("/api/3/action/package_create")
        assert response.status_code == 400
        assert "Please use POST method" in response.json()

    def test_site_read_and_version(self, client: TestClient) -> None:
        assert client.get("/api/action/site_read").json()["result"] is True
        assert client.get("/api/3").json() == {"version": 3}

    def test_get_with_json_content_type_and_no_body(self, client: TestClient) -> None:
        # data.gouv.fr's harvester sends exactly this.
        response = client.get(
            "/api/3/action/package_list", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 200
        assert response.json()["result"] == []

    def test_malformed_json_is_a_bad_request(self, client: TestClient) -> None:
        response = client.post(
            "/api/action/package_show",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400


class TestDatasets:
    def test_create_show_and_duplicate(self, publisher: Ckan, anonymous: Ckan) -> None:
        created = new_package(
            publisher,
            "voirie-chantiers",
            tags=[{"name": "travaux"}, {"name": "voirie"}],
            license_id="odc-odbl",
            extras=[{"key": "frequency", "value": "weekly"}, {"key": "source", "value": "SIG"}],
        )
        assert created["organization"]["name"] == "voirie-test"
        shown = anonymous.ok("package_show", {"id": "voirie-chantiers"})
        assert shown["id"] == created["id"]
        assert {t["name"] for t in shown["tags"]} == {"travaux", "voirie"}
        assert shown["license_id"] == "odc-odbl"
        assert shown["type"] == "dataset"
        assert {"key": "frequency", "value": "weekly"} in shown["extras"]
        assert anonymous.ok("package_show", {"id": created["id"]})["name"] == "voirie-chantiers"
        duplicate = publisher.call(
            "package_create", {"name": "voirie-chantiers", "title": "x", "owner_org": "voirie-test"}
        )
        assert duplicate.status_code == 409
        error = duplicate.json()["error"]
        assert error["__type"] == "Validation Error"
        assert "name" in error

    def test_invalid_values_name_the_field(self, publisher: Ckan) -> None:
        response = publisher.call(
            "package_create", {"name": "A B", "title": "x", "owner_org": "voirie-test"}
        )
        assert response.status_code == 409
        assert "name" in response.json()["error"]
        response = publisher.call(
            "package_create",
            {"name": "ok-name", "title": "x", "owner_org": "voirie-test", "license_id": "wtfpl"},
        )
        assert "license_id" in response.json()["error"]

    def test_writes_need_a_token(self, anonymous: Ckan) -> None:
        response = anonymous.call("package_create", {"name": "anon", "title": "Anon"})
        assert response.status_code == 403
        assert response.json()["error"]["__type"] == "Authorization Error"

    def test_cannot_publish_for_another_organisation(
        self, client: TestClient, db: Any, roles: dict[str, Any]
    ) -> None:
        from tests.conftest import token_for

        operator = Ckan(client, token_for(db, roles["operator"].id, roles["operator_org"].id))
        response = operator.call(
            "package_create", {"name": "intrus", "title": "Intrus", "owner_org": "voirie-test"}
        )
        assert response.json()["error"]["__type"] == "Authorization Error"

    def test_private_dataset_does_not_leak(self, publisher: Ckan, anonymous: Ckan) -> None:
        new_package(publisher, "interne", private=True, title="Données internes")
        missing = anonymous.call("package_show", {"id": "interne"})
        assert missing.status_code == 404
        assert missing.json()["error"]["__type"] == "Not Found Error"
        assert missing.json()["error"]["message"].startswith("Not found: ")
        assert "interne" not in anonymous.ok("package_list")
        found = anonymous.ok("package_search", {"q": "internes", "include_private": True})
        assert found["count"] == 0
        mine = publisher.ok("package_search", {"q": "internes", "include_private": True})
        assert mine["count"] == 1
        assert publisher.ok("package_show", {"id": "interne"})["private"] is True

    def test_patch_update_delete(self, publisher: Ckan, anonymous: Ckan) -> None:
        new_package(publisher, "eclairage", notes="Points lumineux.", tags=[{"name": "led"}])
        patched = publisher.ok("package_patch", {"id": "eclairage", "title": "Éclairage public"})
        assert patched["title"] == "Éclairage public"
        assert patched["notes"] == "Points lumineux."
        assert [t["name"] for t in patched["tags"]] == ["led"]
        updated = publisher.ok(
            "package_update", {"id": "eclairage", "name": "eclairage", "title": "Éclairage"}
        )
        assert updated["notes"] == ""
        assert updated["tags"] == []
        publisher.ok("package_delete", {"id": "eclairage"})
        assert anonymous.call("package_show", {"id": "eclairage"}).status_code == 404
        assert "eclairage" not in anonymous.ok("package_list")

    def test_organisations_tags_licences(self, publisher: Ckan, anonymous: Ckan) -> None:
        new_package(publisher, "arbres", tags=[{"name": "arbres"}, {"name": "patrimoine"}])
        assert "voirie-test" in anonymous.ok("organization_list")
        full = anonymous.ok("organization_list", {"all_fields": True, "limit": 100})
        voirie = next(o for o in full if o["name"] == "voirie-test")
        assert voirie["package_count"] == 1
        shown = anonymous.ok("organization_show", {"id": "voirie-test", "include_datasets": True})
        assert [p["name"] for p in shown["packages"]] == ["arbres"]
        assert anonymous.call("organization_show", {"id": "nope"}).status_code == 404
        assert anonymous.ok("tag_list", {"query": "pat"}) == ["patrimoine"]
        licences = {lic["id"] for lic in anonymous.ok("license_list")}
        assert {"lov2", "odc-odbl", "cc-by", "cc-zero"} <= licences


class TestSearch:
    def test_french_words_accents_and_facets(self, publisher: Ckan, anonymous: Ckan) -> None:
        new_package(
            publisher,
            "equipements-sportifs",
            title="Équipements sportifs",
            tags=[{"name": "sport"}],
        )
        new_package(
            publisher,
            "velos",
            title="Stationnement des vélos",
            notes="Arceaux et abris pour vélos.",
            tags=[{"name": "mobilité"}],
        )
        new_package(publisher, "budget", title="Budget primitif", tags=[{"name": "finances"}])
        assert [
            r["name"] for r in anonymous.ok("package_search", {"q": "equipement"})["results"]
        ] == ["equipements-sportifs"]
        assert [r["name"] for r in anonymous.ok("package_search", {"q": "vélo"})["results"]] == [
            "velos"
        ]
        assert anonymous.ok("package_search", {"q": "VELOS abri"})["count"] == 1
        result = anonymous.ok(
            "package_search", {"fq": 'tags:"mobilité"', "facet.field": ["tags", "organization"]}
        )
        assert [r["name"] for r in result["results"]] == ["velos"]
        assert result["search_facets"]["tags"]["items"] == [
            {"name": "mobilité", "display_name": "mobilité", "count": 1}
        ]
        everything = anonymous.ok(
            "package_search", {"q": "*:*", "facet.field": json.dumps(["tags"])}
        )
        assert everything["count"] == 3
        assert {i["name"] for i in everything["search_facets"]["tags"]["items"]} == {
            "sport",
            "mobilité",
            "finances",
        }

    def test_paging_until_an_empty_page(self, publisher: Ckan, anonymous: Ckan) -> None:
        for i in range(5):
            new_package(publisher, f"serie-{i}")
        seen: list[str] = []
        start = 0
        while True:
            page = anonymous.ok("package_search", {"rows": 2, "start": start, "sort": "name asc"})
            if not page["results"]:
                break
            seen += [r["name"] for r in page["results"]]
            start += 2
        assert seen == [f"serie-{i}" for i in range(5)]

    def test_bad_queries_are_search_query_errors(self, anonymous: Ckan) -> None:
        for data in ({"sort": "nope desc"}, {"fq": "unknownfield:x"}, {"facet.field": ["x"]}):
            response = anonymous.call("package_search", data)
            assert response.status_code == 400
            assert response.json()["error"]["__type"] == "Search Query Error"
        assert anonymous.call("package_search", {"rows": "ten"}).status_code == 409


class TestResources:
    def test_upload_loads_the_datastore(self, publisher: Ckan, anonymous: Ckan) -> None:
        package = new_package(publisher, "equipements")
        response = publisher.upload(package["id"], "equipements.csv", CSV)
        assert response.status_code == 200, response.text
        resource = response.json()["result"]
        assert resource["datastore_active"] is True
        assert resource["format"] == "CSV"
        assert resource["hash"].startswith("sha256:")
        described = anonymous.ok("datastore_search", {"resource_id": resource["id"], "limit": 0})
        assert described["records"] == []
        assert described["total"] == 3
        types = {f["id"]: f["type"] for f in described["fields"]}
        assert types == {
            "_id": "int",
            "nom": "text",
            "commune": "text",
            "capacite": "int",
            "surface": "numeric",
            "ouverture": "date",
        }
        found = anonymous.ok(
            "datastore_search",
            {
                "resource_id": resource["id"],
                "filters": {"commune": "Rochefort"},
                "sort": "capacite desc",
                "fields": ["nom", "surface"],
            },
        )
        assert found["records"] == [
            {"nom": "Piscine Océane", "surface": 1200.5},
            {"nom": "Médiathèque", "surface": 800.0},
        ]
        searched = anonymous.ok(
            "datastore_search", {"resource_id": resource["id"], "q": "polygone"}
        )
        assert [r["nom"] for r in searched["records"]] == ["Gymnase du Polygone"]
        download = anonymous.client.get(resource["url"].replace("http://testserver", ""))
        assert download.status_code == 200
        assert download.content == CSV
        shown = anonymous.ok("package_show", {"id": "equipements"})
        assert shown["num_resources"] == 1

    def test_bad_datastore_requests(self, publisher: Ckan, anonymous: Ckan) -> None:
        package = new_package(publisher, "eq")
        resource = publisher.upload(package["id"], "eq.csv", CSV).json()["result"]
        for data in (
            {"filters": {"nope": 1}},
            {"filters": {"capacite": "beaucoup"}},
            {"sort": "nope"},
            {"fields": ["nope"]},
        ):
            response = anonymous.call("datastore_search", {"resource_id": resource["id"], **data})
            assert response.status_code == 409, data
            assert response.json()["error"]["__type"] == "Validation Error"
        missing = anonymous.call("datastore_search", {"resource_id": "nope"})
        assert missing.json()["error"]["__type"] == "Not Found Error"

    def test_invalid_file_is_refused_and_nothing_changes(self, publisher: Ckan) -> None:
        package = new_package(publisher, "ragged")
        good = publisher.upload(package["id"], "ok.csv", CSV).json()["result"]
        ragged = b"a;b;c\n1;2;3\n4;5\n6;7;8;9\n"
        response = publisher.client.post(
            "/api/3/action/resource_patch",
            data={"id": good["id"]},
            files={"upload": ("bad.csv", ragged)},
            headers={"Authorization": publisher.key or ""},
        )
        assert response.status_code == 409
        assert "upload" in response.json()["error"]
        after = publisher.ok("datastore_search", {"resource_id": good["id"], "limit": 0})
        assert after["total"] == 3
        assert publisher.ok("resource_show", {"id": good["id"]})["hash"] == good["hash"]

    def test_empty_file_is_refused(self, publisher: Ckan) -> None:
        package = new_package(publisher, "vide")
        response = publisher.upload(package["id"], "vide.csv", b"")
        assert response.status_code == 409
        assert publisher.ok("package_show", {"id": "vide"})["num_resources"] == 0

    def test_link_resource(self, publisher: Ckan, anonymous: Ckan) -> None:
        package = new_package(publisher, "liens")
        result = publisher.ok(
            "resource_create",
            {"package_id": package["id"], "url": "https://exemple.fr/doc.pdf", "name": "Doc"},
        )
        assert result["format"] == "PDF"
        assert result["datastore_active"] is False
        assert (
            anonymous.ok("resource_show", {"id": result["id"]})["url"]
            == "https://exemple.fr/doc.pdf"
        )
