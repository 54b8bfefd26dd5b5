"""Processes and the budget set-up in Chromium: axe-core on the public and back-office pages."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import sessionmaker

from servicielle.core.db import create_db_engine, utcnow
from servicielle.core.session import session_scope
from servicielle.participation.budgets import setup
from servicielle.participation.models import PhaseKind
from servicielle.participation.processes import service
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import assert_accessible, new_page, sign_in, submit, visit
from tests.conftest import LiveSite

pytestmark = pytest.mark.xdist_group("browser")
ADMIN = "admin@demo.servicielle.fr"
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Setup:
    """What the test created in the live database."""

    slug: str
    process_id: int
    phase_id: int
    budget_id: int


@pytest.fixture(scope="session")
def live_process(live_site: LiveSite) -> Setup:
    """A published process in its vote phase, with a budget, an envelope and a project."""
    engine = create_db_engine(live_site.database_url)
    slug = f"essai-{uuid.uuid4().hex[:6]}"
    try:
        with session_scope(sessionmaker(bind=engine), via="test") as session:
            process = service.create_process(
                session,
                slug=slug,
                title="Budget participatif (essai)",
                summary="Proposez, votez.",
                description="Cinq pour cent du budget d'investissement.",
                published=True,
            )
            now = utcnow()
            service.add_phase(
                session,
                process,
                kind=PhaseKind.PROPOSALS,
                starts_at=now - 20 * DAY,
                ends_at=now - 5 * DAY,
            )
            vote = service.add_phase(
                session,
                process,
                kind=PhaseKind.VOTE,
                starts_at=now - 5 * DAY,
                ends_at=now + 9 * DAY,
            )
            budget = setup.create_budget(session, process, title="Budget 2026", max_projects=3)
            wide = setup.add_envelope(session, budget, title="Tout le territoire", amount=500_000)
            setup.add_project(session, budget, wide, title="Un jardin partagé", cost=40_000)
            found = Setup(slug, process.id, vote.id, budget.id)
    finally:
        engine.dispose()
    return found


# French only: the layout's English is checked on every page by tests/browser/test_pages.py.
@pytest.mark.parametrize("locale", ["fr"])
def test_process_pages_are_accessible(
    browser: Browser,  # noqa: F811
    live_server: str,
    live_process: Setup,
    locale: str,
) -> None:
    page = new_page(browser, live_server, locale)
    visit(page, "/participation", "processes")
    visit(page, f"/participation/{live_process.slug}", "process")
    assert page.locator(f"a[href='/participation/{live_process.slug}/budget']").count() == 1
    assert page.locator("[aria-current=step]").count() == 1
    sign_in(page, ADMIN)
    visit(page, "/admin/participation", "admin list")
    base = f"/admin/participation/processus/{live_process.process_id}"
    visit(page, base, "process form")
    visit(page, f"{base}/phases/{live_process.phase_id}", "phase form")
    # An overlapping phase: the error next to the dates, still accessible.
    visit(page, f"{base}/phases/nouvelle?kind=results", "new phase")
    page.fill("#phase-starts_at", "2020-01-01T00:00")
    page.fill("#phase-ends_at", "2100-01-01T00:00")
    submit(page, "#phase-form button[value=save]")
    assert page.locator("#phase-starts_at-error").count() == 1
    assert_accessible(page, "phase refused")
    visit(page, "/admin/participation/categories", "categories")
    budget = f"/admin/participation/budgets/{live_process.budget_id}"
    visit(page, budget, "budget form")
    page.fill("#budget-min_projects", "5")
    submit(page, "#budget-form button[type=submit]")
    assert page.locator("#budget-max_projects-error").count() == 1
    assert_accessible(page, "budget refused")
    visit(page, f"{budget}/projets", "projects")
    visit(page, f"{budget}/projets/nouveau", "new project")
    visit(page, f"{budget}/enveloppes/nouvelle", "new envelope")
    page.context.close()
