"""ckanapi, CKAN's own client, against a live server: what harvesters and scripts rely on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts import tokens
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.service import add_membership
from servicielle.core.db import create_db_engine
from servicielle.core.session import AuditContext
from servicielle.core.territory.models import Organisation
from tests.conftest import LiveSite

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def api_key(live_site: LiveSite) -> str:
    """A token of the demo administrator for the agglomeration, minted in the live database."""
    engine = create_db_engine(live_site.database_url)
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            user = UserRepository(session).by_email("admin@demo.servicielle.fr")
            assert user is not None
            organisation = session.scalars(
                select(Organisation).where(Organisation.slug == "agglomeration")
            ).one()
            # The data officer of the agglomeration publishes for it.
            add_membership(session, user=user, organisation_id=organisation.id)
            session.flush()
            session.expire(user)
            user = UserRepository(session).by_email("admin@demo.servicielle.fr")
            assert user is not None
            _token, secret = tokens.create_token(
                session, principal_for_user(user), name="ckanapi", organisation_id=organisation.id
            )
            session.commit()
    finally:
        engine.dispose()
    return secret


def test_read_only_client(live_server: str) -> None:
    site = ckanapi.RemoteCKAN(live_server)
    assert site.action.site_read() is True
    assert site.action.status_show()["site_url"] == live_server
    names = site.action.package_list()
    assert "deliberations-conseil-communautaire" in names
    # The private demo dataset stays hidden from anonymous clients.
    assert "consommations-energetiques-batiments" not in names
    seen: list[str] = []
    start = 0
    while True:
        page = site.action.package_search(q="*:*", rows=5, start=start)
        if not page["results"]:
            break
        seen += [p["name"] for p in page["results"]]
        start += 5
    assert sorted(seen) == sorted(names)
    package = site.action.package_show(id="deliberations-conseil-communautaire")
    for key in (
        "id",
        "name",
        "title",
        "notes",
        "license_id",
        "license_title",
        "tags",
        "metadata_created",
        "metadata_modified",
        "organization",
        "resources",
        "private",
        "type",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "state",
    ):
        assert key in package, key
    resource = next(r for r in package["resources"] if r["datastore_active"])
    for key in (
        "id",
        "position",
        "name",
        "description",
        "format",
        "mimetype",
        "size",
        "hash",
        "created",
        "last_modified",
        "url",
        "resource_type",
    ):
        assert key in resource, key
    fields = site.action.datastore_search(resource_id=resource["id"], limit=0)
    assert fields["records"] == []
    assert {"delib_id", "delib_objet"} <= {f["id"] for f in fields["fields"]}
    with pytest.raises(ckanapi.NotFound):
        site.action.package_show(id="consommations-energetiques-batiments")
    with pytest.raises(ckanapi.SearchQueryError):
        site.action.package_search(sort="nope desc")
    get_only = ckanapi.RemoteCKAN(live_server, get_only=True)
    assert get_only.action.package_search(fq="tags:SCDL", rows=100)["count"] >= 2


def test_write_client(live_server: str, api_key: str, tmp_path: Path) -> None:
    site = ckanapi.RemoteCKAN(live_server, apikey=api_key)
    created = site.action.package_create(
        name="ckanapi-essai",
        title="Essai ckanapi",
        owner_org="agglomeration",
        notes="Créé par ckanapi.",
        tags=[{"name": "essai"}],
    )
    assert created["organization"]["name"] == "agglomeration"
    with pytest.raises(ckanapi.ValidationError) as duplicate:
        site.action.package_create(name="ckanapi-essai", title="x", owner_org="agglomeration")
    assert "name" in duplicate.value.error_dict
    updated = site.action.package_update(
        id=created["id"], name="ckanapi-essai", title="Essai mis à jour", owner_org="agglomeration"
    )
    assert updated["title"] == "Essai mis à jour"
    assert updated["notes"] == ""
    patched = site.action.package_patch(id="ckanapi-essai", notes="Patché.")
    assert patched["title"] == "Essai mis à jour"
    csv = tmp_path / "mesures.csv"
    csv.write_text("station;valeur;date\nA;1,5;2026-01-01\nB;2,25;2026-01-02\n", encoding="utf-8")
    with csv.open("rb") as handle:
        resource = site.action.resource_create(
            package_id=created["id"], name="Mesures", upload=handle
        )
    assert resource["datastore_active"] is True
    rows = site.action.datastore_search(resource_id=resource["id"], sort="valeur desc")
    assert [r["valeur"] for r in rows["records"]] == [2.25, 1.5]
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2;3\n", encoding="utf-8")
    with bad.open("rb") as handle, pytest.raises(ckanapi.ValidationError):
        site.action.resource_patch(id=resource["id"], upload=handle)
    site.action.package_delete(id="ckanapi-essai")
    with pytest.raises(ckanapi.NotFound):
        ckanapi.RemoteCKAN(live_server).action.package_show(id="ckanapi-essai")
    with pytest.raises(ckanapi.NotAuthorized):
        ckanapi.RemoteCKAN(live_server).action.package_create(name="anonyme", title="Anonyme")


def test_cli_search_and_dump(live_server: str, tmp_path: Path) -> None:
    """The ckanapi command line walks the whole catalogue as data.gouv.fr would."""
    out = tmp_path / "datasets.jsonl"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ckanapi"),
            "dump",
            "datasets",
            "--all",
            "-O",
            str(out),
            "-r",
            live_server,
            "-p",
            "1",
            "-q",
        ],
        capture_output=True,
        # Its workers are new `ckanapi` processes, found on the PATH.
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 14
