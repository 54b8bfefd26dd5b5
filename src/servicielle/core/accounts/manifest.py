"""Manifest of accounts (kept out of ``__init__`` because other modules import accounts)."""

from __future__ import annotations

from servicielle.core.accounts import admin, api, views
from servicielle.core.accounts.demo import demo
from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest, NavEntry
from servicielle.core.permissions import ADMINS, SIGNED_IN, STAFF, Permission

manifest = ModuleManifest(
    name="accounts",
    label=N_("Accounts"),
    requires=("core", "territory"),
    models=("servicielle.core.accounts.models",),
    api=(api.router,),
    pages=(views.router,),
    admin=(admin.router,),
    templates="servicielle.core.accounts",
    permissions=(
        Permission("accounts.profile.edit", "Edit one's own profile", SIGNED_IN),
        Permission(
            "accounts.token.manage", "Create and revoke API tokens for one's organisations", STAFF
        ),
        Permission("accounts.user.manage", "Manage accounts, roles and memberships", ADMINS),
    ),
    admin_nav=(
        NavEntry(
            N_("People"),
            "/admin/utilisateurs",
            N_("Accounts, roles and memberships"),
            "accounts.user.manage",
        ),
    ),
    demo=demo,
)
