"""Web: the shared layout, static assets, the home page and the map."""

from __future__ import annotations

from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest
from servicielle.web import views

manifest = ModuleManifest(
    name="web",
    label=N_("Web"),
    requires=("core", "territory", "accounts"),
    pages=(views.router,),
    templates="servicielle.web",
)
