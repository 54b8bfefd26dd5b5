"""The public report pages in Chromium: axe-core in French and English, 320 px, the map pin,
the whole report flow with and without JavaScript."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.security import sign
from servicielle.core.db import create_db_engine
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.permissions import ANONYMOUS
from servicielle.core.session import AuditContext
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports import lifecycle, notifications
from servicielle.reports.models import (
    CategoryQuestion,
    Report,
    ReportCategory,
    ReportStatus,
    ReportSubscription,
    RoutingRule,
)
from servicielle.reports.schemas import ReportDraft
from servicielle.reports.service import submit_report
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import MODULE_LOCALES, assert_accessible, new_page, submit, visit
from tests.conftest import SECRET, LiveSite

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]
CATEGORY = "essai-trottoir"
ROCHEFORT = (45.9369, -0.9613)
AGENT = "agent.voirie@demo.servicielle.fr"
INHABITANT = "habitant@demo.servicielle.fr"


def png(size: tuple[int, int] = (800, 600)) -> bytes:
    """A real image, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class ReportsSite:
    """The live site with a category of the tests, and reports in several states."""

    base_url: str
    database_url: str
    public_id: int
    fixed_id: int
    unconfirmed_id: int
    subscription_id: int

    def link(self, purpose: str, payload: dict[str, object]) -> str:
        """A signed link token, as the emails carry."""
        return sign(SECRET, purpose, payload)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the live database, its engine disposed afterwards."""
        engine = create_db_engine(self.database_url)
        try:
            with Session(engine) as session:
                session.info["audit"] = AuditContext(via="test")
                yield session
        finally:
            engine.dispose()


def _seed(live_site: LiveSite) -> ReportsSite:
    settings = Settings(
        database_url=live_site.database_url, secret_key=SECRET, base_url=live_site.base_url
    )
    engine = create_db_engine(live_site.database_url)
    with Session(engine) as session:
        session.info["audit"] = AuditContext(via="test")
        voirie = OrganisationRepository(session).by_slug("voirie")
        assert voirie is not None
        category = session.scalars(
            select(ReportCategory).where(ReportCategory.code == CATEGORY)
        ).first()
        if category is None:
            category = ReportCategory(
                code=CATEGORY,
                name="Trottoir abîmé (essai)",
                group="Essais",
                target_days=10,
                notice="Merci : la voirie passe sous dix jours.",
            )
            session.add(category)
            session.flush()
            session.add(
                CategoryQuestion(
                    category_id=category.id,
                    code="gene",
                    datatype="singlevaluelist",
                    required=True,
                    order=1,
                    description="Le passage est-il bloqué ?",
                    values=[{"key": "oui", "name": "Oui"}, {"key": "non", "name": "Non"}],
                )
            )
            session.add(RoutingRule(category_id=category.id, organisation_id=voirie.id))
            session.flush()
        users = UserRepository(session)
        inhabitant, agent = users.by_email(INHABITANT), users.by_email(AGENT)
        assert inhabitant is not None
        assert agent is not None

        def draft(**fields: object) -> ReportDraft:
            return ReportDraft(
                category_code=CATEGORY,
                lat=ROCHEFORT[0],
                lon=ROCHEFORT[1],
                answers={"gene": "oui"},
                description="Dalle soulevée devant la pharmacie.",
                address_string="Rue Audry de Puyravault",
                **fields,  # type: ignore[arg-type]
            )

        public = submit_report(
            session, settings, draft(photos=[png()]), principal_for_user(inhabitant)
        )
        fixed = submit_report(session, settings, draft(), principal_for_user(inhabitant))
        lifecycle.change_status(
            session,
            settings,
            fixed,
            principal_for_user(agent),
            status="fixed",
            note="Dalle remise en place.",
        )
        unconfirmed = submit_report(
            session, settings, draft(reporter_email="essai@example.fr"), ANONYMOUS
        )
        subscription = ReportSubscription(email="suivi@example.fr", report_id=public.id)
        session.add(subscription)
        session.commit()
        site = ReportsSite(
            live_site.base_url,
            live_site.database_url,
            public.id,
            fixed.id,
            unconfirmed.id,
            subscription.id,
        )
    engine.dispose()
    return site


@pytest.fixture(scope="session")
def reports_site(live_site: LiveSite) -> ReportsSite:
    """The live site with the tests' category and reports (the demo may have its own)."""
    return _seed(live_site)


