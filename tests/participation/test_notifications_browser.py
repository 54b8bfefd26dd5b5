"""The notification pages in Chromium: axe-core, signed in and through the emailed link."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from servicielle.core.accounts.demo import DEMO_PASSWORD
from servicielle.core.accounts.security import sign
from servicielle.core.accounts.service import create_user
from servicielle.core.db import create_db_engine
from servicielle.core.session import AuditContext
from servicielle.participation.models import Follow, FollowTarget, Process, Proposal
from servicielle.participation.notifications.digests import UNSUBSCRIBE
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import assert_accessible, new_page, sign_in, submit, visit
from tests.conftest import SECRET, LiveSite

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]


def _follower(live_site: LiveSite) -> tuple[str, int]:
    """A new account following a process and one of its proposals: its email and id."""
    engine = create_db_engine(live_site.database_url)
    tag = uuid.uuid4().hex[:8]
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            user = create_user(
                session,
                email=f"suivi-{tag}@example.fr",
                password=DEMO_PASSWORD,
                display_name="Suzanne Suiveuse",
                confirmed=True,
            )
            process = Process(slug=f"jardins-{tag}", title="Jardins partagés", published=True)
            session.add(process)
            session.flush()
            idea = Proposal(process_id=process.id, title="Des bacs à compost", body="Texte.")
            session.add(idea)
            session.flush()
            session.add_all(
                [
                    Follow(user_id=user.id, target=FollowTarget.PROCESS, target_id=process.id),
                    Follow(user_id=user.id, target=FollowTarget.PROPOSAL, target_id=idea.id),
                ]
            )
            session.commit()
            return user.email, user.id
    finally:
        engine.dispose()


def test_notification_pages_are_accessible(browser: Browser, live_site: LiveSite) -> None:  # noqa: F811
    email, user_id = _follower(live_site)
    visitor = new_page(browser, live_site.base_url, "fr")
    visit(visitor, "/participation/notifications", "notifications (visitor)")
    visit(
        visitor,
        f"/participation/notifications/arret/{sign(SECRET, UNSUBSCRIBE, {'u': user_id})}",
        "stop the digest",
    )
    submit(visitor)
    assert_accessible(visitor, "digest stopped")

    for locale in ("fr", "en"):
        page = new_page(browser, live_site.base_url, locale, width=360)
        sign_in(page, email)
        visit(page, "/participation/notifications", f"notifications {locale}")
        assert page.locator(".followed-list li").count() == 2
        page.check("#frequency-weekly")
        submit(page)
        assert page.locator("#frequency-weekly").is_checked()
        assert_accessible(page, f"digest saved {locale}")
    # Unfollow the proposal: the process stays.
    submit(page, ".followed-list li:last-child button")
    assert page.locator(".followed-list li").count() == 1
    assert_accessible(page, "unfollowed")
