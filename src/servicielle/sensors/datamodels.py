"""The FIWARE Smart Data Models the hub knows: attributes, units, reporting period, map state.

Entities of other types are accepted as they come (NGSI-LD is open-world); for these types
the hub checks value types and ranges, fills the unit, and knows when a sensor went silent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ValueKind(StrEnum):
    """What a Property's value must be."""

    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    OBJECT = "object"


class State(StrEnum):
    """How the map colours an entity."""

    OK = "ok"
    WARNING = "warning"
    ALERT = "alert"
    OFF = "off"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a model: kind, unit (UN/CEFACT code), bounds or allowed values."""

    kind: ValueKind
    label: str
    unit: str | None = None
    unit_label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()

    def check(self, value: Any) -> str | None:
        """Why ``value`` does not fit, or None."""
        if self.kind is ValueKind.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"expected a number, got {_json_kind(value)}"
            if self.minimum is not None and value < self.minimum:
                return f"{value} is below the minimum {self.minimum:g}"
            if self.maximum is not None and value > self.maximum:
                return f"{value} is above the maximum {self.maximum:g}"
        elif self.kind is ValueKind.TEXT:
            if not isinstance(value, str):
                return f"expected a string, got {_json_kind(value)}"
            if self.values and value not in self.values:
                return f"{value!r} is not one of {', '.join(self.values)}"
        elif self.kind is ValueKind.BOOLEAN and not isinstance(value, bool):
            return f"expected true or false, got {_json_kind(value)}"
        return None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


StateRule = Callable[[Mapping[str, Any]], State]


@dataclass(frozen=True)
class SmartDataModel:
    """A Smart Data Models type with what the hub needs to know about it."""

    type: str
    label: str
    domain: str
    attributes: Mapping[str, AttributeSpec]
    expected_period: dt.timedelta
    headline: str | None = None
    state: StateRule | None = None
    strict: bool = False
    extra_context: Mapping[str, str] = field(default_factory=dict)

    @property
    def context_url(self) -> str:
        """The Smart Data Models context of the model's domain (served locally)."""
        return f"https://raw.githubusercontent.com/smart-data-models/{self.domain}/master/context.jsonld"

    def state_of(self, values: Mapping[str, Any]) -> State:
        """The map colour for the latest ``values`` (attribute → value)."""
        return self.state(values) if self.state else State.UNKNOWN


def _ratio(values: Mapping[str, Any], num: str, den: str) -> float | None:
    a, b = values.get(num), values.get(den)
    if isinstance(a, int | float) and isinstance(b, int | float) and b > 0:
        return float(a) / float(b)
    return None


def _parking_state(values: Mapping[str, Any]) -> State:
    if values.get("status") == "closed":
        return State.OFF
    free = _ratio(values, "availableSpotNumber", "totalSpotNumber")
    if free is None:
        return State.UNKNOWN
    return State.ALERT if free < 0.05 else State.WARNING if free < 0.2 else State.OK


def _spot_state(values: Mapping[str, Any]) -> State:
    return {"free": State.OK, "occupied": State.ALERT, "closed": State.OFF}.get(
        str(values.get("status")), State.UNKNOWN
    )


def _air_state(values: Mapping[str, Any]) -> State:
    # Thresholds of the French/EU daily limits and information levels (µg/m³).
    no2, pm10 = values.get("no2"), values.get("pm10")
    level = State.UNKNOWN
    for value, warning, alert in ((no2, 100.0, 200.0), (pm10, 40.0, 50.0)):
        if isinstance(value, int | float):
            here = (
                State.ALERT if value >= alert else State.WARNING if value >= warning else State.OK
            )
            level = max(level, here, key=_SEVERITY.index)
    return level


def _light_state(values: Mapping[str, Any]) -> State:
    if values.get("status") not in (None, "ok"):
        return State.ALERT
    return State.OK if values.get("powerState") == "on" else State.OFF


def _waste_state(values: Mapping[str, Any]) -> State:
    level = values.get("fillingLevel")
    if values.get("status") not in (None, "ok"):
        return State.ALERT
    if not isinstance(level, int | float):
        return State.UNKNOWN
    return State.ALERT if level >= 0.9 else State.WARNING if level >= 0.7 else State.OK


def _traffic_state(values: Mapping[str, Any]) -> State:
    if values.get("congested") is True:
        return State.ALERT
    occupancy = values.get("occupancy")
    if not isinstance(occupancy, int | float):
        return State.UNKNOWN
    return State.WARNING if occupancy >= 0.6 else State.OK


def _vehicles_state(values: Mapping[str, Any]) -> State:
    free = values.get("availableVehicleNumber")
    if not isinstance(free, int | float):
        return State.UNKNOWN
    return State.ALERT if free == 0 else State.WARNING if free <= 2 else State.OK


def _always_ok(values: Mapping[str, Any]) -> State:
    return State.OK if values else State.UNKNOWN


_SEVERITY = [State.UNKNOWN, State.OFF, State.OK, State.WARNING, State.ALERT]

N = ValueKind.NUMBER
T = ValueKind.TEXT
B = ValueKind.BOOLEAN
A = AttributeSpec
_PARKING_STATUS = ("open", "closed", "full", "almostFull", "spacesAvailable", "unknown")
_HOUR = dt.timedelta(hours=1)
_QUARTER = dt.timedelta(minutes=15)