def pages_of(site: ReportsSite) -> list[tuple[str, str, int]]:
    """(path, label, status) of every public report page."""
    fixed_token = site.link(notifications.QUESTIONNAIRE, {"r": site.fixed_id})
    stop_token = site.link(notifications.UNSUBSCRIBE, {"s": site.subscription_id})
    # Opening these changes nothing: the reports stay as seeded for the other tests.
    confirm_token = site.link(notifications.CONFIRM_REPORT, {"r": site.unconfirmed_id})
    follow_token = site.link(notifications.CONFIRM_FOLLOW, {"s": site.subscription_id})
    point = f"category={CATEGORY}&lat={ROCHEFORT[0]}&lon={ROCHEFORT[1]}&located_by=map"
    return [
        ("/signalements", "list", 200),
        ("/signalements/nouveau", "step 1", 200),
        (f"/signalements/nouveau/details?{point}", "step 2", 200),
        ("/signalements/nouveau/details?category=&commune=17299", "step 1 with errors", 422),
        (f"/signalements/{site.public_id}", "report", 200),
        (f"/signalements/{site.fixed_id}/resolu/{fixed_token}", "questionnaire", 200),
        (f"/signalements/abonnements/arret/{stop_token}", "unsubscribe", 200),
        (f"/signalements/confirmation/{confirm_token}", "confirm a report", 200),
        (f"/signalements/abonnements/{follow_token}", "confirm a subscription", 200),
        ("/signalements/alertes", "alerts", 200),
        ("/signalements/abonnements/faux", "expired link", 404),
        (f"/signalements/{site.unconfirmed_id}", "unconfirmed report", 404),
    ]


@pytest.mark.parametrize("locale", MODULE_LOCALES)
def test_report_pages_are_accessible(
    browser: Browser,  # noqa: F811
    reports_site: ReportsSite,
    locale: str,
) -> None:
    page = new_page(browser, reports_site.base_url, locale)
    for path, label, status in pages_of(reports_site):
        visit(page, path, label, status)
        if path == "/signalements":
            page.wait_for_selector(".reports-map path.leaflet-interactive")
            assert_accessible(page, "list with its map")
        if path == "/signalements/nouveau":
            page.wait_for_selector("#pin-map.leaflet-container")
            assert_accessible(page, "step 1 with its map")
    # Forms with errors: step 2, the follow form, the questionnaire.
    page.goto(pages_of(reports_site)[2][0])
    submit(page, "#report-form button[type=submit]")
    assert page.locator("#error-summary").count() == 1
    assert page.locator("#error-summary a[href='#q-gene']").count() == 1
    assert_accessible(page, "step 2 with errors")
    page.goto(f"/signalements/{reports_site.public_id}")
    page.fill("#follow-email", "pas-une-adresse")
    submit(page, "form[action$='/suivre'] button[type=submit]")
    assert page.locator("#follow-email-error").count() == 1
    assert_accessible(page, "follow with errors")
    page.context.close()


def test_phone_layout_has_no_horizontal_scroll(
    browser: Browser,  # noqa: F811
    reports_site: ReportsSite,
) -> None:
    page = new_page(browser, reports_site.base_url, "fr", width=320)
    for path, _label, _status in pages_of(reports_site):
        page.goto(path)
        if path == "/signalements":
            page.wait_for_selector(".reports-map path.leaflet-interactive")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    page.context.close()


def _wait_for_pin_map(page: Page) -> None:
    page.wait_for_selector("#pin-map.leaflet-container")
    assert page.locator(".report-pin").is_visible()


def test_tapping_the_map_places_the_pin(
    browser: Browser,  # noqa: F811
    reports_site: ReportsSite,
) -> None:
    page = new_page(browser, reports_site.base_url, "fr", width=375)
    page.goto("/signalements/nouveau")
    _wait_for_pin_map(page)
    assert page.input_value("#lat") == ""
    assert page.locator("#locate-me").is_visible()  # the browser knows geolocation
    page.locator("#pin-map").click()  # a tap in the middle of the map
    assert page.input_value("#lat") != ""
    assert page.input_value("#lon") != ""
    assert page.input_value("#located_by") == "map"
    assert page.locator(".report-pin-marker").count() == 1
    page.wait_for_function("document.getElementById('pin-status').textContent.trim() !== ''")
    lat = float(page.input_value("#lat"))
    # The view fits the territory: the middle of the map lies around Rochefort Océan.
    assert 45.5 < lat < 46.5
    page.locator("#pin-map").click(position={"x": 250, "y": 60})
    assert float(page.input_value("#lat")) != lat  # a second tap moves the pin
    page.click("#pin-clear")
    assert page.input_value("#lat") == ""
    assert page.locator(".report-pin-marker").count() == 0
    page.context.close()


