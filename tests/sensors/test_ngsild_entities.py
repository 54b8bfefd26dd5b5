"""NGSI-LD entities: create, retrieve, update, delete, query, errors."""

from __future__ import annotations

from tests.sensors.conftest import CORE, Ngsi, at, parking

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def test_create_then_retrieve_with_context_in_body(operator: Ngsi, public: Ngsi) -> None:
    response = operator.create(parking("gare", 42))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:gare"
    got = public.request("GET", "/entities/urn:ngsi-ld:OffStreetParking:gare")
    assert got.status_code == 200
    body = got.json()
    assert body["@context"] == [CORE]
    assert body["availableSpotNumber"]["value"] == 42
    assert body["location"]["value"]["coordinates"] == [-0.96, 45.94]
    plain = public.client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:gare",
        headers={"Accept": "application/json"},
        params={"options": "keyValues"},
    )
    assert "@context" not in plain.json()
    assert plain.json()["availableSpotNumber"] == 42
    assert "ngsi-ld-core-context" in plain.headers["link"]


def test_second_create_is_already_exists(operator: Ngsi) -> None:
    assert operator.create(parking("gare", 42)).status_code == 201
    again = operator.create(parking("gare", 40))
    assert again.status_code == 409
    assert again.json()["type"] == ERRORS + "AlreadyExists"


def test_bad_input_is_named_and_nothing_is_stored(operator: Ngsi, public: Ngsi) -> None:
    wrong_value = parking("x", 1)
    wrong_value["availableSpotNumber"]["value"] = "beaucoup"
    response = operator.create(wrong_value)
    assert response.status_code == 400
    assert response.json()["type"] == ERRORS + "BadRequestData"
    assert "expected a number" in response.json()["detail"]
    no_zone = parking("y", 1)
    no_zone["availableSpotNumber"]["observedAt"] = "2026-11-21T08:00:00"
    assert "time zone" in operator.create(no_zone).json()["detail"]
    future = parking("z", 1)
    future["availableSpotNumber"]["observedAt"] = "2099-01-01T00:00:00Z"
    assert "future" in operator.create(future).json()["detail"]
    far = parking("w", 1, lon=200.0)
    assert "WGS84" in operator.create(far).json()["detail"]
    not_json = operator.client.post(
        "/ngsi-ld/v1/entities/", content=b"{nope", headers=operator.headers()
    )
    assert not_json.status_code == 400
    assert not_json.json()["type"] == ERRORS + "InvalidRequest"
    for name in ("x", "y", "z", "w"):
        missing = public.request("GET", f"/entities/urn:ngsi-ld:OffStreetParking:{name}")
        assert missing.status_code == 404
        assert missing.json()["type"] == ERRORS + "ResourceNotFound"


def test_writes_need_a_token_of_the_owner(operator: Ngsi, department: Ngsi, public: Ngsi) -> None:
    assert public.create(parking("gare", 42)).status_code == 401
    assert operator.create(parking("gare", 42)).status_code == 201
    body = {"availableSpotNumber": {"type": "Property", "value": 1}}
    other = department.request("PATCH", "/entities/urn:ngsi-ld:OffStreetParking:gare/attrs", body)
    assert other.status_code == 403
    assert other.json()["type"].startswith(ERRORS)
    assert (
        department.request("DELETE", "/entities/urn:ngsi-ld:OffStreetParking:gare").status_code
        == 403
    )
    got = public.request("GET", "/entities/urn:ngsi-ld:OffStreetParking:gare").json()
    assert got["availableSpotNumber"]["value"] == 42