MODELS: dict[str, SmartDataModel] = {
    m.type: m
    for m in (
        SmartDataModel(
            "OffStreetParking",
            "Parking",
            "dataModel.Parking",
            {
                "availableSpotNumber": A(N, "Places libres", minimum=0),
                "totalSpotNumber": A(N, "Places au total", minimum=0),
                "occupiedSpotNumber": A(N, "Places occupées", minimum=0),
                "occupancy": A(N, "Taux d'occupation", "C62", "", 0, 1),
                "status": A(T, "État", values=_PARKING_STATUS),
            },
            _QUARTER,
            headline="availableSpotNumber",
            state=_parking_state,
        ),
        SmartDataModel(
            "ParkingSpot",
            "Place de stationnement",
            "dataModel.Parking",
            {
                "status": A(T, "État", values=("free", "occupied", "closed", "unknown")),
                "category": A(T, "Catégorie"),
            },
            dt.timedelta(hours=6),
            headline="status",
            state=_spot_state,
        ),
        SmartDataModel(
            "AirQualityObserved",
            "Qualité de l'air",
            "dataModel.Environment",
            {
                "no2": A(N, "Dioxyde d'azote (NO₂)", "GQ", "µg/m³", 0, 5000),
                "pm10": A(N, "Particules PM10", "GQ", "µg/m³", 0, 5000),
                "pm25": A(N, "Particules PM2,5", "GQ", "µg/m³", 0, 5000),
                "o3": A(N, "Ozone (O₃)", "GQ", "µg/m³", 0, 5000),
                "airQualityIndex": A(N, "Indice ATMO", None, "", 1, 6),
                "temperature": A(N, "Température", "CEL", "°C", -60, 70),
                "relativeHumidity": A(N, "Humidité relative", "C62", "", 0, 1),
            },
            _HOUR,
            headline="no2",
            state=_air_state,
        ),
        SmartDataModel(
            "WeatherObserved",
            "Météo",
            "dataModel.Weather",
            {
                "temperature": A(N, "Température", "CEL", "°C", -60, 70),
                "relativeHumidity": A(N, "Humidité relative", "C62", "", 0, 1),
                "atmosphericPressure": A(N, "Pression", "A97", "hPa", 800, 1100),
                "precipitation": A(N, "Précipitations", "MMT", "mm", 0),
                "windSpeed": A(N, "Vent", "MTS", "m/s", 0, 120),
            },
            _HOUR,
            headline="temperature",
            state=_always_ok,
        ),
        SmartDataModel(
            "TrafficFlowObserved",
            "Trafic routier",
            "dataModel.Transportation",
            {
                "intensity": A(N, "Véhicules par période", minimum=0),
                "occupancy": A(N, "Taux d'occupation", "C62", "", 0, 1),
                "averageVehicleSpeed": A(N, "Vitesse moyenne", "KMH", "km/h", 0, 300),
                "congested": A(B, "Embouteillé"),
            },
            _QUARTER,
            headline="intensity",
            state=_traffic_state,
        ),
        SmartDataModel(
            "Streetlight",
            "Éclairage public",
            "dataModel.Streetlighting",
            {
                "status": A(
                    T, "État", values=("ok", "defectiveLamp", "columnIssue", "brokenLantern")
                ),
                "powerState": A(T, "Allumage", values=("on", "off", "low", "bootingUp")),
                "illuminanceLevel": A(N, "Niveau d'éclairement", "C62", "", 0, 1),
                "powerConsumption": A(N, "Consommation", "KWH", "kWh", 0),
            },
            _HOUR,
            headline="powerState",
            state=_light_state,
        ),
        SmartDataModel(
            "WasteContainer",
            "Conteneur à déchets",
            "dataModel.WasteManagement",
            {
                "fillingLevel": A(N, "Taux de remplissage", "C62", "", 0, 1),
                "temperature": A(N, "Température", "CEL", "°C", -60, 200),
                "status": A(
                    T,
                    "État",
                    values=("ok", "lidOpen", "dropped", "moved", "vandalized", "burning"),
                ),
                "storedWasteKind": A(T, "Déchets"),
            },
            dt.timedelta(hours=6),
            headline="fillingLevel",
            state=_waste_state,
        ),
        SmartDataModel(
            "ThreePhaseAcMeasurement",
            "Compteur d'énergie",
            "dataModel.Energy",
            {
                "totalActivePower": A(N, "Puissance active", "WTT", "W", 0),
                "totalActiveEnergyImport": A(N, "Énergie consommée", "KWH", "kWh", 0),
                "frequency": A(N, "Fréquence", "HTZ", "Hz", 0, 100),
            },
            _QUARTER,
            headline="totalActivePower",
            state=_always_ok,
        ),
        SmartDataModel(
            # No Smart Data Model covers fleet availability (taxis, bikes, car sharing):
            # this one follows the le.taxi idea with Smart Data Models naming.
            "VehicleAvailability",
            "Véhicules disponibles",
            "dataModel.Transportation",
            {
                "availableVehicleNumber": A(N, "Véhicules disponibles", minimum=0),
                "totalVehicleNumber": A(N, "Véhicules au total", minimum=0),
                "vehicleType": A(T, "Type de véhicule"),
            },
            _QUARTER,
            headline="availableVehicleNumber",
            state=_vehicles_state,
            extra_context={
                "VehicleAvailability": "https://servicielle.fr/ns/sensors#VehicleAvailability",
                "availableVehicleNumber": "https://servicielle.fr/ns/sensors#availableVehicleNumber",
                "totalVehicleNumber": "https://servicielle.fr/ns/sensors#totalVehicleNumber",
            },
        ),
    )
}

DEFAULT_PERIOD = dt.timedelta(hours=1)


def model_of(entity_type: str) -> SmartDataModel | None:
    """The known model of ``entity_type`` (short name), if any."""
    return MODELS.get(entity_type)


def expected_period(entity_type: str) -> dt.timedelta:
    """How often entities of this type should report."""
    model = MODELS.get(entity_type)
    return model.expected_period if model else DEFAULT_PERIOD
