"""The back office of reports through HTTP: the queue, visibility, bulk actions, flags."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import utcnow
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.permissions import Principal
from servicielle.reports import lifecycle, service
from servicielle.reports.models import Report, ReportStatus, ReportSubscription, ReportUpdate
from servicielle.reports.notifications import CONFIRM_FOLLOW, token
from tests.conftest import csrf_token, make_user, sign_in_client
from tests.reports.conftest import FOURAS, Territory, report, staff

HTML = {"Accept": "text/html"}


@dataclass
class Desk:
    """Two agents of two departments, an administrator, and a few reports."""

    voirie_agent: Principal
    proprete_agent: Principal
    admin: User
    pothole: Report
    pothole_fouras: Report
    dumping: Report


def user_of(db: Session, principal: Principal) -> User:
    """The account behind a principal."""
    user = UserRepository(db).get(principal.user.id)
    assert user is not None
    return user


@pytest.fixture
def desk(db: Session, settings: Settings, territory: Territory) -> Desk:
    """Potholes for voirie (one in Fouras), illegal dumping for propreté."""
    voirie_agent = staff(db, "karim@voirie.example.fr", territory.voirie)
    proprete_agent = staff(db, "lea@proprete.example.fr", territory.proprete)
    admin = make_user(db, "chef@example.fr", admin=True)
    pothole = report(
        db,
        settings,
        voirie_agent,
        reporter_email="marie@example.fr",
        reporter_name="Marie Curie",
        reporter_phone="06 39 98 12 34",
        channel="open311",
        description="Un trou rue Pierre Loti, appelez-moi au 06 39 98 12 34",
    )
    pothole_fouras = report(
        db, settings, voirie_agent, at=FOURAS, description="Nid-de-poule au port de Fouras"
    )
    dumping = report(
        db,
        settings,
        voirie_agent,
        category="depot-sauvage",
        description="Des gravats derrière le gymnase",
    )
    # Marie's address was typed by the agent: she follows once she opened the emailed link.
    follow = db.query(ReportSubscription).filter_by(email="marie@example.fr").one()
    service.confirm_subscription(db, settings, token(settings, CONFIRM_FOLLOW, {"s": follow.id}))
    db.flush()
    return Desk(voirie_agent, proprete_agent, admin, pothole, pothole_fouras, dumping)


def signed_in(client: TestClient, db: Session, settings: Settings, user: User) -> str:
    """Sign ``client`` in as ``user`` and return a CSRF token."""
    sign_in_client(client, db, settings, user)
    return csrf_token(client, "/admin/signalements")


def stored(db: Session, ids: list[int], column: str) -> set[object]:
    """The values of one column of these reports, as stored now."""
    db.expire_all()
    return {getattr(db.get(Report, i), column) for i in ids}


def status_counts(html: str) -> dict[str, str]:
    """The counts per status the queue shows in its status menu."""
    return dict(re.findall(r'status=(\w+)[^"]*"[^>]*>[^<(]+\((\d+)\)', html))


def queue_ids(html: str) -> set[int]:
    """Report numbers listed in the queue's table."""
    return {int(n) for n in re.findall(r'name="ids" value="(\d+)"', html)}


