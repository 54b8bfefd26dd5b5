"""The vote in Chromium: who votes, choose with the live counter, check, confirm, the receipt,
checking it, and the paper-ballot entry; axe-core on each page."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts.demo import DEMO_PASSWORD
from servicielle.core.accounts.service import create_user
from servicielle.core.db import create_db_engine, utcnow
from servicielle.core.session import AuditContext
from servicielle.core.territory.models import GeoZone
from servicielle.participation.budgets.models import BallotKind, Budget, Envelope, Project
from servicielle.participation.models import Phase, PhaseKind, Process
from servicielle.participation.phases import default_features
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import assert_accessible, new_page, sign_in, submit, visit
from tests.conftest import LiveSite

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]
COSTS = (40_000, 30_000, 30_000, 20_000)


def open_vote(live_site: LiveSite) -> tuple[str, int, str, list[str]]:
    """A process whose vote is open (knapsack, 100,000 € territory-wide, 50,000 € for a
    district) and a new voter: the slug, the budget id, the voter's email, project titles."""
    engine = create_db_engine(live_site.database_url)
    tag = uuid.uuid4().hex[:8]
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            voter = create_user(
                session,
                email=f"votant-{tag}@example.fr",
                password=DEMO_PASSWORD,
                display_name="Victor Votant",
                confirmed=True,
            )
            process = Process(slug=f"vote-{tag}", title="Budget des quartiers", published=True)
            session.add(process)
            session.flush()
            now = utcnow()
            session.add(
                Phase(
                    process_id=process.id,
                    kind=PhaseKind.VOTE,
                    starts_at=now - dt.timedelta(days=1),
                    ends_at=now + dt.timedelta(days=10),
                    features=default_features(PhaseKind.VOTE),
                )
            )
            budget = Budget(
                process_id=process.id,
                title="Budget participatif",
                ballot_kind=BallotKind.KNAPSACK,
                max_projects=None,
            )
            session.add(budget)
            session.flush()
            zone = session.scalars(select(GeoZone).order_by(GeoZone.name)).first()
            assert zone is not None
            wide = Envelope(budget_id=budget.id, title="Tout le territoire", amount=100_000)
            local = Envelope(
                budget_id=budget.id, title=zone.name, amount=50_000, geozone_id=zone.id, position=1
            )
            session.add_all([wide, local])
            session.flush()
            titles = [f"Projet {n + 1} ({tag})" for n in range(len(COSTS))]
            for envelope in (wide, local):
                for index, (title, cost) in enumerate(zip(titles, COSTS, strict=True)):
                    session.add(
                        Project(
                            envelope_id=envelope.id,
                            title=title if envelope is wide else f"{title}, quartier",
                            description="Un projet pour le quartier. " * (index * 5 + 1),
                            cost=cost,
                            position=index,
                        )
                    )
            session.commit()
            return process.slug, budget.id, voter.email, titles
    finally:
        engine.dispose()


def test_voting_in_the_browser(browser: Browser, live_site: LiveSite) -> None:  # noqa: F811
    slug, budget_id, email, titles = open_vote(live_site)
    base = f"/participation/{slug}/budget"
    page = new_page(browser, live_site.base_url, "fr", width=390)
    visit(page, base, "vote: read the ballot, sign in")
    sign_in(page, email)
    visit(page, base, "vote: step 1")
    page.select_option("#vote-commune", index=1)
    page.fill("#vote-birth_date", "1980-05-17")
    submit(page)

    # Step 2: ticking projects updates the counter (money chosen of the envelope).
    assert "/choix" in page.url
    counter = page.locator(".vote-counter").first
    before = counter.inner_text()
    boxes = page.locator("input[type=checkbox][name^='p-']")
    assert boxes.count() == len(COSTS)  # no district declared: the territory-wide envelope
    for index in range(len(COSTS)):
        boxes.nth(index).check()
    after = counter.inner_text()
    assert after != before
    assert re.search(r"120\s000", after), after
    assert page.locator(".vote-counter-box").first.get_attribute("data-over") == "true"
    assert_accessible(page, "vote: step 2")

    # Step 3 over the envelope: the rule is named; back to step 2, choices kept.
    submit(page, "#vote-choices button[type=submit]")
    assert page.locator("#error-summary").count() == 1
    assert page.locator("#confirm-form").count() == 0
    assert_accessible(page, "vote: step 3 with a broken rule")
    submit(page, ".vote-decide form:first-child button")
    assert page.locator("input[type=checkbox][name^='p-']:checked").count() == len(COSTS)
    page.locator("input[type=checkbox][name^='p-']").nth(3).uncheck()
    page.locator("input[type=checkbox][name^='p-']").nth(2).uncheck()
    assert re.search(r"70\s000", counter.inner_text())
    submit(page, "#vote-choices button[type=submit]")
    assert page.locator("#confirm-form").count() == 1
    assert titles[0] in page.locator("main").inner_text()
    assert_accessible(page, "vote: step 3")

    submit(page, "#confirm-form button")
    receipt = page.locator("#receipt").inner_text().strip()
    assert re.fullmatch(r"([A-Z2-9]{4}-){4}[A-Z2-9]{4}", receipt)
    assert page.locator("#copy-receipt").is_visible()
    assert_accessible(page, "vote: receipt")

    visit(page, f"{base}/recu", "vote: check my ballot")
    page.fill("#receipt", receipt.lower())
    submit(page)
    assert titles[1] in page.locator("main").inner_text()
    assert_accessible(page, "vote: ballot found")
    visit(page, base, "vote: already voted")

    agent = new_page(browser, live_site.base_url, "fr")
    sign_in(agent, "agent.voirie@demo.servicielle.fr")
    visit(agent, "/admin/participation/bulletins-papier", "paper ballots: budgets")
    visit(agent, f"/admin/participation/bulletins-papier/{budget_id}", "paper ballots: entry")
    agent.fill("#paper-station", "Mairie, bureau 1")
    agent.locator("#paper-form input[type=checkbox]").first.check()
    submit(agent, "#paper-form button[type=submit]")
    assert agent.locator("#paper-station").input_value() == "Mairie, bureau 1"
    assert agent.locator("#paper-form input[type=checkbox]:checked").count() == 0
    assert_accessible(agent, "paper ballots: after an entry")
