"""Every page, in French and English, passes axe-core (no serious or critical violation)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from servicielle.core.accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import AXE

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOCALES = ("fr", "en")
# Module pages are checked in French, the default; the layout and the shared pages of this file
# are checked in both languages (the suite's time is spent mostly in the browser).
MODULE_LOCALES = ("fr",)
pytestmark = pytest.mark.xdist_group("browser")


def assert_accessible(page: Page, label: str) -> None:
    """Run axe-core on the current page; fail on serious or critical violations."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad]
    assert not bad, f"{label} {page.url}: {details}"


def new_page(browser: Browser, base: str, locale: str, *, width: int = 1280) -> Page:
    """A fresh browser context showing the site in ``locale`` (switched the way people do)."""
    context = browser.new_context(base_url=base, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto("/")
    if locale == "en":
        with page.expect_navigation():
            page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == locale
    return page


def sign_in(page: Page, email: str) -> None:
    """Sign in through the form."""
    page.goto("/compte/connexion")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    submit(page)
    assert "/compte/connexion" not in page.url, page.content()[:500]


def submit(page: Page, selector: str = "main form button[type=submit]") -> None:
    """Submit a form and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def visit(page: Page, path: str, label: str, status: int = 200) -> None:
    """Open ``path``, check its status and its accessibility."""
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"{path}: {response.status}"
    assert_accessible(page, label)


@pytest.mark.parametrize("locale", LOCALES)
def test_public_pages(browser: Browser, live_server: str, locale: str) -> None:
    page = new_page(browser, live_server, locale)
    # The home page draws the 25 real communes on the map.
    page.goto("/")
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() == 25
    assert_accessible(page, "home")
    for path in ("/compte/connexion", "/compte/inscription", "/compte/mot-de-passe/oubli"):
        visit(page, path, path)
    visit(page, "/page-inexistante", "404", status=404)
    visit(page, "/compte/confirmation/faux", "bad link", status=404)

    # A registration with errors: messages next to the fields, still accessible.
    page.goto("/compte/inscription")
    page.fill("#email", "pas-une-adresse")
    page.fill("#password", "court")
    submit(page)
    assert page.locator(".error-message").count() >= 2, page.locator("main").inner_text()[:600]
    assert_accessible(page, "registration errors")

    # Forgotten password: the request page, then the link from the email (read by an admin).
    page.goto("/compte/mot-de-passe/oubli")
    page.fill("#email", "habitant@demo.servicielle.fr")
    submit(page)
    assert_accessible(page, "reset requested")


@pytest.mark.parametrize("locale", LOCALES)
def test_signed_in_pages(browser: Browser, live_server: str, locale: str) -> None:
    agent = new_page(browser, live_server, locale)
    sign_in(agent, "agent.voirie@demo.servicielle.fr")
    visit(agent, "/compte", "profile")
    visit(agent, "/compte/jetons", "tokens")
    agent.fill("#name", "Passerelle")
    submit(agent)
    assert agent.locator("#new-token").inner_text().startswith("svc_")
    assert_accessible(agent, "token created")
    visit(agent, "/admin", "back office (agent)")

    admin = new_page(browser, live_server, locale)
    # An email to open: ask for a reset link as the inhabitant would.
    admin.goto("/compte/mot-de-passe/oubli")
    admin.fill("#email", "habitant@demo.servicielle.fr")
    submit(admin)
    sign_in(admin, "admin@demo.servicielle.fr")
    for path in ("/admin", "/admin/journal", "/admin/courriels", "/admin/utilisateurs"):
        visit(admin, path, path)
    admin.goto("/admin/courriels")
    submit(admin, "table a")
    assert_accessible(admin, "email")
    link = re.search(
        r"https?://\S+/compte/mot-de-passe/nouveau/\S+", admin.locator("pre").inner_text()
    )
    assert link, "the reset email carries a link"
    visit(admin, link.group(0), "new password form")
    admin.goto("/admin/utilisateurs")
    submit(admin, "table a")
    assert_accessible(admin, "user detail")


def test_phone_layout_has_no_horizontal_scroll(browser: Browser, live_server: str) -> None:
    page = new_page(browser, live_server, "fr", width=320)
    for path in ("/", "/compte/inscription", "/compte/connexion"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
