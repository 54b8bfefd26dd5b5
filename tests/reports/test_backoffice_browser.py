"""The reports back office in a real browser: axe-core on every page, French and English,
and no sideways scrolling on a 320 px phone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import sessionmaker

from servicielle.config import Settings
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import create_db_engine
from servicielle.core.session import session_scope
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports import service
from servicielle.reports.models import (
    CategoryQuestion,
    ReplyTemplate,
    ReportCategory,
    RoutingRule,
)
from servicielle.reports.repository import ReportRepository
from servicielle.reports.schemas import ReportDraft
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import (
    MODULE_LOCALES,
    assert_accessible,
    new_page,
    sign_in,
    submit,
    visit,
)
from tests.conftest import SECRET, LiveSite
from tests.reports.conftest import ROCHEFORT, photo_bytes

pytestmark = pytest.mark.xdist_group("browser")
AGENT = "agent.voirie@demo.servicielle.fr"
ADMIN = "admin@demo.servicielle.fr"


@dataclass(frozen=True)
class Desk:
    """What the tests created in the live database."""

    category_id: int
    report_id: int
    duplicate_id: int
    template_title: str


@pytest.fixture(scope="session")
def live_desk(live_site: LiveSite) -> Iterator[Desk]:
    """A category routed to the voirie, two nearby reports with a photo, a flag, a template."""
    engine = create_db_engine(live_site.database_url)
    settings = Settings(
        database_url=live_site.database_url, secret_key=SECRET, base_url=live_site.base_url
    )
    suffix = uuid.uuid4().hex[:6]
    try:
        with session_scope(sessionmaker(bind=engine), via="test") as session:
            voirie = OrganisationRepository(session).by_slug("voirie")
            agent = UserRepository(session).by_email(AGENT)
            assert voirie is not None
            assert agent is not None
            category = ReportCategory(
                code=f"essai-{suffix}", name=f"Chaussée abîmée {suffix}", target_days=10
            )
            session.add(category)
            session.flush()
            session.add_all(
                [
                    RoutingRule(category_id=category.id, organisation_id=voirie.id),
                    CategoryQuestion(
                        category_id=category.id,
                        code="taille",
                        datatype="singlevaluelist",
                        order=1,
                        description="Taille",
                        values=[{"key": "grand", "name": "Plus de 20 cm"}],
                    ),
                    ReplyTemplate(
                        organisation_id=voirie.id,
                        title=f"Réparé {suffix}",
                        body="Le trou a été rebouché.",
                        status="fixed",
                    ),
                ]
            )
            session.flush()
            principal = principal_for_user(agent)

            def submit_one(description: str, at: tuple[float, float], media_url: str = "") -> int:
                draft = ReportDraft(
                    category_code=category.code,
                    lat=at[0],
                    lon=at[1],
                    description=description,
                    answers={"taille": "grand"},
                    photos=[photo_bytes()],
                    reporter_name="Marie Curie",
                    reporter_email="marie.curie@example.fr",
                    reporter_phone="06 39 98 12 34",
                    media_url=media_url,
                )
                return service.submit_report(session, settings, draft, principal).id

            first = submit_one("Un trou profond devant l'école Jean Jaurès.", ROCHEFORT)
            # With a photo sent as a link: the moderation form offers to drop it.
            second = submit_one(
                "Encore ce trou.",
                (ROCHEFORT[0] + 0.001, ROCHEFORT[1]),
                media_url="https://photos.example.net/trou.jpg",
            )
            report = ReportRepository(session).get(second)
            assert report is not None
            service.flag_report(session, report, reason="Nom d'un tiers", client=suffix)
            desk = Desk(category.id, first, second, f"Réparé {suffix}")
        yield desk
    finally:
        engine.dispose()


def _no_sideways_scroll(page: Page, label: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at 320px"


@pytest.mark.parametrize("locale", MODULE_LOCALES)
def test_agent_pages(browser: Browser, live_server: str, live_desk: Desk, locale: str) -> None:  # noqa: F811
    page = new_page(browser, live_server, locale)
    sign_in(page, AGENT)
    visit(page, "/admin/signalements", "queue")
    visit(page, f"/admin/signalements?category={live_desk.category_id}&sort=newest", "filtered")
    assert page.locator(f"input[name=ids][value='{live_desk.report_id}']").count() == 1
    visit(page, f"/admin/signalements/{live_desk.report_id}", "report")
    assert "marie.curie@example.fr" in page.content()
    # A bulk action refused: the error summary and the ticked rows, still accessible.
    page.goto(f"/admin/signalements?category={live_desk.category_id}")
    page.check(f"#pick-{live_desk.report_id}")
    page.select_option("#bulk-status", "closed")
    submit(page, "button[name=action][value=status]")
    assert page.locator("#error-summary").count() == 1
    assert page.locator(f"#pick-{live_desk.report_id}").is_checked()
    assert_accessible(page, "bulk refused")
    # The reply template fills the note: with JavaScript at once, without by the button.
    page.goto(f"/admin/signalements/{live_desk.report_id}")
    template = page.locator("#status-template option", has_text=live_desk.template_title)
    page.select_option("#status-template", template.get_attribute("value"))
    assert page.input_value("#status-note") == "Le trou a été rebouché."
    assert page.input_value("#status-status") == "fixed"
    submit(page, "button[name=action][value=template]")
    assert page.input_value("#status-note") == "Le trou a été rebouché."
    assert_accessible(page, "template used")
    # Closing without a reason: the error next to the field.
    page.select_option("#status-status", "closed")
    submit(page, "#status-form button[value=save]")
    assert page.locator("#status-close_reason-error").count() == 1
    assert_accessible(page, "status refused")
    visit(page, f"/admin/signalements/{live_desk.duplicate_id}", "report with a flag")
    assert page.locator("#moderation-address_string").count() == 1
    assert page.locator("#moderation-clear_media_url").count() == 1
    # A moderation refused (no reason): the error summary, still accessible.
    page.fill("#moderation-address_string", "Rue Pierre Loti")
    submit(page, "#moderation-form button[value=moderate]")
    assert page.locator("#moderation-reason-error").count() == 1
    assert page.input_value("#moderation-address_string") == "Rue Pierre Loti"
    assert_accessible(page, "moderation refused")
    visit(page, "/admin/signalements/abus", "flags")
    assert page.locator(
        f"a[href='/admin/signalements/{live_desk.duplicate_id}#moderation']"
    ).count()
    visit(page, "/admin/signalements/modeles", "templates")
    visit(page, "/admin/signalements/modeles/nouveau", "new template")
    submit(page, "#template-form button[type=submit]")
    assert page.locator("#error-summary").count() == 1
    assert_accessible(page, "template refused")
    visit(page, "/admin/signalements/categories", "categories (agent)", status=403)
    page.context.close()


@pytest.mark.parametrize("locale", MODULE_LOCALES)
def test_settings_pages(browser: Browser, live_server: str, live_desk: Desk, locale: str) -> None:  # noqa: F811
    page = new_page(browser, live_server, locale)
    sign_in(page, ADMIN)
    visit(page, "/admin/signalements", "queue (admin)")
    visit(page, "/admin/signalements/categories", "categories")
    visit(page, "/admin/signalements/categories/nouvelle", "new category")
    submit(page, "#category-form button[type=submit]")
    assert page.locator("#category-code-error").count() == 1
    assert_accessible(page, "category refused")
    base = f"/admin/signalements/categories/{live_desk.category_id}"
    visit(page, base, "category")
    visit(page, f"{base}/questions/nouvelle", "new question")
    page.select_option("#question-datatype", "singlevaluelist")
    page.fill("#question-values", "sans signe égal")
    submit(page, "#question-form button[type=submit]")
    assert page.locator("#question-values-error").count() == 1
    assert_accessible(page, "question refused")
    visit(page, "/admin/signalements/orientation", "routing")
    page.select_option("#test-category", str(live_desk.category_id))
    page.fill("#test-lat", str(ROCHEFORT[0]))
    page.fill("#test-lon", str(ROCHEFORT[1]))
    submit(page, "#test form button[type=submit]")
    assert "voirie" in page.locator("#test [role=status]").inner_text().lower()
    assert_accessible(page, "routing tested")
    with page.expect_navigation():
        page.locator("table a[href^='/admin/signalements/orientation/']").first.click()
    assert_accessible(page, "rule")
    visit(page, "/admin/signalements/modeles", "templates (admin)")
    page.context.close()


def test_phone_layout_has_no_horizontal_scroll(
    browser: Browser,  # noqa: F811
    live_server: str,
    live_desk: Desk,
) -> None:
    page = new_page(browser, live_server, "fr", width=320)
    sign_in(page, ADMIN)
    for path in (
        "/admin/signalements",
        f"/admin/signalements/{live_desk.report_id}",
        f"/admin/signalements/{live_desk.duplicate_id}",
        "/admin/signalements/abus",
        "/admin/signalements/categories",
        f"/admin/signalements/categories/{live_desk.category_id}",
        "/admin/signalements/orientation",
        "/admin/signalements/modeles/nouveau",
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        _no_sideways_scroll(page, path)
    assert_accessible(page, "320px")
    page.context.close()
