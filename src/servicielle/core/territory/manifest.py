"""Manifest of the territory (kept out of ``__init__`` because other modules import it)."""

from __future__ import annotations

from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest
from servicielle.core.permissions import ADMINS, Permission
from servicielle.core.territory import api
from servicielle.core.territory.demo import demo
from servicielle.core.territory.opendata import COMMUNES, GEOZONES

manifest = ModuleManifest(
    name="territory",
    label=N_("Territory"),
    requires=("core",),
    models=("servicielle.core.territory.models",),
    api=(api.router,),
    permissions=(
        Permission("territory.manage", "Add or remove geozones and organisations", ADMINS),
    ),
    demo=demo,
    datasets=(COMMUNES, GEOZONES),
)