def _confirmation_link(site: ReportsSite, email: str) -> str:
    with site.session() as session:
        mail = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert mail is not None, f"no email to {email}"
        found = re.search(r"https?://\S+(/signalements/confirmation/\S+)", mail.body)
        assert found, mail.body
        return found.group(1)


def _latest_report(site: ReportsSite, email: str) -> Report:
    with site.session() as session:
        found = session.scalars(
            select(Report).where(Report.reporter_email == email).order_by(Report.id.desc())
        ).first()
        assert found is not None
        session.expunge(found)
        return found


def test_full_report_flow_with_the_map(
    browser: Browser,  # noqa: F811
    reports_site: ReportsSite,
) -> None:
    email = f"flux-{uuid.uuid4().hex[:8]}@example.fr"
    page = new_page(browser, reports_site.base_url, "fr", width=375)
    # Back on step 1 with the pin near Rochefort's centre, as after "change the place".
    page.goto(f"/signalements/nouveau?lat={ROCHEFORT[0]}&lon={ROCHEFORT[1]}&located_by=map")
    _wait_for_pin_map(page)
    page.locator("#pin-map").click()  # tap: the pin moves to where the finger is
    assert page.input_value("#located_by") == "map"
    page.check(f"#category-{CATEGORY}")
    submit(page, "main form button[type=submit]")
    assert "/signalements/nouveau/details" in page.url
    assert "Direction de la voirie" in page.locator(".report-receiver").inner_text()
    # The public report seeded at the same place is offered to follow instead.
    assert page.locator(f"form[action='/signalements/{reports_site.public_id}/suivre']").count()
    page.check("#q-gene-1")
    page.fill("#description", "Une dalle manque, on trébuche.")
    page.fill("#reporter-name", "Flux Essai")
    page.fill("#reporter-email", email)
    page.set_input_files(
        "#photos", files=[{"name": "dalle.png", "mimeType": "image/png", "buffer": png()}]
    )
    submit(page, "#report-form button[type=submit]")
    assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()[:800]
    assert email in page.locator("main").inner_text()  # "we have sent a link to ..."
    assert_accessible(page, "sent")
    created = _latest_report(reports_site, email)
    assert created.status == ReportStatus.UNCONFIRMED
    assert created.located_by == "map"
    assert abs((created.lat or 0) - ROCHEFORT[0]) < 0.01

    page.goto(_confirmation_link(reports_site, email))
    assert _latest_report(reports_site, email).status == ReportStatus.UNCONFIRMED
    submit(page, "main form button[type=submit]")
    assert_accessible(page, "confirmed")
    submit(page, "main a.button")
    assert page.url.endswith(f"/signalements/{created.id}")
    thumbnail = page.locator(".report-photos img").first
    thumbnail.wait_for()
    page.wait_for_function("document.querySelector('.report-photos img').naturalWidth > 0")
    assert "Flux Essai" not in page.content()
    assert email not in page.content()
    page.wait_for_selector("#report-map.leaflet-container")
    assert_accessible(page, "published report")
    page.context.close()


def test_full_report_flow_without_javascript(
    browser: Browser,  # noqa: F811
    reports_site: ReportsSite,
) -> None:
    email = f"sans-js-{uuid.uuid4().hex[:8]}@example.fr"
    context = browser.new_context(
        base_url=reports_site.base_url,
        java_script_enabled=False,
        viewport={"width": 320, "height": 800},
    )
    page = context.new_page()
    page.goto("/signalements/nouveau")
    assert not page.locator(".report-pin").is_visible()  # the map needs the script
    page.select_option("#commune", "17299")
    page.fill("#address_string", "Quai aux Vivres, près du pont")
    page.check(f"#category-{CATEGORY}")
    submit(page, "main form button[type=submit]")
    assert page.locator(".report-receiver").count() == 1
    page.check("#q-gene-2")
    page.fill("#reporter-email", email)
    submit(page, "#report-form button[type=submit]")
    assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()[:800]
    created = _latest_report(reports_site, email)
    assert created.located_by == "commune"
    assert created.commune_code == "17299"
    assert created.address_string == "Quai aux Vivres, près du pont"
    page.goto(_confirmation_link(reports_site, email))
    submit(page, "main form button[type=submit]")  # a form posts without JavaScript too
    page.goto(f"/signalements/{created.id}")
    assert "Quai aux Vivres" in page.locator("main").inner_text()
    context.close()