def test_anonymous_is_sent_to_sign_in_and_inhabitants_are_refused(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    answer = client.get("/admin/signalements", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/compte/connexion")
    detail = client.get(
        f"/admin/signalements/{desk.pothole.id}", headers=HTML, follow_redirects=False
    )
    assert detail.status_code == 303
    inhabitant = make_user(db, "jeanne@example.fr")
    sign_in_client(client, db, settings, inhabitant)
    for path in (
        "/admin/signalements",
        f"/admin/signalements/{desk.pothole.id}",
        "/admin/signalements/abus",
        "/admin/signalements/modeles",
        "/admin/signalements/categories",
    ):
        assert client.get(path, headers=HTML).status_code == 403, path


def test_an_agent_sees_only_the_reports_of_their_organisation(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    page = client.get("/admin/signalements", headers=HTML)
    assert page.status_code == 200
    assert queue_ids(page.text) == {desk.pothole.id, desk.pothole_fouras.id}
    # Another organisation's report: neither listed, nor readable; as missing as an unknown
    # number, so that a number cannot be probed.
    other = client.get(f"/admin/signalements/{desk.dumping.id}", headers=HTML)
    missing = client.get("/admin/signalements/999999", headers=HTML)
    assert other.status_code == missing.status_code == 404
    searched = client.get("/admin/signalements", params={"q": "gravats"})
    assert queue_ids(searched.text) == set()

    client.cookies.clear()
    signed_in(client, db, settings, user_of(db, desk.proprete_agent))
    page = client.get("/admin/signalements", headers=HTML)
    assert queue_ids(page.text) == {desk.dumping.id}
    assert client.get(f"/admin/signalements/{desk.pothole.id}", headers=HTML).status_code == 404


def test_administrators_see_everything_and_filter_by_organisation(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    signed_in(client, db, settings, desk.admin)
    page = client.get("/admin/signalements", headers=HTML)
    assert queue_ids(page.text) == {desk.pothole.id, desk.pothole_fouras.id, desk.dumping.id}
    only = client.get("/admin/signalements", params={"organisation": territory.proprete.id})
    assert queue_ids(only.text) == {desk.dumping.id}


def test_filters_sorting_and_counts(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    agent = desk.voirie_agent
    lifecycle.change_status(db, settings, desk.pothole, agent, status="acknowledged", note="Vu")
    lifecycle.assign(db, desk.pothole_fouras, agent, assignee_id=agent.user.id)
    desk.pothole_fouras.expected_at = utcnow().replace(year=2020)
    service.flag_report(db, desk.pothole, reason="Numéro de téléphone", client="1.2.3.4")
    db.flush()
    signed_in(client, db, settings, desk.admin)

    def listed(**params: object) -> list[int]:
        page = client.get("/admin/signalements", params=params, headers=HTML)
        assert page.status_code == 200, page.text[:300]
        return [int(n) for n in re.findall(r'name="ids" value="(\d+)"', page.text)]

    assert set(listed(status="acknowledged")) == {desk.pothole.id}
    assert set(listed(status="open")) == {desk.pothole_fouras.id, desk.dumping.id}
    assert set(listed(category=territory.dumping.id)) == {desk.dumping.id}
    assert set(listed(commune="17168")) == {desk.pothole_fouras.id}  # Fouras
    assert set(listed(assignee="me")) == set()
    assert set(listed(assignee="none")) == {desk.pothole.id, desk.dumping.id}
    assert set(listed(overdue="1")) == {desk.pothole_fouras.id}
    assert set(listed(flagged="1")) == {desk.pothole.id}
    assert set(listed(q="gravats")) == {desk.dumping.id}
    assert set(listed(q="marie@example")) == {desk.pothole.id}  # staff find the reporter
    assert set(listed(q=str(desk.dumping.id))) >= {desk.dumping.id}
    # Whoever waits longest first by default; newest first on demand.
    oldest = listed()
    assert oldest == sorted(oldest)
    assert listed(sort="newest") == sorted(oldest, reverse=True)
    assert listed(sort="expected")[0] == desk.pothole_fouras.id
    # Counts per status ignore the status filter but follow the others.
    page = client.get("/admin/signalements", params={"category": territory.pothole.id})
    assert re.search(r"Acknowledged|Pris en compte", page.text)
    counts = status_counts(page.text)
    assert counts["acknowledged"] == "1"
    assert counts["open"] == "1"
    assert counts["all"] == "2"
    # Nonsense in the query string is ignored, never a server error.
    assert set(listed(status="zzz", category="abc", assignee="x", sort="y")) == set(oldest)


def test_bulk_actions_are_all_or_nothing(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    mine = [desk.pothole.id, desk.pothole_fouras.id]

    def bulk(ids: list[int], **form: str) -> httpx.Response:
        answer: httpx.Response = client.post(
            "/admin/signalements/lot",
            data={"csrf_token": token, "ids": [str(i) for i in ids], "back": "", **form},
            headers=HTML,
            follow_redirects=False,
        )
        return answer

    # Another organisation's report among the ticked ones: 404, nothing applied, named.
    refused = bulk([*mine, desk.dumping.id], action="status", status="acknowledged", note="Vu")
    assert refused.status_code == 404
    # The page shows the reports as they are: the first two were not left acknowledged.
    assert status_counts(refused.text)["acknowledged"] == "0"
    assert f"no. {desk.dumping.id}" in refused.text or f"n° {desk.dumping.id}" in refused.text
    assert stored(db, mine, "status") == {ReportStatus.OPEN}
    # Closing without a reason fails for the first report: none is closed.
    refused = bulk(mine, action="status", status="closed", note="Pas chez nous")
    assert refused.status_code == 422
    assert 'id="bulk-close_reason"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert stored(db, mine, "status") == {ReportStatus.OPEN}
    assert db.query(ReportUpdate).filter(ReportUpdate.kind == "status").count() == 0
    # Both at once: acknowledged, and the follower of the first is told.
    before = db.query(OutboxMessage).filter_by(recipient="marie@example.fr").count()
    done = bulk(mine, action="status", status="acknowledged", note="Nous avons vu le problème.")
    assert done.status_code == 303
    assert "done=status" in done.headers["location"]
    assert stored(db, mine, "status") == {ReportStatus.ACKNOWLEDGED}
    assert db.query(OutboxMessage).filter_by(recipient="marie@example.fr").count() == before + 1
    flash = client.get(done.headers["location"], headers=HTML).text
    assert re.search(r'notice-success" role="status">\s*2 ', flash)
    # Assign to me, then to someone outside the organisation: refused, nothing changed.
    assert bulk(mine, action="assign", assignee="me").status_code == 303
    assert stored(db, mine, "assignee_id") == {desk.voirie_agent.user.id}
    outsider = str(desk.proprete_agent.user.id)
    assert bulk(mine, action="assign", assignee=outsider).status_code == 422
    assert stored(db, mine, "assignee_id") == {desk.voirie_agent.user.id}
    assert bulk([], action="assign", assignee="me").status_code == 422


def test_bulk_reroute_moves_reports_to_the_other_queue(
    client: TestClient, db: Session, settings: Settings, territory: Territory, desk: Desk
) -> None:
    token = signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    answer = client.post(
        "/admin/signalements/lot",
        data={
            "csrf_token": token,
            "ids": [str(desk.pothole.id)],
            "action": "reroute",
            "organisation": str(territory.proprete.id),
            "back": "sort=newest",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "sort=newest" in answer.headers["location"]
    assert desk.pothole.id not in queue_ids(client.get("/admin/signalements").text)
    client.cookies.clear()
    signed_in(client, db, settings, user_of(db, desk.proprete_agent))
    assert desk.pothole.id in queue_ids(client.get("/admin/signalements").text)


def test_flags_queue_shows_open_flags_of_ones_organisations(
    client: TestClient, db: Session, settings: Settings, desk: Desk
) -> None:
    service.flag_report(db, desk.dumping, reason="Propos injurieux", client="5.6.7.8")
    db.flush()
    signed_in(client, db, settings, user_of(db, desk.proprete_agent))
    page = client.get("/admin/signalements/abus", headers=HTML)
    assert page.status_code == 200
    assert "Propos injurieux" in page.text
    assert f"/admin/signalements/{desk.dumping.id}" in page.text
    client.cookies.clear()
    signed_in(client, db, settings, user_of(db, desk.voirie_agent))
    assert "Propos injurieux" not in client.get("/admin/signalements/abus", headers=HTML).text
