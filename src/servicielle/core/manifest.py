"""Manifest of core (kept out of ``__init__`` because every module imports core)."""

from __future__ import annotations

from servicielle.core import health
from servicielle.core.admin import router as admin_router
from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest, NavEntry
from servicielle.core.permissions import ADMINS, STAFF, Permission

manifest = ModuleManifest(
    name="core",
    label="Core",
    models=("servicielle.core.audit.models", "servicielle.core.mail.models"),
    routes=(health.router,),
    admin=(admin_router,),
    templates="servicielle.core",
    permissions=(
        Permission("core.backoffice.access", "Open the back office", STAFF),
        Permission("core.audit.read", "Read the audit log", ADMINS),
        Permission("core.outbox.read", "Read the emails the platform sent or kept", ADMINS),
    ),
    admin_nav=(
        NavEntry(
            N_("Audit log"),
            "/admin/journal",
            N_("Who changed what, when and from where"),
            "core.audit.read",
        ),
        NavEntry(
            N_("Outbox"),
            "/admin/courriels",
            N_("Emails sent or kept by the platform"),
            "core.outbox.read",
        ),
    ),
)
