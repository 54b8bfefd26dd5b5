"""Demo sensors of the Communauté d'agglomération Rochefort Océan, created like the API does.

Car parks, parking spots, air and weather stations, traffic counters, street lights, waste
containers, energy meters of public buildings and vehicle fleets, placed at real places of
the communes. ``servicielle simulate`` then keeps them reporting (sensors/simulator.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.modules import DemoSeed
from servicielle.core.permissions import Principal, Role
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.sensors.datamodels import model_of
from servicielle.sensors.models import (
    DeadLetter,
    HourlyAggregate,
    LatestValue,
    Notification,
    Observation,
    SensorEntity,
    Subscription,
)
from servicielle.sensors.ngsild.contexts import CORE_CONTEXT_URL
from servicielle.sensors.ngsild.entity import format_instant, parse_entity
from servicielle.sensors.patterns import SensorSpec, readings
from servicielle.sensors.repository import EntityRepository
from servicielle.sensors.service import Recorder, Writer, create_entity

ADMIN = Principal(roles=frozenset({Role.ADMINISTRATOR}))
ROCHEFORT, FOURAS, TONNAY = "17299", "17168", "17449"
AGGLOMERATION, PARKING_OPERATOR = "agglomeration", "rochefort-stationnement"


def _urn(kind: str, slug: str) -> str:
    return f"urn:ngsi-ld:{kind}:{slug}"


def _sensor(kind: str, slug: str, *args: Any, **kwargs: Any) -> SensorSpec:
    return SensorSpec(_urn(kind, slug), kind, *args, **kwargs)


def _along(start: tuple[float, float], step: tuple[float, float], n: int) -> tuple[float, float]:
    """The n-th (from 1) of a row of points."""
    return round(start[0] + step[0] * (n - 1), 6), round(start[1] + step[1] * (n - 1), 6)


def _car_parks() -> list[SensorSpec]:
    rows = (
        # slug, name, commune, lon, lat, profile, spots
        ("rochefort-corderie-royale", "Parking de la Corderie Royale", ROCHEFORT,
         -0.9568, 45.9398, "leisure", 220),
        ("rochefort-arsenal", "Parking de l'Arsenal (Hermione)", ROCHEFORT,
         -0.9560, 45.9380, "leisure", 160),
        ("rochefort-gare", "Parking de la gare", ROCHEFORT, -0.9650, 45.9330, "commuter", 180),
        ("rochefort-colbert", "Parking Colbert", ROCHEFORT, -0.9618, 45.9360, "centre", 120),
        ("rochefort-thermes", "Parking des Thermes", ROCHEFORT, -0.9580, 45.9356, "leisure", 150),
        ("rochefort-hopital", "Parking du centre hospitalier", ROCHEFORT,
         -0.9820, 45.9465, "commuter", 320),
        ("fouras-pointe-de-la-fumee", "Parking de la Pointe de la Fumée (bateaux pour l'île d'Aix)",
         FOURAS, -1.1140, 46.0019, "leisure", 450),
        ("tonnay-charente-mairie", "Parking de la mairie de Tonnay-Charente", TONNAY,
         -0.8890, 45.9437, "centre", 70),
    )  # fmt: skip
    # fmt: off
    return [
        _sensor("OffStreetParking", slug, name, commune, lon, lat, PARKING_OPERATOR, profile, spots,
                static={"totalSpotNumber": spots, "allowedVehicleType": ["car"]})
        for slug, name, commune, lon, lat, profile, spots in rows
    ]
    # fmt: on


def _parking_spots() -> list[SensorSpec]:
    groups = (
        # slug, name, profile, first point, step, extra properties
        ("rochefort-lafayette-minute", "Arrêt minute avenue Lafayette", "minute",
         (-0.9630, 45.9380), (0.00012, -0.00008), {"category": "onStreet"}),
        ("rochefort-hotel-de-ville-pmr", "Place PMR de l'hôtel de ville", "pmr",
         (-0.9606, 45.9371), (0.00008, 0.00006), {"category": "onStreet"}),
        ("rochefort-gare-recharge", "Borne de recharge du parking de la gare", "charging",
         (-0.9652, 45.9331), (0.00005, 0.00003),
         {"category": "offStreet", "refParkingSite": _urn("OffStreetParking", "rochefort-gare")}),
    )  # fmt: skip
    # fmt: off
    return [
        _sensor("ParkingSpot", f"{slug}-{n}", f"{name} n° {n}", ROCHEFORT, *_along(start, step, n),
                PARKING_OPERATOR, profile, static=extra)
        for slug, name, profile, start, step, extra in groups
        for n in range(1, 5)
    ]
    # fmt: on


def _stations() -> list[SensorSpec]:
    air = (
        ("rochefort-lafayette", "Station trafic de l'avenue Lafayette, Rochefort", ROCHEFORT,
         -0.9625, 45.9378, "traffic", 0.0),
        ("tonnay-charente-port", "Station urbaine de Tonnay-Charente", TONNAY,
         -0.8960, 45.9425, "urban", 0.0),
        # Silent for the demo: its modem dropped out, the health page shows it.
        ("fouras-littoral", "Station de fond du littoral, Fouras", FOURAS,
         -1.0960, 45.9880, "background", 5.0),
    )  # fmt: skip
    weather = (
        ("rochefort-saint-agnant", "Station météo de Rochefort – Saint-Agnant (aérodrome)",
         "17308", -0.9831, 45.8878, "inland"),
        ("ile-d-aix", "Station météo de l'île d'Aix", "17004", -1.1740, 46.0130, "coastal"),
    )  # fmt: skip
    # fmt: off
    return [
        _sensor("AirQualityObserved", slug, name, commune, lon, lat, AGGLOMERATION, profile,
                silent_hours=silent)
        for slug, name, commune, lon, lat, profile, silent in air
    ] + [
        _sensor("WeatherObserved", slug, name, commune, lon, lat, AGGLOMERATION, profile)
        for slug, name, commune, lon, lat, profile in weather
    ]
    # fmt: on


def _traffic() -> list[SensorSpec]:
    rows = (
        # slug, name, commune, lon, lat, road kind, vehicles per quarter hour at the peak
        ("rochefort-avenue-lafayette", "Avenue Lafayette, Rochefort", ROCHEFORT,
         -0.9598, 45.9378, "urban", 160),
        ("rochefort-gare", "Abords de la gare, Rochefort", ROCHEFORT,
         -0.9655, 45.9338, "urban", 120),
        ("echillais-viaduc-charente", "Viaduc de la Charente (D733), Échillais", "17146",
         -0.9700, 45.9120, "main", 420),
        ("breuil-magne-n137", "N137, Breuil-Magné", "17065", -0.9750, 45.9950, "expressway", 600),
        ("tonnay-charente-traversee", "Traversée de Tonnay-Charente", TONNAY,
         -0.8800, 45.9450, "urban", 200),
        ("fouras-entree-de-ville", "Entrée de ville de Fouras", FOURAS,
         -1.0800, 45.9830, "main", 220),
    )  # fmt: skip
    # fmt: off
    return [
        _sensor("TrafficFlowObserved", slug, f"Comptage routier – {name}", commune, lon, lat,
                "mobilites", profile, capacity, static={"laneDirection": "forward"})
        for slug, name, commune, lon, lat, profile, capacity in rows
    ]
    # fmt: on


def _street_lights() -> list[SensorSpec]:
    streets = (
        # slug, street, commune, first lamp, step between lamps, profile, lamp kW
        ("rochefort-republique", "rue de la République", ROCHEFORT,
         (-0.9640, 45.9345), (0.0005, 0.0004), "full", 0.07),
        ("rochefort-lafayette", "avenue Lafayette", ROCHEFORT,
         (-0.9660, 45.9385), (0.0006, -0.0001), "full", 0.07),
        ("rochefort-pierre-loti", "rue Pierre Loti", ROCHEFORT,
         (-0.9600, 45.9330), (-0.0004, 0.0005), "dimmed", 0.1),
        ("rochefort-audry-de-puyravault", "rue Audry de Puyravault", ROCHEFORT,
         (-0.9585, 45.9360), (-0.0005, 0.0003), "dimmed", 0.1),
        ("tonnay-charente-centre", "centre-bourg de Tonnay-Charente", TONNAY,
         (-0.8905, 45.9430), (0.0004, 0.0002), "dimmed", 0.1),
        ("fouras-front-de-mer", "front de mer de Fouras", FOURAS,
         (-1.0950, 45.9880), (0.0003, -0.0003), "dimmed", 0.1),
    )  # fmt: skip
    # One lamp is out: a ticket for the lighting operator.
    broken = _urn("Streetlight", "rochefort-pierre-loti-03")
    # fmt: off
    lights = [
        _sensor("Streetlight", f"{slug}-{n:02d}", f"Candélabre {n} – {street}", commune,
                *_along(start, step, n), "voirie", profile, kilowatts)
        for slug, street, commune, start, step, profile, kilowatts in streets
        for n in range(1, 6)
    ]
    # fmt: on
    return [replace(s, profile="defective") if s.id == broken else s for s in lights]


WASTE_KINDS = {"verre": "glass", "emballages": "plastic", "papiers": "paper", "om": "other"}
WASTE_LABELS = {
    "verre": "Colonne à verre",
    "emballages": "Conteneur à emballages",
    "papiers": "Colonne à papiers",
    "om": "Conteneur à ordures ménagères",
}


def _containers() -> list[SensorSpec]:
    rows = (
        # commune, slug, place, kind, lon, lat, collection days (Monday = 0), fill per day
        (ROCHEFORT, "rochefort-colbert", "place Colbert, Rochefort", "verre",
         -0.9612, 45.9362, (1,), 0.11),
        (ROCHEFORT, "rochefort-colbert", "place Colbert, Rochefort", "emballages",
         -0.9609, 45.9364, (0, 3), 0.22),
        (ROCHEFORT, "rochefort-gare", "gare de Rochefort", "om", -0.9645, 45.9334, (0, 2, 4), 0.28),
        (ROCHEFORT, "rochefort-corderie", "Corderie Royale, Rochefort", "verre",
         -0.9575, 45.9402, (1,), 0.13),
        (ROCHEFORT, "rochefort-hopital", "centre hospitalier de Rochefort", "om",
         -0.9815, 45.9460, (0, 2, 4), 0.3),
        (ROCHEFORT, "rochefort-republique", "rue de la République, Rochefort", "papiers",
         -0.9625, 45.9352, (3,), 0.12),
        (ROCHEFORT, "rochefort-thermes", "Thermes de Rochefort", "emballages",
         -0.9585, 45.9352, (0, 3), 0.2),
        (ROCHEFORT, "rochefort-lafayette", "avenue Lafayette, Rochefort", "om",
         -0.9640, 45.9383, (0, 2, 4), 0.32),
        (TONNAY, "tonnay-charente-mairie", "mairie de Tonnay-Charente", "verre",
         -0.8887, 45.9432, (2,), 0.12),
        (TONNAY, "tonnay-charente-mairie", "mairie de Tonnay-Charente", "emballages",
         -0.8884, 45.9434, (1, 4), 0.2),
        (TONNAY, "tonnay-charente-quais", "quais de Tonnay-Charente", "om",
         -0.8905, 45.9428, (1, 4), 0.25),
        (FOURAS, "fouras-pointe-de-la-fumee", "Pointe de la Fumée, Fouras", "verre",
         -1.1135, 46.0016, (4,), 0.15),
        (FOURAS, "fouras-plage-nord", "plage Nord, Fouras", "emballages",
         -1.0950, 45.9880, (1, 4), 0.24),
        (FOURAS, "fouras-centre", "centre de Fouras", "om", -1.0935, 45.9865, (0, 3), 0.3),
        ("17146", "echillais-bourg", "bourg d'Échillais", "verre", -0.9530, 45.9020, (2,), 0.1),
        ("17146", "echillais-bourg", "bourg d'Échillais", "emballages",
         -0.9527, 45.9023, (2,), 0.14),
        ("17484", "port-des-barques-bourg", "bourg de Port-des-Barques", "verre",
         -1.0790, 45.9480, (3,), 0.1),
        ("17484", "port-des-barques-port", "port de Port-des-Barques", "emballages",
         -1.0780, 45.9490, (0, 3), 0.2),
        ("17308", "saint-agnant-bourg", "bourg de Saint-Agnant", "verre",
         -0.9600, 45.8730, (2,), 0.09),
        ("17308", "saint-agnant-bourg", "bourg de Saint-Agnant", "emballages",
         -0.9597, 45.8733, (1, 4), 0.18),
        ("17429", "soubise-bourg", "bourg de Soubise", "verre", -1.0040, 45.9260, (3,), 0.1),
        ("17065", "breuil-magne-bourg", "bourg de Breuil-Magné", "emballages",
         -0.9600, 45.9850, (1, 4), 0.2),
        ("17004", "ile-d-aix-bourg", "bourg de l'île d'Aix", "verre",
         -1.1740, 46.0130, (4,), 0.12),
        ("17353", "saint-laurent-de-la-pree-bourg", "bourg de Saint-Laurent-de-la-Prée", "verre",
         -1.0330, 45.9880, (2,), 0.09),
        ("17253", "muron-bourg", "bourg de Muron", "verre", -0.8300, 46.0300, (3,), 0.08),
    )  # fmt: skip
    # Silent for the demo: the island's and Muron's sensors lost their network.
    silent = {"17004", "17253"}
    # fmt: off
    return [
        _sensor("WasteContainer", f"{slug}-{kind}", f"{WASTE_LABELS[kind]} – {place}", commune, lon,
                lat, "proprete", days=days, size=rate,
                silent_hours=26.0 if commune in silent else 0.0,
                static={"storedWasteKind": WASTE_KINDS[kind]})
        for commune, slug, place, kind, lon, lat, days, rate in rows
    ]
    # fmt: on


def _meters() -> list[SensorSpec]:
    rows = (
        # slug, building, commune, lon, lat, kind of opening hours, peak kW
        ("rochefort-hotel-de-ville", "Hôtel de ville de Rochefort", ROCHEFORT,
         -0.9605, 45.9369, "town_hall", 90),
        ("rochefort-mediatheque", "Médiathèque de Rochefort", ROCHEFORT,
         -0.9592, 45.9390, "library", 45),
        ("rochefort-piscine", "Piscine de Rochefort", ROCHEFORT, -0.9700, 45.9310, "pool", 220),
        ("rochefort-ecole-centre", "École élémentaire du centre, Rochefort", ROCHEFORT,
         -0.9680, 45.9400, "school", 35),
        ("rochefort-gymnase", "Gymnase municipal de Rochefort", ROCHEFORT,
         -0.9750, 45.9350, "gym", 40),
        ("rochefort-siege-agglomeration", "Siège de la communauté d'agglomération", ROCHEFORT,
         -0.9645, 45.9420, "offices", 70),
        ("tonnay-charente-mairie", "Mairie de Tonnay-Charente", TONNAY,
         -0.8885, 45.9430, "town_hall", 40),
        ("tonnay-charente-ecole", "École de Tonnay-Charente", TONNAY,
         -0.8900, 45.9420, "school", 30),
        ("fouras-ecole", "École de Fouras", FOURAS, -1.0900, 45.9860, "school", 28),
        ("fouras-mediatheque", "Médiathèque de Fouras", FOURAS, -1.0945, 45.9850, "library", 20),
    )  # fmt: skip
    # fmt: off
    return [
        _sensor("ThreePhaseAcMeasurement", slug, f"Compteur électrique – {name}", commune, lon, lat,
                AGGLOMERATION, kind, peak)
        for slug, name, commune, lon, lat, kind, peak in rows
    ]
    # fmt: on


def _fleets() -> list[SensorSpec]:
    rows = (
        ("taxis-gare-rochefort", "Station de taxis de la gare de Rochefort", -0.9617, 45.9333,
         "taxi", 6),
        ("velos-place-colbert", "Vélos en libre-service de la place Colbert", -0.9612, 45.9368,
         "bicycle", 20),
        ("autopartage-rochefort-centre", "Autopartage de Rochefort centre", -0.9590, 45.9385,
         "car", 4),
    )  # fmt: skip
    # fmt: off
    return [
        _sensor("VehicleAvailability", slug, name, ROCHEFORT, lon, lat, "mobilites", profile, total,
                static={"totalVehicleNumber": total, "vehicleType": profile})
        for slug, name, lon, lat, profile, total in rows
    ]
    # fmt: on


SENSORS: tuple[SensorSpec, ...] = (
    *_car_parks(),
    *_parking_spots(),
    *_stations(),
    *_traffic(),
    *_street_lights(),
    *_containers(),
    *_meters(),
    *_fleets(),
)


def initial_index(spec: SensorSpec) -> float:
    """The meter index (kWh) a building's meter shows when the demo starts."""
    return round(spec.size * 2500.0, 3)


