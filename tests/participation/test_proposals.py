"""Public proposal pages: list (filters, orders, pages, map), writing with similar proposals,
the proposal page (supports, comments, follows, flags), photos, bad input."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.participation.models import (
    Activity,
    Comment,
    Follow,
    PhaseKind,
    Process,
    Proposal,
    ProposalPhoto,
)
from servicielle.participation.proposals.similarity import fold
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.participation.factories import load_territory, make_category, make_process

HTML = {"Accept": "text/html"}


def add_proposal(
    db: Session,
    process: Process,
    title: str,
    body: str = "Une description assez longue.",
    **fields: Any,
) -> Proposal:
    """A published proposal, its folded text set as the service does."""
    proposal = Proposal(
        process_id=process.id, title=title, body=body, folded=fold(f"{title} {body}"), **fields
    )
    db.add(proposal)
    db.flush()
    return proposal


def signed_in(client: TestClient, db: Session, settings: Settings, email: str) -> User:
    """Sign ``client`` in as a new inhabitant."""
    user = make_user(db, email)
    sign_in_client(client, db, settings, user)
    return user


def png() -> bytes:
    """A small real image."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def publish(client: TestClient, slug: str, token: str, **fields: Any) -> Any:
    """Post step 2 of the form (photos as ``files``)."""
    files = fields.pop("files", None)
    data = {"csrf_token": token, "title": "Plus de vélos", "body": "Des arceaux partout.", **fields}
    return client.post(
        f"/participation/{slug}/propositions/nouvelle/publier",
        data=data,
        files=files,
        headers=HTML,
        follow_redirects=False,
    )


def test_list_shows_published_proposals_but_never_hidden_ones(
    db: Session, client: TestClient
) -> None:
    process = make_process(db)
    add_proposal(db, process, "Un jardin partagé")
    add_proposal(db, process, "Caché par la modération", hidden=True)
    page = client.get("/participation/budget-2026/propositions", headers=HTML)
    assert page.status_code == 200
    assert "Un jardin partagé" in page.text
    assert "Caché par la modération" not in page.text


def test_filters_fold_accents_and_case(db: Session, client: TestClient) -> None:
    zones = load_territory(db)
    process = make_process(db)
    nature = make_category(db)
    mobility = make_category(db, "mobilite", "Mobilité")
    add_proposal(db, process, "Des Vélos partagés", category_id=mobility.id, geozone_id=zones[0].id)
    add_proposal(db, process, "Un verger", category_id=nature.id, geozone_id=zones[1].id)
    add_proposal(db, process, "Rejetée", state="rejected")
    base = "/participation/budget-2026/propositions"

    def titles(query: str) -> str:
        response = client.get(f"{base}?{query}", headers=HTML)
        assert response.status_code == 200
        return response.text

    found = titles("q=VELO")
    assert "Des Vélos partagés" in found
    assert "Un verger" not in found
    assert "Un verger" in titles(f"categorie={nature.id}")
    assert "Des Vélos" not in titles(f"categorie={nature.id}")
    assert "Des Vélos" in titles(f"quartier={zones[0].id}")
    assert "Un verger" not in titles(f"quartier={zones[0].id}")
    only_rejected = titles("etat=rejected")
    assert "Rejetée" in only_rejected
    assert "Un verger" not in only_rejected
    # Unreadable values filter nothing rather than fail.
    assert "Un verger" in titles("categorie=abc&quartier=%C2%B2&etat=nope&tri=x&page=1")


def test_orders_and_pages(db: Session, client: TestClient) -> None:
    process = make_process(db)
    for number in range(25):
        add_proposal(
            db, process, f"Idée {number:02d}", supports_count=number % 7, comments_count=number
        )
    base = "/participation/budget-2026/propositions"
    first = client.get(f"{base}?tri=comments", headers=HTML).text
    assert first.index("Idée 24") < first.index("Idée 23")
    assert "Idée 04" not in first  # page 1 holds 20 of 25
    second = client.get(f"{base}?tri=comments&page=2", headers=HTML).text
    assert "Idée 04" in second
    assert "Idée 24" not in second
    supported = client.get(f"{base}?tri=supports", headers=HTML).text
    assert supported.index("Idée 20") < supported.index("Idée 19")
    assert "Idée 00" not in supported  # no support: last, on page 2
    # A random order is the same on every visit with the same seed; the pages split it.
    one = client.get(f"{base}?tri=random&graine=42", headers=HTML).text
    again = client.get(f"{base}?tri=random&graine=42", headers=HTML).text
    assert one == again or _titles(one) == _titles(again)
    rest = client.get(f"{base}?tri=random&graine=42&page=2", headers=HTML).text
    assert not set(_titles(one)) & set(_titles(rest))
    assert len(set(_titles(one)) | set(_titles(rest))) == 25
    # A new visit gets a seed of its own, kept in the pager's links.
    fresh = client.get(f"{base}?tri=random", headers=HTML).text
    assert "graine=" in fresh


def _titles(html: str) -> list[str]:
    return [part.split("<", 1)[0] for part in html.split(">Idée ")[1:]]


