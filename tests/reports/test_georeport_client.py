"""Real Open311 clients against a live server (SQLite and PostgreSQL), JSON and XML.

``georeport`` 0.3.1 reads services, a service definition, requests and one request. The
``open311`` 1.1 client is Python 2 only: its calls are replayed byte for byte with
``requests`` (api_key and an empty jurisdiction_id in the query string, the kwargs
form-encoded, ``//requests.xml`` from an endpoint with a trailing slash).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import xmltodict
from georeport import GeoReport
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts import tokens
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import create_db_engine
from servicielle.core.session import AuditContext
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports.models import CategoryQuestion, Report, ReportCategory, RoutingRule
from servicielle.reports.repository import CategoryRepository
from tests.conftest import LiveSite
from tests.reports.conftest import ROCHEFORT
from tests.reports.open311_schemas import validate_json, validate_xml

pytestmark = pytest.mark.xdist_group("browser")

AGENT = "agent.voirie@demo.servicielle.fr"
FORMATS = ("json", "xml")


@dataclass(frozen=True)
class Open311Site:
    """The live endpoint, an API key, a service with questions and two fresh reports."""

    root: str
    jurisdiction: str
    api_key: str
    service_code: str
    fields: dict[str, Any]
    report_ids: tuple[str, ...]
    database_url: str


def _ensure_categories(session: Session) -> None:
    """The reports demo brings categories; without it, two of ours routed to the roads."""
    if any(
        CategoryRepository(session).questions(c.id) for c in CategoryRepository(session).active()
    ):
        return
    roads = OrganisationRepository(session).by_slug("voirie")
    assert roads is not None, "the demo territory has no roads department"
    pothole = ReportCategory(code="open311-nid-de-poule", name="Nid-de-poule", group="Voirie")
    sign = ReportCategory(code="open311-panneau", name="Panneau abîmé", group="Voirie")
    session.add_all([pothole, sign])
    session.flush()
    session.add_all(
        [
            CategoryQuestion(
                category_id=pothole.id,
                code="taille",
                datatype="singlevaluelist",
                required=True,
                order=1,
                description="Taille du trou",
                values=[{"key": "petit", "name": "Petit"}, {"key": "grand", "name": "Grand"}],
            ),
            RoutingRule(category_id=pothole.id, organisation_id=roads.id),
            RoutingRule(category_id=sign.id, organisation_id=roads.id),
        ]
    )


def _token(session: Session) -> str:
    user = UserRepository(session).by_email(AGENT)
    assert user is not None, f"the demo has no {AGENT}"
    membership = user.memberships[0]
    _token_row, secret = tokens.create_token(
        session,
        principal_for_user(user),
        name="open311",
        organisation_id=membership.organisation_id,
    )
    return secret


def _answer(attribute: dict[str, Any]) -> str | list[str]:
    """A valid answer to a required attribute of any datatype."""
    keys = [value["key"] for value in attribute["values"]]
    return {
        "singlevaluelist": keys[0] if keys else "",
        "multivaluelist": keys[:1],
        "number": "3",
        "datetime": "2026-05-01T08:30:00+02:00",
    }.get(attribute["datatype"], "Réponse de test")


@pytest.fixture(scope="module")
def site(live_site: LiveSite) -> Open311Site:
    """Categories and a token in the live database, then two reports sent over Open311."""
    engine = create_db_engine(live_site.database_url)
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            _ensure_categories(session)
            secret = _token(session)
            session.commit()
    finally:
        engine.dispose()
    root = live_site.base_url + "/open311/v2"
    services = requests.get(root + "/services.json", timeout=10).json()
    # A service with a required question, so that the definition test has one to check.
    code, definition = next(
        (service["service_code"], definition)
        for service in services
        if service["metadata"]
        for definition in [
            requests.get(f"{root}/services/{service['service_code']}.json", timeout=10).json()
        ]
        if any(a["variable"] and a["required"] for a in definition["attributes"])
    )
    fields: dict[str, Any] = {
        "service_code": code,
        "lat": ROCHEFORT[0],
        "long": ROCHEFORT[1],
        "email": "open311.client@example.fr",
        "first_name": "Gaspard",
        "last_name": "Confidentiel",
    }
    for attribute in definition["attributes"]:
        if attribute["variable"] and attribute["required"]:
            answer = _answer(attribute)
            key = f"attribute[{attribute['code']}]" + ("[]" if isinstance(answer, list) else "")
            fields[key] = answer
    ids = []
    for n in range(2):
        answer = requests.post(
            root + "/requests.json",
            data={**fields, "api_key": secret, "description": f"Signalement Open311 no {n}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()[0]["service_request_id"])
    return Open311Site(
        root=root,
        jurisdiction=str(urlsplit(live_site.base_url).hostname),
        api_key=secret,
        service_code=code,
        fields=fields,
        report_ids=tuple(ids),
        database_url=live_site.database_url,
    )


def client(site: Open311Site, fmt: str) -> GeoReport:
    """georeport's client for the live endpoint (a trailing slash, which it strips)."""
    return GeoReport(site.root + "/", jurisdiction=site.jurisdiction, output_format=fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_service_list(site: Open311Site, fmt: str) -> None:
    services = client(site, fmt).get_service_list()
    assert isinstance(services, list)
    assert len(services) >= 2
    codes = [service["service_code"] for service in services]
    assert site.service_code in codes
    assert len(set(codes)) == len(codes)
    chosen = next(service for service in services if service["service_code"] == site.service_code)
    assert str(chosen["metadata"]).lower() == "true"
    assert chosen["type"] == "realtime"


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_service_definition(site: Open311Site, fmt: str) -> None:
    definition = client(site, fmt).get_service_definition(site.service_code)
    assert definition["service_code"] == site.service_code
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
        attributes = attributes if isinstance(attributes, list) else [attributes]
    required = [a["code"] for a in attributes if str(a["required"]).lower() == "true"]
    assert required
    assert all(any(f"attribute[{code}]" in key for key in site.fields) for code in required)


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_service_requests(site: Open311Site, fmt: str) -> None:
    georeport = client(site, fmt)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = georeport.get_service_requests(
        service_code=site.service_code, start_date=start, status="open"
    )
    assert isinstance(found, list)  # xmltodict makes a list from two requests or more
    ids = [item["service_request_id"] for item in found]
    assert set(site.report_ids) <= set(ids)
    for item in found:
        assert item["service_code"] == site.service_code
        assert item["status"] == "open"
        assert "Confidentiel" not in str(item)  # the reporter's name is never shown
        assert "example.fr" not in str(item)
    listed = georeport.get_service_requests(service_request_id=",".join(site.report_ids))
    assert sorted(item["service_request_id"] for item in listed) == sorted(site.report_ids)


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_one_service_request(site: Open311Site, fmt: str) -> None:
    georeport = client(site, fmt)
    found = georeport.get_service_request(site.report_ids[0])
    assert found["service_request_id"] == site.report_ids[0]
    assert found["description"] == "Signalement Open311 no 0"
    assert float(found["lat"]) == ROCHEFORT[0]
    with pytest.raises(requests.HTTPError) as missing:
        georeport.get_service_request("987654321")
    assert missing.value.response.status_code == 404


def test_live_answers_fit_the_schemas(site: Open311Site) -> None:
    for path, root, schema in (
        ("/discovery", "discovery", "discovery.json"),
        ("/services", "services", "services.json"),
        (f"/services/{site.service_code}", "service_definition", "service-definition.json"),
        ("/requests", "service_requests", "requests.json"),
        (f"/requests/{site.report_ids[1]}", "service_requests", "requests.json"),
    ):
        xml = requests.get(site.root + path + ".xml", timeout=10)
        assert xml.headers["content-type"] == "text/xml; charset=utf-8"
        validate_xml(xml.content, root)
        document = requests.get(site.root + path + ".json", timeout=10)
        assert document.headers["content-type"] == "application/json; charset=utf-8"
        validate_json(schema, document.json())


def test_open311_client_calls_replayed(site: Open311Site) -> None:
    endpoint = site.root + "/"  # a trailing slash: the client then asks for //requests.xml
    headers = {"User-Agent": "Python-urllib/2.7"}
    query = urlencode({"api_key": site.api_key, "jurisdiction_id": ""})
    body = urlencode({**site.fields, "description": "Envoyé par open311 1.1"}, doseq=True)
    posted = requests.post(
        f"{endpoint}/requests.xml?{query}",
        data=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    assert "//requests.xml" in posted.request.url
    validate_xml(posted.content, "service_requests")
    created = xmltodict.parse(posted.content)["service_requests"]["request"]
    report_id = created["service_request_id"]
    # The client's other calls: always .xml for the list, singular service/, empty jurisdiction.
    services = requests.get(endpoint + "services.xml?jurisdiction_id=", headers=headers, timeout=10)
    assert xmltodict.parse(services.content)["services"]["service"]
    definition = requests.get(
        f"{endpoint}service/{site.service_code}.xml?jurisdiction_id=", headers=headers, timeout=10
    )
    assert xmltodict.parse(definition.content)["service_definition"]["service_code"] == (
        site.service_code
    )
    one = requests.get(f"{endpoint}requests/{report_id}.xml?jurisdiction_id=", timeout=10)
    assert xmltodict.parse(one.content)["service_requests"]["request"]["description"] == (
        "Envoyé par open311 1.1"
    )
    engine = create_db_engine(site.database_url)
    try:
        with Session(engine) as session:
            token = session.scalar(select(Report.token).where(Report.id == int(report_id)))
    finally:
        engine.dispose()
    by_token = requests.get(f"{endpoint}tokens/{token}.xml?jurisdiction_id=", timeout=10)
    assert xmltodict.parse(by_token.content)["service_requests"]["request"] == {
        "service_request_id": report_id,
        "token": token,
    }


def test_open311_errors_on_the_live_server(site: Open311Site) -> None:
    refused = requests.post(
        site.root + "/requests.xml",
        data={**site.fields, "api_key": "svc_faux"},
        timeout=10,
    )
    assert refused.status_code == 403
    validate_xml(refused.content, "errors")
    unknown = requests.get(site.root + "/services/inconnu.json", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json()[0]["code"] == 404
    assert "inconnu" in unknown.json()[0]["description"]