def _property(entity_type: str, name: str, value: Any, observed: str | None) -> dict[str, Any]:
    if name.startswith("ref"):
        return {"type": "Relationship", "object": value}
    attribute: dict[str, Any] = {"type": "Property", "value": value}
    model = model_of(entity_type)
    spec = model.attributes.get(name) if model else None
    if spec is not None and spec.unit:
        attribute["unitCode"] = spec.unit
    if observed is not None:
        attribute["observedAt"] = observed
    return attribute


def entity_body(spec: SensorSpec, locality: str, observed_at: dt.datetime) -> dict[str, Any]:
    """The normalized NGSI-LD entity of ``spec``, its values read at ``observed_at``."""
    model = model_of(spec.type)
    observed = format_instant(observed_at)
    body: dict[str, Any] = {
        "id": spec.id,
        "type": spec.type,
        "@context": [model.context_url, CORE_CONTEXT_URL] if model else [CORE_CONTEXT_URL],
        "name": {"type": "Property", "value": spec.name},
        "address": {
            "type": "Property",
            "value": {"addressLocality": locality, "addressCountry": "FR"},
        },
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [spec.lon, spec.lat]},
        },
    }
    for name, value in spec.static.items():
        body[name] = _property(spec.type, name, value, None)
    values = readings(spec, observed_at)
    if spec.type == "ThreePhaseAcMeasurement":
        values["totalActiveEnergyImport"] = initial_index(spec)
    for name, value in values.items():
        body[name] = _property(spec.type, name, value, observed)
    return body


