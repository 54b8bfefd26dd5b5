"""Open-data pages in a real browser: search, dataset, map, chart, publishing, moderation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.test_pages import (
    MODULE_LOCALES,
    assert_accessible,
    new_page,
    sign_in,
    submit,
    visit,
)

pytestmark = pytest.mark.xdist_group("browser")


@pytest.mark.parametrize("locale", MODULE_LOCALES)
def test_catalog_public_pages(browser: Browser, live_server: str, locale: str) -> None:
    page = new_page(browser, live_server, locale)
    visit(page, "/donnees", "catalogue")
    # A private dataset of the demo never shows to visitors.
    assert "consommations-energetiques-batiments" not in page.content()
    page.fill("#q", "velo")
    submit(page, "form[role=search] button")
    titles = page.locator(".dataset-item h3").all_inner_texts()
    assert any("vélo" in t.lower() for t in titles), titles
    assert_accessible(page, "search results")
    # A facet narrows the list and can be removed.
    page.goto("/donnees")
    with page.expect_navigation():
        page.locator(".facet a").first.click()
    assert page.locator(".facet a[aria-current=true]").count() == 1
    assert_accessible(page, "facet chosen")

    # A tabular dataset: preview table sorted by a column, a chart, downloads.
    visit(page, "/donnees/frequentation-parkings-2025", "dataset with chart")
    assert page.locator("table.data-table").count() >= 2
    assert page.locator("svg .bar").count() >= 2
    with page.expect_navigation():
        page.locator("th a").first.click()
    assert page.locator("th[aria-sort]").count() == 1
    assert_accessible(page, "sorted preview")
    # Points on a map, drawn from the GeoJSON export.
    page.goto("/donnees/points-apport-volontaire")
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator(".leaflet-interactive").count() == 120
    assert_accessible(page, "dataset with map")
    # The territory's own live dataset, with its 25 outlines.
    page.goto("/donnees/communes-du-territoire")
    page.wait_for_selector(".leaflet-interactive")
    assert_accessible(page, "live dataset")
    visit(page, "/donnees/organisations/agglomeration", "organisation")
    visit(page, "/donnees/consommations-energetiques-batiments", "private", status=404)


def test_publishing_and_moderation(browser: Browser, live_server: str, tmp_path: Path) -> None:
    admin = new_page(browser, live_server, "fr")
    sign_in(admin, "admin@demo.servicielle.fr")
    visit(admin, "/admin/donnees", "my datasets")
    visit(admin, "/admin/donnees/nouveau", "new dataset")
    submit(admin, "form[action='/admin/donnees/nouveau'] button[type=submit]")
    assert admin.locator(".error-message").count() >= 1
    assert_accessible(admin, "new dataset with errors")
    admin.fill("#title", "Arbres d'alignement")
    admin.fill("#slug", "arbres-alignement")
    admin.fill("#description", "Les arbres des rues de Rochefort, relevés par le service.")
    submit(admin, "form[action='/admin/donnees/nouveau'] button[type=submit]")
    assert admin.url.endswith("/admin/donnees/arbres-alignement?cree=1"), admin.url
    assert admin.locator("#file").count() == 1
    assert_accessible(admin, "dataset created")

    # A broken file: the report names the row, nothing is published.
    broken = tmp_path / "arbres.csv"
    broken.write_text("espece;hauteur;plantation\nPlatane;12;2001\nTilleul;8\n", encoding="utf-8")
    admin.set_input_files("#file", str(broken))
    submit(admin, "form[enctype] button:has-text('Ajouter')")
    assert admin.locator(".report li").count() >= 1
    assert "ligne 3" in admin.locator(".report").first.inner_text().lower()
    assert_accessible(admin, "validation report")
    fixed = tmp_path / "arbres-corrige.csv"
    fixed.write_text(
        "espece;hauteur;plantation\nPlatane;12;2001\nTilleul;8;1998\n", encoding="utf-8"
    )
    admin.set_input_files("#file", str(fixed))
    submit(admin, "form[enctype] button:has-text('Ajouter')")
    assert admin.locator(".notice-success").count() == 1
    visit(admin, "/donnees/arbres-alignement", "new dataset page")

    for path in ("/admin/donnees/moderation", "/admin/donnees/reutilisations"):
        visit(admin, path, path)

    inhabitant = new_page(browser, live_server, "fr")
    sign_in(inhabitant, "habitant@demo.servicielle.fr")
    visit(inhabitant, "/donnees/proposer", "propose")
    visit(inhabitant, "/donnees/reutilisations/proposer", "reuse form")
    inhabitant.fill("#title", "Carte des arbres")
    inhabitant.fill("#url", "pas une adresse")
    submit(inhabitant)
    assert inhabitant.locator(".error-message").count() >= 1
    assert_accessible(inhabitant, "reuse form errors")


def test_catalog_on_a_phone(browser: Browser, live_server: str) -> None:
    page = new_page(browser, live_server, "fr", width=320)
    for path in ("/donnees", "/donnees/deliberations-conseil-communautaire"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
