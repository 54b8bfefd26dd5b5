"""Pages: community proposals and reuses go through moderation before anyone sees them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.catalog.models import Dataset, Reuse
from servicielle.config import Settings
from tests.catalog.conftest import Ckan, new_package
from tests.conftest import csrf_token, sign_in_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = {"Accept": "text/html"}


def test_community_dataset_waits_for_moderation(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any]
) -> None:
    sign_in_client(client, db, settings, roles["inhabitant"])
    token = csrf_token(client, "/donnees/proposer")
    response = client.post(
        "/donnees/proposer",
        data={
            "csrf_token": token,
            "title": "Relevé des bancs",
            "slug": "releve-bancs",
            "description": "Les bancs publics relevés par l'association.",
            "licence": "lov2",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/donnees/releve-bancs", headers=HTML).status_code == 200
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    assert anonymous.get("/donnees/releve-bancs", headers=HTML).status_code == 404
    assert anonymous.get("/api/3/action/package_show?id=releve-bancs").status_code == 404

    admin = TestClient(client.app, raise_server_exceptions=False)
    sign_in_client(admin, db, settings, roles["administrator"])
    queue = admin.get("/admin/donnees/moderation", headers=HTML)
    assert "Relevé des bancs" in queue.text
    db.expire_all()
    proposed = db.query(Dataset).filter_by(slug="releve-bancs").one()
    assert proposed.is_community
    assert proposed.moderation == "pending"
    token = csrf_token(admin, "/admin/donnees/moderation")
    decided = admin.post(
        f"/admin/donnees/moderation/{proposed.id}",
        data={"csrf_token": token, "decision": "approved"},
        headers=HTML,
        follow_redirects=False,
    )
    assert decided.status_code == 303
    page = anonymous.get("/donnees/releve-bancs", headers=HTML)
    assert page.status_code == 200
    assert "Jeu de données communautaire" in page.text


def test_reuse_with_image_is_moderated_then_shown(
    client: TestClient, db: Session, settings: Settings, roles: dict[str, Any], publisher: Ckan
) -> None:
    new_package(publisher, "arbres", title="Arbres")
    visitor = TestClient(client.app, raise_server_exceptions=False)
    sign_in_client(visitor, db, settings, roles["inhabitant"])
    token = csrf_token(visitor, "/donnees/reutilisations/proposer")
    form = {
        "csrf_token": token,
        "title": "Carte des arbres",
        "url": "https://arbres.example.fr",
        "type": "visualization",
        "datasets": "arbres",
    }
    refused = visitor.post(
        "/donnees/reutilisations/proposer",
        data=form,
        files={"image": ("x.png", b"<html>not an image</html>")},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "PNG, JPEG ou WebP" in refused.text
    accepted = visitor.post(
        "/donnees/reutilisations/proposer",
        data=form,
        files={"image": ("carte.png", PNG)},
        headers=HTML,
    )
    assert accepted.status_code == 200
    assert "Carte des arbres" not in client.get("/donnees/arbres", headers=HTML).text

    db.expire_all()
    reuse = db.query(Reuse).filter_by(title="Carte des arbres").one()
    admin = TestClient(client.app, raise_server_exceptions=False)
    sign_in_client(admin, db, settings, roles["administrator"])
    token = csrf_token(admin, "/admin/donnees/reutilisations")
    admin.post(
        f"/admin/donnees/reutilisations/{reuse.id}",
        data={"csrf_token": token, "decision": "approved"},
        headers=HTML,
    )
    page = client.get("/donnees/arbres", headers=HTML).text
    assert "Carte des arbres" in page
    image = client.get(f"/api/v1/catalog/reuses/{reuse.id}/image")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == PNG
