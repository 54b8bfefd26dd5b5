"""The proposal pages in Chromium with axe-core: list, map, proposal, form, back office."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import create_db_engine
from servicielle.core.session import AuditContext
from servicielle.participation.models import Comment, Flag, Process, Proposal
from servicielle.participation.proposals.similarity import fold
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import assert_accessible, new_page, sign_in
from tests.conftest import LiveSite
from tests.participation.factories import make_process

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]
SLUG = "essai-propositions"
AGENT = "agent.voirie@demo.servicielle.fr"


def _seed(live_site: LiveSite) -> int:
    engine = create_db_engine(live_site.database_url)
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            existing = session.scalar(select(Process.id).where(Process.slug == SLUG))
            if existing is not None:
                found = session.scalar(select(Proposal.id).where(Proposal.process_id == existing))
                assert found is not None
                return found
            process = make_process(
                session, slug=SLUG, title="Essai des propositions", support_threshold=50
            )
            agent = UserRepository(session).by_email(AGENT)
            assert agent is not None
            title, body = "Des arceaux à vélos place Colbert", "Il manque de places pour les vélos."
            proposal = Proposal(
                process_id=process.id,
                title=title,
                body=body,
                folded=fold(f"{title} {body}"),
                latitude=45.9369,
                longitude=-0.9613,
                author_id=agent.id,
                supports_count=12,
                comments_count=2,
                state="accepted",
                answer="Accordé.",
                cost_estimate=4000,
            )
            session.add(proposal)
            session.flush()
            top = Comment(
                proposal_id=proposal.id, author_id=agent.id, body="Bonne idée", official=True
            )
            session.add(top)
            session.flush()
            session.add(
                Comment(proposal_id=proposal.id, parent_id=top.id, author_id=agent.id, body="Merci")
            )
            session.add(Flag(target="comment", target_id=top.id, user_id=agent.id, reason="spam"))
            session.commit()
            return proposal.id
    finally:
        engine.dispose()


def test_proposal_pages_are_accessible(browser: Browser, live_site: LiveSite) -> None:  # noqa: F811
    proposal_id = _seed(live_site)
    page = new_page(browser, live_site.base_url, "fr")
    base = f"/participation/{SLUG}/propositions"

    def check(path: str, label: str, status: int = 200) -> None:
        response = page.goto(path)
        assert response is not None
        assert response.status == status, f"{path}: {response.status}"
        assert_accessible(page, label)

    check(base, "list")
    check(f"{base}?vue=carte", "map view")
    page.wait_for_selector(".leaflet-interactive")
    check(f"{base}/{proposal_id}", "proposal")
    sign_in(page, AGENT)
    check(f"{base}/{proposal_id}", "proposal, signed in")
    check(f"{base}/nouvelle", "new proposal, step 1")
    page.fill("#title", "Arceaux vélos")
    page.wait_for_selector("#similar-list li")
    page.fill("#body", "Place Colbert, devant la pharmacie.")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "Des arceaux à vélos place Colbert" in page.content()
    assert_accessible(page, "new proposal, step 2 (compare)")
    check("/admin/participation/propositions", "back-office queue")
    check(f"/admin/participation/propositions/{proposal_id}", "back-office proposal")
    check("/admin/participation/moderation", "moderation")
