"""Manifest of the catalog."""

from __future__ import annotations

from servicielle.catalog import admin, api, dcat_routes, explore, sitemap, views
from servicielle.catalog.ckan import api as ckan_api
from servicielle.catalog.demo import demo
from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest, NavEntry
from servicielle.core.permissions import ADMINS, SIGNED_IN, STAFF, Permission

manifest = ModuleManifest(
    name="catalog",
    label=N_("Open data"),
    requires=("core", "accounts", "territory"),
    models=("servicielle.catalog.models",),
    templates="servicielle.catalog",
    api=(api.router,),
    pages=(views.router,),
    # The moderation queues come first: /admin/donnees/{slug} would swallow their paths.
    admin=(admin.moderation, admin.router),
    # DCAT before the pages: /donnees/{slug}.ttl must not reach the dataset page.
    routes=(ckan_api.router, explore.router, dcat_routes.router, sitemap.router),
    permissions=(
        Permission(
            "catalog.dataset.publish",
            "Publish and edit datasets for one's own organisation",
            STAFF,
        ),
        Permission(
            "catalog.dataset.propose",
            "Propose a community dataset, shown once a moderator approves it",
            SIGNED_IN,
        ),
        Permission("catalog.dataset.moderate", "Approve or reject community datasets", ADMINS),
        Permission("catalog.reuse.submit", "Submit a reuse of the data", SIGNED_IN),
        Permission("catalog.reuse.moderate", "Approve or reject reuses", ADMINS),
    ),
    demo=demo,
    admin_nav=(
        NavEntry(N_("My datasets"), "/admin/donnees", permission="catalog.dataset.publish"),
        NavEntry(
            N_("Moderation"), "/admin/donnees/moderation", permission="catalog.dataset.moderate"
        ),
    ),
    nav=(
        NavEntry(
            N_("Open data"),
            "/donnees",
            N_("Search, explore and download the territory's data."),
        ),
    ),
)