def test_map_view_and_its_points(db: Session, client: TestClient) -> None:
    process = make_process(db)
    add_proposal(db, process, "Banc place du marché", latitude=45.94, longitude=-0.96)
    add_proposal(db, process, "Sans lieu")
    add_proposal(db, process, "Caché", latitude=45.9, longitude=-0.9, hidden=True)
    page = client.get("/participation/budget-2026/propositions?vue=carte", headers=HTML)
    assert page.status_code == 200
    assert "proposals-map" in page.text
    assert "<table" in page.text
    assert "Sans lieu" in page.text  # the table lists the page's proposals
    points = client.get("/participation/budget-2026/propositions/carte.json").json()
    assert [f["properties"]["title"] for f in points["features"]] == ["Banc place du marché"]
    assert points["features"][0]["geometry"]["coordinates"] == [-0.96, 45.94]


def test_merged_proposal_points_to_the_one_it_was_merged_into(
    db: Session, client: TestClient
) -> None:
    process = make_process(db)
    kept = add_proposal(db, process, "Piste cyclable avenue")
    merged = add_proposal(db, process, "Piste vélo avenue", state="merged", merged_into_id=kept.id)
    listing = client.get("/participation/budget-2026/propositions", headers=HTML).text
    assert "Piste vélo avenue" not in listing
    page = client.get(f"/participation/budget-2026/propositions/{merged.id}", headers=HTML)
    assert page.status_code == 200
    assert f'href="/participation/budget-2026/propositions/{kept.id}"' in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/participation/inconnu/propositions",
        "/participation/budget-2026/propositions/abc",
        "/participation/budget-2026/propositions/99999999999999999999",
        "/participation/budget-2026/propositions/%D9%A3",
        "/participation/budget-2026/propositions/0",
        "/participation/budget-2026/propositions/1/photos/x.jpg",
        "/participation/brouillon/propositions",
    ],
)
def test_bad_addresses_are_404(db: Session, client: TestClient, path: str) -> None:
    make_process(db)
    make_process(db, slug="brouillon", published=False)
    assert client.get(path, headers=HTML).status_code == 404


def test_hidden_proposal_page_is_404(db: Session, client: TestClient) -> None:
    process = make_process(db)
    hidden = add_proposal(db, process, "Caché", hidden=True)
    response = client.get(f"/participation/budget-2026/propositions/{hidden.id}", headers=HTML)
    assert response.status_code == 404


def test_similar_proposals_are_found_without_accents(db: Session, client: TestClient) -> None:
    process = make_process(db)
    wanted = add_proposal(db, process, "Plus de Vélos en centre-ville", supports_count=4)
    add_proposal(db, process, "Des bancs au parc")
    add_proposal(db, process, "Vélos cachés", hidden=True)
    other = make_process(db, slug="autre")
    add_proposal(db, other, "Des vélos ailleurs")
    found = client.get("/participation/budget-2026/propositions/similaires?titre=velo").json()
    assert [item["id"] for item in found["items"]] == [wanted.id]
    assert found["items"][0]["url"] == f"/participation/budget-2026/propositions/{wanted.id}"
    assert client.get(
        "/participation/budget-2026/propositions/similaires?titre=le%20la%20de"
    ).json() == {"items": []}