def test_patch_attrs_updates_existing_and_reports_the_rest(operator: Ngsi, public: Ngsi) -> None:
    operator.create(parking("gare", 42))
    path = "/entities/urn:ngsi-ld:OffStreetParking:gare/attrs"
    done = operator.request(
        "PATCH",
        path,
        {"availableSpotNumber": {"type": "Property", "value": 12, "observedAt": at(1)}},
    )
    assert done.status_code == 204, done.text
    partial = operator.request(
        "PATCH",
        path,
        {"status": {"type": "Property", "value": "full"}, "unknownThing": {"value": 1}},
    )
    assert partial.status_code == 207
    assert partial.json()["notUpdated"][0]["attributeName"] == "unknownThing"
    got = public.request("GET", "/entities/urn:ngsi-ld:OffStreetParking:gare").json()
    assert got["availableSpotNumber"]["value"] == 12
    assert got["status"]["value"] == "full"
    assert "unknownThing" not in got


def test_query_by_type_q_geo_and_count(operator: Ngsi, public: Ngsi) -> None:
    operator.create(parking("gare", 5, lon=-0.9600, lat=45.9400))
    operator.create(parking("corderie", 150, lon=-0.9590, lat=45.9410))
    operator.create(parking("fouras", 90, lon=-1.0900, lat=45.9900))

    def ids(**params: str) -> list[str]:
        response = public.request("GET", "/entities", params={"type": "OffStreetParking", **params})
        assert response.status_code == 200, response.text
        return sorted(e["id"].rsplit(":", 1)[1] for e in response.json())

    assert ids(q="availableSpotNumber>50") == ["corderie", "fouras"]
    assert ids(q="availableSpotNumber==1..100") == ["fouras", "gare"]
    assert ids(q='availableSpotNumber<100;status=="open"') == ["fouras", "gare"]
    assert ids(q="availableSpotNumber<10|availableSpotNumber>140") == ["corderie", "gare"]
    assert ids(q='name=="Parking gare","Parking fouras"') == ["fouras", "gare"]
    near = ids(georel="near;maxDistance==500", geometry="Point", coordinates="[-0.96,45.94]")
    assert near == ["corderie", "gare"]
    square = "[[[-1.1,45.98],[-1.08,45.98],[-1.08,46.0],[-1.1,46.0],[-1.1,45.98]]]"
    assert ids(georel="within", geometry="Polygon", coordinates=square) == ["fouras"]
    counted = public.request(
        "GET", "/entities", params={"type": "OffStreetParking", "limit": "0", "count": "true"}
    )
    assert counted.json() == []
    assert counted.headers["NGSILD-Results-Count"] == "3"
    page = public.request("GET", "/entities", params={"type": "OffStreetParking", "limit": "2"})
    assert len(page.json()) == 2


def test_query_errors_are_standard(public: Ngsi) -> None:
    bad_q = public.request("GET", "/entities", params={"type": "T", "q": "a>>1"})
    assert bad_q.status_code == 400
    assert bad_q.json()["type"] == ERRORS + "InvalidRequest"
    too_many = public.request("GET", "/entities", params={"type": "T", "limit": "5000"})
    assert too_many.status_code == 400
    nothing = public.request("GET", "/entities")
    assert nothing.status_code == 400
    tenant = public.request(
        "GET", "/entities", params={"type": "T"}, headers={"NGSILD-Tenant": "nobody"}
    )
    assert tenant.status_code == 404
    assert tenant.json()["type"] == ERRORS + "NonexistentTenant"
    # ngsildclient's connection probe sends the literal type None and must succeed.
    probe = public.request(
        "GET", "/entities", params={"type": "None", "limit": "0", "count": "true"}
    )
    assert probe.status_code == 200


def test_delete_then_create_keeps_the_history(operator: Ngsi, public: Ngsi) -> None:
    operator.create(parking("gare", 42))
    entity = "/entities/urn:ngsi-ld:OffStreetParking:gare"
    assert operator.request("DELETE", entity).status_code == 204
    assert public.request("GET", entity).status_code == 404
    again = parking("gare", 30)
    again["availableSpotNumber"]["observedAt"] = at(5)
    assert operator.create(again).status_code == 201
    assert public.request("GET", entity).json()["availableSpotNumber"]["value"] == 30


