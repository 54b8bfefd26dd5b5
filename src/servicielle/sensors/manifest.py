"""Manifest of the real-time hub."""

from __future__ import annotations

from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest, NavEntry
from servicielle.core.permissions import ADMINS, STAFF, Permission
from servicielle.sensors import admin, ingest_api, map_api, views
from servicielle.sensors.demo import demo
from servicielle.sensors.ngsild import api as ngsild_api
from servicielle.sensors.ngsild import batch as ngsild_batch
from servicielle.sensors.ngsild import subscriptions_api as ngsild_subscriptions
from servicielle.sensors.ngsild import temporal as ngsild_temporal
from servicielle.sensors.ngsild.errors import problem_details
from servicielle.sensors.opendata import HOURLY, LATEST

manifest = ModuleManifest(
    name="sensors",
    label=N_("Real-time data"),
    requires=("core", "accounts", "territory"),
    models=("servicielle.sensors.models",),
    templates="servicielle.sensors",
    pages=(views.router,),
    admin=(admin.router,),
    nav=(
        NavEntry(
            N_("Real-time data"),
            "/capteurs",
            N_("Live map of the sensors: car parks, air, traffic, lighting, waste, energy."),
        ),
    ),
    admin_nav=(NavEntry(N_("Sensors"), "/admin/capteurs", permission="sensors.admin"),),
    routes=(
        ngsild_subscriptions.router,
        ngsild_temporal.router,
        ngsild_batch.router,
        ngsild_api.router,
        ingest_api.router,
        map_api.router,
    ),
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
    demo=demo,
    datasets=(LATEST, HOURLY),
    error_formats={"/ngsi-ld/": problem_details},
)