def test_writing_needs_an_account(db: Session, client: TestClient) -> None:
    make_process(db)
    response = client.get(
        "/participation/budget-2026/propositions/nouvelle", headers=HTML, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/compte/connexion")


def test_writing_outside_the_proposals_phase_is_refused_in_french(
    db: Session, client: TestClient, settings: Settings
) -> None:
    from servicielle.core.i18n import _, in_locale
    from servicielle.participation.models import Feature
    from servicielle.participation.phases import CLOSED_MESSAGES

    make_process(db, phase=PhaseKind.VOTE)
    signed_in(client, db, settings, "ecrit@example.fr")
    token = csrf_token(client)
    with in_locale("fr"):
        message = _(CLOSED_MESSAGES[Feature.PROPOSE])
    page = client.get("/participation/budget-2026/propositions/nouvelle", headers=HTML)
    assert page.status_code == 409
    assert message in page.text.replace("&#39;", "'")
    response = publish(client, "budget-2026", token)
    assert response.status_code == 409
    assert db.scalar(select(Proposal.id)) is None


def test_create_compare_publish(db: Session, client: TestClient, settings: Settings) -> None:
    zones = load_territory(db)
    process = make_process(db)
    category = make_category(db)
    existing = add_proposal(db, process, "Des vélos en libre-service")
    user = signed_in(client, db, settings, "ecrit@example.fr")
    token = csrf_token(client)
    base = "/participation/budget-2026/propositions/nouvelle"
    assert client.get(base, headers=HTML).status_code == 200
    # Step 2 (without JavaScript): the similar proposals come before publishing.
    compare = client.post(
        base,
        data={"csrf_token": token, "title": "Plus de VELOS", "body": "Des arceaux partout."},
        headers=HTML,
    )
    assert compare.status_code == 200
    assert f"/participation/budget-2026/propositions/{existing.id}#soutiens" in compare.text
    assert 'value="Plus de VELOS"' in compare.text
    response = publish(
        client,
        "budget-2026",
        token,
        category=str(category.id),
        geozone=str(zones[0].id),
        latitude="45,94",
        longitude="-0.96",
        address="Place Colbert",
        files=[("photos", ("a.png", png(), "image/png"))],
    )
    assert response.status_code == 303, response.text
    proposal = db.scalars(select(Proposal).where(Proposal.author_id == user.id)).one()
    assert response.headers["location"].startswith(
        f"/participation/budget-2026/propositions/{proposal.id}"
    )
    assert proposal.folded == "plus de velos des arceaux partout"
    assert (proposal.latitude, proposal.longitude) == (45.94, -0.96)
    assert db.scalar(
        select(Follow.id).where(Follow.user_id == user.id, Follow.target_id == proposal.id)
    )
    assert db.scalar(select(Activity.kind).where(Activity.proposal_id == proposal.id)) == "proposal"
    photo_id = db.scalars(select(ProposalPhoto.id)).one()
    page = client.get(response.headers["location"], headers=HTML)
    assert "ecrit" in page.text
    assert "ecrit@example.fr" not in page.text
    photo_url = f"/participation/budget-2026/propositions/{proposal.id}/photos/{photo_id}"
    assert photo_url in page.text
    image = client.get(f"{photo_url}.jpg")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    assert client.get(f"{photo_url}-vignette.jpg").status_code == 200
    assert client.get(f"{photo_url}-grand.jpg").status_code == 404


def test_publishing_errors_are_shown_next_to_the_fields(
    db: Session, client: TestClient, settings: Settings
) -> None:
    make_process(db)
    signed_in(client, db, settings, "ecrit@example.fr")
    token = csrf_token(client)
    long_title = publish(
        client, "budget-2026", token, title="x" * 151, latitude="95", longitude="1"
    )
    assert long_title.status_code == 422
    assert 'id="title-error"' in long_title.text
    assert 'aria-invalid="true"' in long_title.text
    assert 'id="latitude-error"' in long_title.text
    not_a_photo = publish(
        client, "budget-2026", token, files=[("photos", ("a.png", b"not an image", "image/png"))]
    )
    assert not_a_photo.status_code == 422
    assert 'id="photos-error"' in not_a_photo.text
    too_many = publish(
        client,
        "budget-2026",
        token,
        files=[("photos", (f"{n}.png", png(), "image/png")) for n in range(4)],
    )
    assert too_many.status_code in (400, 422)
    stranger = publish(client, "budget-2026", token, association="123456")
    assert stranger.status_code == 422
    assert 'id="association-error"' in stranger.text
    empty = client.post(
        "/participation/budget-2026/propositions/nouvelle",
        data={"csrf_token": token, "title": " ", "body": ""},
        headers=HTML,
    )
    assert empty.status_code == 422
    assert 'id="body-error"' in empty.text
    assert db.scalar(select(Proposal.id)) is None


def test_on_behalf_of_an_association(
    db: Session, client: TestClient, settings: Settings, roles: dict[str, Any]
) -> None:
    make_process(db)
    sign_in_client(client, db, settings, roles["inhabitant"])
    token = csrf_token(client)
    response = publish(client, "budget-2026", token, association=str(roles["association"].id))
    assert response.status_code == 303
    page = client.get(response.headers["location"], headers=HTML)
    assert roles["association"].name in page.text


def test_proposals_per_hour(db: Session, client: TestClient, settings: Settings) -> None:
    make_process(db, proposals_per_hour=1)
    signed_in(client, db, settings, "ecrit@example.fr")
    token = csrf_token(client)
    assert publish(client, "budget-2026", token).status_code == 303
    second = publish(client, "budget-2026", token, title="Une autre idée")
    assert second.status_code == 429
    assert "1" in second.text
    assert second.headers["retry-after"] == "3600"
    assert len(db.scalars(select(Proposal.id)).all()) == 1


def test_text_is_escaped(db: Session, client: TestClient) -> None:
    process = make_process(db)
    proposal = add_proposal(db, process, "<script>alert(1)</script>", body="<img src=x onerror=y>")
    db.add(Comment(proposal_id=proposal.id, body="<b>gras</b>"))
    db.flush()
    for path in ("", f"/{proposal.id}"):
        text = client.get(f"/participation/budget-2026/propositions{path}", headers=HTML).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;" in text
        assert "<img src=x" not in text
    assert "<b>gras</b>" not in text


def test_list_page_loads_only_the_page(db: Session) -> None:
    from servicielle.participation.proposals.listing import ProposalFilters, list_page

    process = make_process(db)
    for number in range(30):
        add_proposal(
            db,
            process,
            f"Idée {number}",
            created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=number),
        )
    rows, total = list_page(db, process.id, ProposalFilters(sort="recent"), page=2, page_size=10)
    assert total == 30
    assert [r.title for r in rows] == [f"Idée {n}" for n in range(19, 9, -1)]
