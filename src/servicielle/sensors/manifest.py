"""Manifest of the real-time hub."""

from __future__ import annotations

from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest
from servicielle.core.permissions import ADMINS, STAFF, Permission
from servicielle.sensors import ingest_api
from servicielle.sensors.ngsild import api as ngsild_api
from servicielle.sensors.ngsild import batch as ngsild_batch
from servicielle.sensors.ngsild.errors import problem_details

manifest = ModuleManifest(
    name="sensors",
    label=N_("Real-time data"),
    requires=("core", "accounts", "territory"),
    models=("servicielle.sensors.models",),
    templates="servicielle.sensors",
    routes=(ngsild_batch.router, ngsild_api.router, ingest_api.router),
    permissions=(
        Permission(
            "sensors.entity.write",
            "Create, update and delete the real-time entities of one's own organisation",
            STAFF,
        ),
        Permission(
            "sensors.observation.write",
            "Send observations of one's own organisation's entities",
            STAFF,
        ),
        Permission(
            "sensors.admin", "See dead letters and manage every organisation's sensors", ADMINS
        ),
    ),
    error_formats={"/ngsi-ld/": problem_details},
)
