"""Manifest of citizen reports."""

from __future__ import annotations

from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest, NavEntry
from servicielle.core.permissions import ADMINS, SIGNED_IN, STAFF, Permission
from servicielle.reports import backoffice, stats, views
from servicielle.reports.demo import demo
from servicielle.reports.open311 import api as open311_api
from servicielle.reports.opendata import REPORTS

manifest = ModuleManifest(
    name="reports",
    label=N_("Reports"),
    requires=("core", "accounts", "territory"),
    models=("servicielle.reports.models",),
    templates="servicielle.reports",
    pages=(views.router, stats.router),
    admin=backoffice.routers(),
    routes=(open311_api.router,),
    demo=demo,
    datasets=(REPORTS,),
    nav=(
        NavEntry(
            N_("Report a problem"),
            "/signalements",
            N_("A pothole, an overflowing bin, a dead street light: tell us and follow the fix."),
        ),
    ),
    admin_nav=(
        NavEntry(
            N_("Reports to handle"), "/admin/signalements", permission="reports.report.handle"
        ),
    ),
    error_formats={"/open311/": open311_api.open311_errors},
    permissions=(
        Permission(
            "reports.report.submit_api",
            "Submit reports through the Open311 API with one's API key",
            SIGNED_IN,
        ),
        Permission(
            "reports.report.handle",
            "Handle, answer, re-route, merge and moderate the reports of one's own organisation",
            STAFF,
        ),
        Permission(
            "reports.admin",
            "Manage report categories, their questions, routing rules and reply templates",
            ADMINS,
        ),
    ),
)
