"""Results, follow-up, count and results admin pages in Chromium: axe-core on each."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.db import create_db_engine
from servicielle.core.session import AuditContext
from servicielle.participation.accountability import service
from servicielle.participation.accountability.models import Result
from servicielle.participation.budgets import tallying
from servicielle.participation.budgets.models import Budget
from servicielle.participation.models import PhaseKind, Process
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import new_page, sign_in, visit
from tests.conftest import LiveSite
from tests.participation.factories import make_budget, make_process
from tests.participation.test_tallying import cast, projects_of

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]
SLUG = "essai-resultats"
ADMIN = "admin@demo.servicielle.fr"


def _seed(live_site: LiveSite) -> tuple[int, int]:
    """A process in its implementation phase: results published, winners followed."""
    engine = create_db_engine(live_site.database_url)
    try:
        with Session(engine) as session:
            session.info["audit"] = AuditContext(via="test")
            process = session.scalars(select(Process).where(Process.slug == SLUG)).first()
            if process is None:
                process = make_process(
                    session, slug=SLUG, phase=PhaseKind.IMPLEMENTATION, title="Essai résultats"
                )
                budget, wide, zone = make_budget(session, process, tally_rule="mes")
                assert zone is not None
                a, b, c, d = projects_of(session, wide)
                a.latitude, a.longitude = 45.94, -0.96
                c.latitude, c.longitude = 45.93, -0.95
                for _ in range(6):
                    cast(session, budget, [a, b])
                for _ in range(3):
                    cast(session, budget, [c, d, projects_of(session, zone)[0]])
                tallying.compute(session, budget)
                tallying.publish(session, budget)
                results = service.create_from_winners(session, budget)
                service.update_result(
                    session,
                    results[0],
                    {"title": results[0].title, "status": "works", "spent": "1000"},
                )
                service.add_milestone(
                    session, results[0], {"on": "2026-03-01", "title": "Études terminées"}
                )
                session.commit()
            budget_id = session.scalars(
                select(Budget.id).where(Budget.process_id == process.id)
            ).one()
            result_id = session.scalars(
                select(Result.id).where(Result.process_id == process.id).order_by(Result.id)
            ).first()
            assert result_id is not None
            return budget_id, result_id
    finally:
        engine.dispose()


def test_results_pages_are_accessible(browser: Browser, live_site: LiveSite) -> None:  # noqa: F811
    budget_id, result_id = _seed(live_site)
    page = new_page(browser, live_site.base_url, "fr")
    visit(page, f"/participation/{SLUG}/resultats", "résultats")
    assert page.locator(".pr-rounds li").count() > 0
    visit(page, f"/participation/{SLUG}/realisations", "réalisations")
    sign_in(page, ADMIN)
    visit(page, f"/admin/participation/budgets/{budget_id}/depouillement", "dépouillement")
    visit(page, "/admin/participation/realisations", "réalisations (admin)")
    visit(page, f"/admin/participation/realisations/{result_id}", "réalisation (admin)")
    visit(page, f"/admin/participation/budgets/{budget_id}", "budget (admin)")
    visit(page, f"/admin/participation/budgets/{budget_id}/projets", "projets (admin)")
    page.set_viewport_size({"width": 320, "height": 800})
    for path in (
        f"/participation/{SLUG}/resultats",
        f"/participation/{SLUG}/realisations",
        f"/admin/participation/budgets/{budget_id}/depouillement",
        f"/admin/participation/realisations/{result_id}",
    ):
        visit(page, path, f"{path} 320 px")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)
    page.context.close()
