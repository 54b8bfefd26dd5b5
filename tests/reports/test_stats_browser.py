"""The statistics page in Chromium on the live demo: axe-core, the heat map, 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import LOCALES, assert_accessible, new_page, visit

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]
PAGE = "/signalements/statistiques"


@pytest.mark.parametrize("locale", LOCALES)
def test_statistics_page_is_accessible_and_draws_the_heat_map(
    browser: Browser,  # noqa: F811
    live_server: str,
    locale: str,
) -> None:
    page = new_page(browser, live_server, locale)
    visit(page, PAGE, "statistics")
    # The demo's reports: squares drawn over the communes' outlines (no tiles: offline).
    page.wait_for_selector(".reports-heatmap path.leaflet-interactive")
    squares = page.locator(".reports-heatmap path.leaflet-interactive").count()
    assert squares >= 20
    legend = page.locator(".heat-legend").last.locator("li")
    assert legend.count() == 5
    assert int(page.locator("#stat-reports").inner_text()) >= 300
    assert page.locator("#by-category-table tbody tr").count() >= 15
    page.locator("details summary").click()
    assert page.locator("#heat-table tbody tr").count() == 20
    assert_accessible(page, "statistics with the table open")

    # Filters as people use them, then a mistake named next to its field.
    page.select_option("#categorie", "nid-de-poule")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "categorie=nid-de-poule" in page.url
    assert page.locator("#by-category-table tbody tr").count() == 1
    assert_accessible(page, "statistics filtered")
    visit(page, PAGE + "?du=demain", "statistics error", status=422)
    assert page.locator("#du-error").is_visible()
    page.context.close()


def test_statistics_page_fits_a_small_phone(
    browser: Browser,  # noqa: F811
    live_server: str,
) -> None:
    page = new_page(browser, live_server, "fr", width=320)
    visit(page, PAGE, "statistics 320 px")
    # Nothing wider than the screen: wide tables scroll inside their own region.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.context.close()