def load(session: Session) -> str:
    """Create the demo sensors that do not exist yet, with a first reading each."""
    organisations = OrganisationRepository(session)
    territory = TerritoryRepository(session)
    owners: dict[str, int] = {}
    for slug in {spec.owner for spec in SENSORS}:
        organisation = organisations.by_slug(slug)
        if organisation is None:
            raise LookupError(f"the demo organisation {slug!r} is missing: load the territory")
        owners[slug] = organisation.id
    localities = {code: territory.commune(code) for code in {spec.commune for spec in SENSORS}}
    existing = EntityRepository(session).by_ids([spec.id for spec in SENSORS])
    recorder = Recorder()
    now = utcnow().replace(second=0, microsecond=0)
    created: Counter[str] = Counter()
    for spec in SENSORS:
        if spec.id in existing:
            continue
        commune = localities[spec.commune]
        # Silent sensors' last reading is already old: the health page has something to show.
        observed = now - dt.timedelta(hours=spec.silent_hours, minutes=3)
        body = entity_body(spec, commune.name if commune else "", observed)
        writer = Writer(ADMIN, owners[spec.owner])
        entity = create_entity(session, writer, parse_entity(body), recorder)
        entity.commune_code = spec.commune
        created[spec.type] += 1
    recorder.store(session)
    session.flush()
    if not created:
        return "capteurs déjà présents"
    details = ", ".join(f"{n} {kind}" for kind, n in sorted(created.items()))
    return f"{sum(created.values())} capteurs ({details})"


def clear(session: Session) -> None:
    """Remove every entity, reading, aggregate and subscription of the real-time hub."""
    for model in (
        Notification,
        Subscription,
        DeadLetter,
        HourlyAggregate,
        LatestValue,
        Observation,
        SensorEntity,
    ):
        session.execute(delete(model))


demo = DemoSeed(load=load, clear=clear)