def test_batch_upsert_creates_then_updates(operator: Ngsi, public: Ngsi) -> None:
    entities = [{**parking(f"p{i}", i), "@context": [CORE]} for i in range(5)]
    created = operator.request("POST", "/entityOperations/upsert/", entities)
    assert created.status_code == 201, created.text
    assert len(created.json()) == 5
    for entity in entities:
        entity["availableSpotNumber"] = {"type": "Property", "value": 99, "observedAt": at(1)}
    updated = operator.request("POST", "/entityOperations/upsert/?options=update", entities)
    assert updated.status_code == 204
    bad = [*entities, {"id": "not a uri", "type": "OffStreetParking"}]
    mixed = operator.request("POST", "/entityOperations/upsert/", bad)
    assert mixed.status_code == 207
    assert mixed.json()["errors"][0]["error"]["type"] == ERRORS + "BadRequestData"
    got = public.request(
        "GET", "/entities", params={"type": "OffStreetParking", "q": "availableSpotNumber==99"}
    )
    assert len(got.json()) == 5
    deleted = operator.request("POST", "/entityOperations/delete/", [e["id"] for e in entities])
    assert deleted.status_code == 204
    assert public.request("GET", "/entities", params={"type": "OffStreetParking"}).json() == []


def test_types_and_contexts_are_served_locally(operator: Ngsi, public: Ngsi) -> None:
    operator.create(parking("gare", 42))
    types = public.request("GET", "/types").json()
    assert types["typeList"] == ["OffStreetParking"]
    contexts = public.request("GET", "/jsonldContexts").json()
    assert CORE in contexts
    core = public.client.get("/ngsi-ld/v1/jsonldContexts/core").json()
    assert core["@context"]["observedAt"] == {"@id": "ngsi-ld:observedAt", "@type": "DateTime"}
    assert core["@context"]["value"] == "ngsi-ld:hasValue"


def test_invalid_json_ld_is_refused(operator: Ngsi) -> None:
    for context in (42, [True], "not a url"):
        entity = {**parking("gare", 1), "@context": context}
        response = operator.request("POST", "/entities/", entity)
        assert response.status_code == 400, context
        assert "@context" in response.json()["detail"]
    both = operator.request(
        "POST",
        "/entities/",
        {**parking("gare", 1), "@context": [CORE]},
        headers={"Link": f'<{CORE}>; rel="http://www.w3.org/ns/json-ld#context"'},
    )
    assert both.status_code == 400
    assert "both" in both.json()["detail"]
    plain_json_with_context = operator.request(
        "POST",
        "/entities/",
        {**parking("gare", 1), "@context": [CORE]},
        headers={"Content-Type": "application/json"},
    )
    assert plain_json_with_context.status_code == 400
    too_big = operator.request(
        "POST", "/entityOperations/upsert/", [parking(f"p{i}", 1) for i in range(1001)]
    )
    assert too_big.status_code == 413
    assert "limit is 1000" in too_big.json()["detail"]


def test_resending_an_entity_keeps_it_queryable(operator: Ngsi, public: Ngsi) -> None:
    """ngsildclient's upsert (409, DELETE, POST) with the same values, as a re-run import does."""
    entity = parking("gare", 42)
    assert operator.create(entity).status_code == 201
    assert operator.request("DELETE", f"/entities/{entity['id']}").status_code == 204
    assert operator.create(entity).status_code == 201
    found = public.request(
        "GET", "/entities", params={"type": "OffStreetParking", "q": "availableSpotNumber==42"}
    )
    assert [e["id"] for e in found.json()] == [entity["id"]]
    # A corrected value at the same instant becomes the current value.
    fix = {"availableSpotNumber": {**entity["availableSpotNumber"], "value": 41}}
    assert operator.request("PATCH", f"/entities/{entity['id']}/attrs", fix).status_code == 204
    got = public.request("GET", f"/entities/{entity['id']}", params={"options": "keyValues"})
    assert got.json()["availableSpotNumber"] == 41
