"""How the demo territory's sensors behave: pure, deterministic functions of time.

The same instant and sensor always give the same value (noise is a hash of the sensor and
the time slot), so the seed, the back-fill and the live rounds agree, and tests can check
shapes: rush hours, opening hours, night and day, collection days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
# Rochefort, for the sun: 46° N is close enough for every commune of the territory.
LATITUDE = 46.0
LONGITUDE = -0.97

Curve = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class SensorSpec:
    """A demo sensor: where it is, who owns it, and the knobs of its pattern.

    ``size`` is the scale of the pattern: spots, vehicles, vehicles per quarter hour, peak
    kW, lamp kW or daily fill rate, depending on the type.
    """

    id: str
    type: str
    name: str
    commune: str
    lon: float
    lat: float
    owner: str
    profile: str = ""
    size: float = 0.0
    days: tuple[int, ...] = ()
    silent_hours: float = 0.0
    static: Mapping[str, Any] = field(default_factory=dict)


# --- building blocks -----------------------------------------------------------------------


def local(instant: dt.datetime) -> dt.datetime:
    """The instant on the territory's clock (Europe/Paris)."""
    return instant.astimezone(PARIS)


def _hour(moment: dt.datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


def _day_kind(moment: dt.datetime) -> str:
    return {5: "saturday", 6: "sunday"}.get(moment.weekday(), "weekday")


def interpolate(points: Curve, x: float) -> float:
    """Piecewise-linear value of ``points`` (sorted by x) at ``x``."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def noise(key: str, slot: int) -> float:
    """A reproducible number in [-1, 1] for a sensor and a time slot."""
    digest = hashlib.blake2b(f"{key}:{slot}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def smooth_noise(key: str, instant: dt.datetime, period_s: float) -> float:
    """Noise in [-1, 1] that drifts smoothly over ``period_s`` seconds."""
    position = instant.timestamp() / period_s
    slot = math.floor(position)
    weight = position - slot
    return noise(key, slot) * (1 - weight) + noise(key, slot + 1) * weight


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _season(moment: dt.datetime) -> float:
    """-1 in mid-January, +1 in mid-July."""
    return -math.cos(2 * math.pi * (moment.timetuple().tm_yday - 20) / 365)


# --- weather and the sun -------------------------------------------------------------------


def outdoor_temperature(instant: dt.datetime, key: str = "") -> float:
    """Air temperature (°C): seasonal mean, a daily cycle (low at 3 h, high at 15 h), drift."""
    moment = local(instant)
    season = _season(moment)
    mean = 13.5 + 7.5 * season
    amplitude = 4.5 + 1.5 * season
    daily = math.cos(2 * math.pi * (_hour(moment) - 15) / 24)
    drift = 2.5 * smooth_noise("weather", instant, 86_400) + 0.4 * noise(key, 0)
    return mean + amplitude * daily + drift


def weather_values(instant: dt.datetime, key: str, coastal: bool) -> dict[str, Any]:
    """A weather station's reading."""
    temperature = outdoor_temperature(instant, key)
    mean = 13.5 + 7.5 * _season(local(instant))
    humidity = 0.78 - 0.025 * (temperature - mean) + 0.08 * smooth_noise(key + "rh", instant, 7200)
    rain = smooth_noise("rain", instant, 6 * 3600)
    wind = 4.0 + (2.0 if coastal else 0.0) + 3.0 * smooth_noise(key + "wind", instant, 3 * 3600)
    return {
        "temperature": round(temperature, 1),
        "relativeHumidity": round(_clip(humidity, 0.3, 1.0), 2),
        "atmosphericPressure": round(1016 + 9 * smooth_noise("pressure", instant, 3 * 86_400), 1),
        "precipitation": round(max(0.0, rain - 0.45) * 3.0, 1),
        "windSpeed": round(max(0.3, wind), 1),
    }


def sun_times(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Sunrise and sunset (UTC) at 46° N by the day of the year (a few minutes' accuracy)."""
    n = day.timetuple().tm_yday
    declination = math.radians(-23.44 * math.cos(2 * math.pi * (n + 10) / 365))
    b = 2 * math.pi * (n - 81) / 364
    equation_of_time = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    latitude = math.radians(LATITUDE)
    cos_omega = (math.sin(math.radians(-0.833)) - math.sin(latitude) * math.sin(declination)) / (
        math.cos(latitude) * math.cos(declination)
    )
    half_day_minutes = 4 * math.degrees(math.acos(_clip(cos_omega, -1.0, 1.0)))
    noon = 720 - 4 * LONGITUDE - equation_of_time
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return (
        midnight + dt.timedelta(minutes=noon - half_day_minutes),
        midnight + dt.timedelta(minutes=noon + half_day_minutes),
    )


def is_dark(instant: dt.datetime) -> bool:
    """Whether the sun is down."""
    utc = instant.astimezone(dt.UTC)
    sunrise, sunset = sun_times(utc.date())
    return utc < sunrise or utc >= sunset


def light_values(instant: dt.datetime, profile: str, lamp_kw: float) -> dict[str, Any]:
    """A street light: on from sunset to sunrise, dimmed after midnight if its street is."""
    if profile == "defective":
        return {"status": "defectiveLamp", "powerState": "off", "illuminanceLevel": 0.0}
    state, level = "off", 0.0
    if is_dark(instant):
        state, level = "on", 1.0
        if profile == "dimmed" and _hour(local(instant)) < 5.5:
            state, level = "low", 0.4
    return {
        "status": "ok",
        "powerState": state,
        "illuminanceLevel": level,
        "powerConsumption": round(lamp_kw * level, 3),
    }


# --- traffic, air, car parks ---------------------------------------------------------------

TRAFFIC: dict[str, Curve] = {
    "weekday": [(0, 0.04), (5, 0.06), (6, 0.25), (7, 0.65), (8, 1.0), (9, 0.7), (10, 0.5),
                (12, 0.6), (13, 0.62), (14, 0.5), (16, 0.62), (17, 0.92), (18, 1.0), (19, 0.6),
                (20, 0.35), (22, 0.15), (24, 0.05)],
    "saturday": [(0, 0.08), (7, 0.12), (9, 0.35), (11, 0.65), (12, 0.7), (14, 0.55),
                 (16, 0.6), (18, 0.55), (20, 0.3), (24, 0.08)],
    "sunday": [(0, 0.08), (8, 0.08), (10, 0.3), (12, 0.45), (15, 0.4), (18, 0.5), (20, 0.3),
               (24, 0.05)],
}  # fmt: skip


def traffic_level(instant: dt.datetime, key: str = "") -> float:
    """Road traffic, 0 (empty) to 1 (the evening rush): the territory's shared rhythm."""
    moment = local(instant)
    base = interpolate(TRAFFIC[_day_kind(moment)], _hour(moment))
    return _clip(base + 0.04 * smooth_noise(key + "traffic", instant, 1800))


FREE_SPEED = {"urban": 45.0, "main": 85.0, "expressway": 105.0}


def traffic_values(instant: dt.datetime, key: str, profile: str, capacity: float) -> dict[str, Any]:
    """A traffic counter: vehicles per quarter hour, lane occupancy, mean speed."""
    level = traffic_level(instant, key)
    free = FREE_SPEED.get(profile, 50.0)
    speed = free * (1 - 0.55 * level**3)
    return {
        "intensity": round(capacity * level * (1 + 0.05 * noise(key, int(instant.timestamp())))),
        "occupancy": round(min(0.95, 0.03 + 0.65 * level**1.6), 3),
        "averageVehicleSpeed": round(speed, 1),
        "congested": speed < 0.55 * free,
    }


# Background level and traffic share of NO₂ (µg/m³) by kind of station.
AIR_STATIONS = {"traffic": (14.0, 48.0), "urban": (10.0, 28.0), "background": (5.0, 9.0)}
# ATMO sub-index thresholds: the index is 1 plus the number of thresholds a pollutant passes.
ATMO_THRESHOLDS = {
    "no2": (40, 90, 120, 230, 340),
    "pm10": (20, 40, 50, 100, 150),
    "pm25": (10, 20, 25, 50, 75),
    "o3": (50, 100, 130, 240, 380),
}


def atmo_index(values: Mapping[str, float]) -> int:
    """The ATMO index (1 good … 6 extremely bad) of pollutant concentrations."""
    return 1 + max(
        sum(values.get(name, 0.0) > limit for limit in limits)
        for name, limits in ATMO_THRESHOLDS.items()
    )


def air_values(instant: dt.datetime, key: str, profile: str) -> dict[str, Any]:
    """An air quality station: NO₂ and particles follow traffic, ozone follows the sun."""
    background, share = AIR_STATIONS.get(profile, AIR_STATIONS["urban"])
    level = traffic_level(instant, key)
    moment = local(instant)
    cold = max(0.0, 12.0 - outdoor_temperature(instant)) / 12
    no2 = background + share * level + 4 * smooth_noise(key + "no2", instant, 5400)
    pm10 = 10 + 0.3 * share * level + 6 * cold + 3 * smooth_noise(key + "pm", instant, 7200)
    sun = max(0.0, math.sin(math.pi * (_hour(moment) - 7) / 13)) if 7 < _hour(moment) < 20 else 0
    o3 = 35 + (40 + 20 * _season(moment)) * sun - 0.35 * no2
    values = {
        "no2": round(max(1.0, no2), 1),
        "pm10": round(max(1.0, pm10), 1),
        "pm25": round(max(0.5, pm10 * 0.6), 1),
        "o3": round(max(2.0, o3 + 5 * smooth_noise(key + "o3", instant, 7200)), 1),
    }
    return {**values, "airQualityIndex": atmo_index(values)}


PARKING: dict[str, dict[str, Curve]] = {
    # Commuters: full from 9 h to the end of the afternoon on weekdays.
    "commuter": {
        "weekday": [(0, 0.08), (6, 0.1), (7, 0.3), (8, 0.7), (9, 0.88), (12, 0.82), (14, 0.88),
                    (16.5, 0.8), (18, 0.45), (19.5, 0.2), (24, 0.08)],
        "saturday": [(0, 0.08), (8, 0.15), (11, 0.4), (13, 0.45), (17, 0.35), (20, 0.15),
                     (24, 0.08)],
        "sunday": [(0, 0.06), (10, 0.15), (15, 0.2), (20, 0.1), (24, 0.06)],
    },
    # The town centre: shoppers at midday and on Saturday, the Sunday market.
    "centre": {
        "weekday": [(0, 0.1), (7, 0.12), (8, 0.4), (9, 0.55), (10, 0.65), (12, 0.85),
                    (13.5, 0.85), (15, 0.7), (17, 0.75), (18.5, 0.6), (20, 0.3), (22, 0.15),
                    (24, 0.1)],
        "saturday": [(0, 0.12), (8, 0.25), (10, 0.75), (11.5, 0.97), (13, 0.9), (15, 0.85),
                     (17, 0.92), (19, 0.6), (21, 0.25), (24, 0.12)],
        "sunday": [(0, 0.1), (9, 0.2), (10.5, 0.55), (12, 0.6), (14, 0.3), (18, 0.25),
                   (24, 0.1)],
    },
    # Visitors (monuments, spa, the ferry to Aix): afternoons, weekends, summer.
    "leisure": {
        "weekday": [(0, 0.03), (8, 0.06), (9, 0.2), (10, 0.3), (12, 0.55), (15, 0.6),
                    (17, 0.45), (19, 0.2), (21, 0.08), (24, 0.03)],
        "saturday": [(0, 0.04), (8, 0.08), (10, 0.5), (12, 0.8), (15, 0.9), (17, 0.7),
                     (19, 0.35), (21, 0.12), (24, 0.04)],
        "sunday": [(0, 0.04), (8, 0.08), (10, 0.55), (12, 0.85), (15, 0.9), (17, 0.65),
                   (19, 0.3), (21, 0.1), (24, 0.04)],
    },
}  # fmt: skip


def parking_occupancy(instant: dt.datetime, key: str, profile: str) -> float:
    """Share of a car park's spots taken (0 to 1)."""
    moment = local(instant)
    curves = PARKING.get(profile, PARKING["centre"])
    value = interpolate(curves[_day_kind(moment)], _hour(moment))
    if profile == "leisure":
        value *= 1.0 + 0.3 * _season(moment)
    return _clip(value + 0.05 * smooth_noise(key + "parking", instant, 1800))


def parking_values(instant: dt.datetime, key: str, profile: str, total: int) -> dict[str, Any]:
    """A car park's counters and status."""
    available = round(total * (1 - parking_occupancy(instant, key, profile)))
    status = "full" if available == 0 else "almostFull" if available < total * 0.1 else None
    return {
        "availableSpotNumber": available,
        "occupiedSpotNumber": total - available,
        "occupancy": round((total - available) / total, 3),
        "status": status or "spacesAvailable",
    }


SPOT_DEMAND = {"minute": 1.0, "pmr": 0.45, "charging": 0.7}


def spot_status(instant: dt.datetime, key: str, profile: str) -> str:
    """A single parking spot, taken more often when the town centre is busy."""
    probability = parking_occupancy(instant, key, "centre") * SPOT_DEMAND.get(profile, 0.8)
    draw = (noise(key + "spot", int(instant.timestamp() // 1200)) + 1) / 2
    return "occupied" if draw < probability else "free"


# --- buildings, waste, vehicles ------------------------------------------------------------

# Opening hours by weekday (Monday = 0), and the share of peak power drawn when closed.
OPENING: dict[str, tuple[dict[int, tuple[float, float]], float]] = {
    "town_hall": ({0: (8.5, 17.5), 1: (8.5, 17.5), 2: (8.5, 17.5), 3: (8.5, 17.5),
                   4: (8.5, 17.5), 5: (9, 12)}, 0.15),
    "offices": ({d: (8, 18.5) for d in range(5)}, 0.15),
    "library": ({1: (13, 18), 2: (10, 18), 3: (13, 18), 4: (13, 19), 5: (10, 17)}, 0.12),
    "pool": ({**{d: (7, 21) for d in range(5)}, 5: (9, 19), 6: (9, 13)}, 0.45),
    "school": ({0: (8, 17), 1: (8, 17), 2: (8, 12.5), 3: (8, 17), 4: (8, 17)}, 0.1),
    "gym": ({0: (17, 22.5), 1: (17, 22.5), 2: (13.5, 22.5), 3: (17, 22.5), 4: (17, 22.5),
             5: (9, 18), 6: (9, 12)}, 0.08),
}  # fmt: skip
HEATING_BASE = 16.0


def is_open(instant: dt.datetime, kind: str) -> bool:
    """Whether a public building of ``kind`` is open."""
    moment = local(instant)
    hours = OPENING.get(kind, OPENING["offices"])[0].get(moment.weekday())
    return hours is not None and hours[0] <= _hour(moment) < hours[1]


def building_power(instant: dt.datetime, key: str, kind: str, peak_kw: float) -> float:
    """Active power (W) of a public building: opening hours plus heating when it is cold."""
    base_share = OPENING.get(kind, OPENING["offices"])[1]
    open_now = is_open(instant, kind)
    # Heating starts an hour before opening and is set back when the building is closed.
    warming = is_open(instant + dt.timedelta(hours=1), kind)
    use = 1.0 if open_now else base_share
    heating = 0.035 * peak_kw * max(0.0, HEATING_BASE - outdoor_temperature(instant))
    heating *= 1.0 if open_now or warming else 0.35
    kilowatts = (peak_kw * use + heating) * (1 + 0.04 * noise(key, int(instant.timestamp())))
    return round(kilowatts * 1000, 1)


def meter_values(instant: dt.datetime, key: str, kind: str, peak_kw: float) -> dict[str, Any]:
    """An energy meter's instantaneous readings (the index is kept by :func:`meter_series`)."""
    return {
        "totalActivePower": building_power(instant, key, kind, peak_kw),
        "frequency": round(50 + 0.03 * noise(key + "hz", int(instant.timestamp())), 3),
    }


def meter_series(
    anchor_index: float,
    anchor_time: dt.datetime,
    times: Sequence[dt.datetime],
    powers: Sequence[float],
) -> list[float]:
    """Meter indexes (kWh) at ``times`` (sorted), integrating ``powers`` (W), equal to
    ``anchor_index`` at ``anchor_time``: never decreasing, so the meter never runs back."""
    cumulative, total = [], 0.0
    for position, instant in enumerate(times):
        if position:
            hours = (instant - times[position - 1]).total_seconds() / 3600
            total += powers[position - 1] / 1000 * hours
        cumulative.append(total)
    # Energy from the first time to the anchor (negative when the anchor comes first).
    before = [i for i, instant in enumerate(times) if instant <= anchor_time]
    if before:
        last = before[-1]
        at_anchor = cumulative[last] + powers[last] / 1000 * _hours(times[last], anchor_time)
    else:
        at_anchor = -powers[0] / 1000 * _hours(anchor_time, times[0])
    return [round(anchor_index + c - at_anchor, 3) for c in cumulative]


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


def last_collection(instant: dt.datetime, days: Sequence[int]) -> dt.datetime:
    """The last collection (at 6 h on one of ``days``, Monday = 0) before ``instant``."""
    moment = local(instant)
    for back in range(8):
        day = (moment - dt.timedelta(days=back)).date()
        collected = dt.datetime(day.year, day.month, day.day, 6, tzinfo=PARIS)
        if day.weekday() in days and collected <= moment:
            return collected
    raise ValueError("a container needs at least one collection day")


def fill_level(instant: dt.datetime, key: str, days: Sequence[int], daily_rate: float) -> float:
    """A waste container's filling level: rises until the collection, then starts again."""
    hours = _hours(last_collection(instant, days), local(instant))
    level = 0.03 + daily_rate * hours / 24 + 0.015 * smooth_noise(key + "fill", instant, 3600)
    return round(_clip(level), 2)


def waste_values(
    instant: dt.datetime, key: str, days: Sequence[int], daily_rate: float
) -> dict[str, Any]:
    """A waste container's reading."""
    emptied = last_collection(instant, days).astimezone(dt.UTC)
    return {
        "fillingLevel": fill_level(instant, key, days, daily_rate),
        "temperature": round(outdoor_temperature(instant, key) + 1.5, 1),
        "dateLastEmptying": emptied.isoformat().replace("+00:00", "Z"),
    }


VEHICLE_USE: dict[str, dict[str, Curve]] = {
    # Share of the fleet on the road: taxis follow trains and traffic, bikes the commute and
    # weekend outings, shared cars the daytime errands.
    "taxi": {k: [(0, 0.2), (6, 0.3), (8, 0.7), (10, 0.4), (17, 0.55), (19, 0.7), (22, 0.4),
                 (24, 0.2)] for k in ("weekday", "saturday", "sunday")},
    "bicycle": {
        "weekday": [(0, 0.02), (6, 0.05), (8, 0.6), (9, 0.4), (12, 0.45), (14, 0.3),
                    (17.5, 0.7), (19, 0.35), (21, 0.1), (24, 0.02)],
        "saturday": [(0, 0.03), (9, 0.2), (11, 0.55), (15, 0.8), (18, 0.5), (21, 0.1),
                     (24, 0.03)],
        "sunday": [(0, 0.03), (9, 0.15), (11, 0.6), (15, 0.85), (18, 0.45), (21, 0.08),
                   (24, 0.03)],
    },
    "car": {
        "weekday": [(0, 0.0), (8, 0.1), (10, 0.5), (13, 0.4), (16, 0.6), (19, 0.2),
                    (24, 0.0)],
        "saturday": [(0, 0.0), (9, 0.3), (11, 0.8), (17, 0.75), (20, 0.2), (24, 0.0)],
        "sunday": [(0, 0.0), (10, 0.4), (12, 0.6), (18, 0.5), (21, 0.1), (24, 0.0)],
    },
}  # fmt: skip


def vehicles_available(instant: dt.datetime, key: str, profile: str, total: int) -> int:
    """Vehicles of a fleet waiting for a user at a station."""
    moment = local(instant)
    curves = VEHICLE_USE.get(profile, VEHICLE_USE["car"])
    use = interpolate(curves[_day_kind(moment)], _hour(moment))
    use += 0.1 * smooth_noise(key + "fleet", instant, 1800)
    return max(0, min(total, round(total * (1 - use))))


Reader = Callable[[SensorSpec, dt.datetime], dict[str, Any]]
READERS: dict[str, Reader] = {
    "OffStreetParking": lambda s, t: parking_values(t, s.id, s.profile, int(s.size)),
    "ParkingSpot": lambda s, t: {"status": spot_status(t, s.id, s.profile)},
    "AirQualityObserved": lambda s, t: air_values(t, s.id, s.profile),
    "WeatherObserved": lambda s, t: weather_values(t, s.id, coastal=s.profile == "coastal"),
    "TrafficFlowObserved": lambda s, t: traffic_values(t, s.id, s.profile, s.size),
    "Streetlight": lambda s, t: light_values(t, s.profile, s.size),
    "WasteContainer": lambda s, t: waste_values(t, s.id, s.days, s.size),
    "ThreePhaseAcMeasurement": lambda s, t: meter_values(t, s.id, s.profile, s.size),
    "VehicleAvailability": lambda s, t: {
        "availableVehicleNumber": vehicles_available(t, s.id, s.profile, int(s.size))
    },
}


def readings(spec: SensorSpec, instant: dt.datetime) -> dict[str, Any]:
    """What ``spec`` reports at ``instant`` (attribute → value), the meter index aside."""
    return READERS[spec.type](spec, instant)
