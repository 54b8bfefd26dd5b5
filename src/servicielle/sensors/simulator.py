"""``servicielle simulate``: keeps the demo territory's sensors reporting.

It mints an API token for the demo administrator in the database, waits for the server,
fills the missing history at 15-minute steps, then posts current values every ``interval``
seconds to ``POST /api/sensors/observations``, exactly as an operator's system would: the
public ingest path, never the database. Values come from sensors/patterns.py.
"""

from __future__ import annotations

import datetime as dt
import math
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.demo import DEMO_ACCOUNTS
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.service import add_membership
from servicielle.core.accounts.tokens import create_token, list_tokens, revoke_token
from servicielle.core.db import utcnow
from servicielle.core.session import session_scope
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.sensors.demo import SENSORS, initial_index
from servicielle.sensors.ngsild.entity import format_instant
from servicielle.sensors.patterns import SensorSpec, meter_series, readings

ADMIN_EMAIL = next(email for email, _name, _org, is_admin in DEMO_ACCOUNTS if is_admin)
TOKEN_NAME = "simulateur"
TOKEN_ORGANISATION = "agglomeration"
INGEST_PATH = "/api/sensors/observations"
ENTITIES_PATH = "/ngsi-ld/v1/entities"
STEP = dt.timedelta(minutes=15)
# Their models expect a report an hour: the history has one an hour, not one a quarter.
HOURLY_TYPES = frozenset({"AirQualityObserved", "WeatherObserved", "Streetlight", "WasteContainer"})
METER_TYPE = "ThreePhaseAcMeasurement"
METER_INDEX = "totalActiveEnergyImport"
BATCH_ROWS = 20_000
FIRST_RETRY_S = 1.0
LONGEST_RETRY_S = 30.0
NO_SENSORS_RETRY_S = 30.0


def say(message: str) -> None:
    """A progress line on stdout, with the time."""
    sys.stdout.write(f"[{dt.datetime.now():%H:%M:%S}] {message}\n")
    sys.stdout.flush()


def obtain_token(factory: sessionmaker[Session]) -> str:
    """A fresh "simulateur" token of the demo administrator; older ones are revoked."""
    with session_scope(factory, via="simulator") as session:
        users = UserRepository(session)
        user = users.by_email(ADMIN_EMAIL)
        organisation = OrganisationRepository(session).by_slug(TOKEN_ORGANISATION)
        if user is None or organisation is None:
            raise SystemExit(
                f"{ADMIN_EMAIL} ou l'organisation « {TOKEN_ORGANISATION} » manque : "
                "lancez d'abord « servicielle demo »."
            )
        # A token speaks only for an organisation its user belongs to: the demo
        # administrator joins the agglomeration, as its data officer would.
        add_membership(session, user=user, organisation_id=organisation.id)
        session.expire(user)
        user = users.by_email(ADMIN_EMAIL)
        assert user is not None
        principal = principal_for_user(user)
        # Secrets are stored hashed: an old token cannot be reused, only replaced.
        for token in list_tokens(session, user):
            if token.name == TOKEN_NAME and token.revoked_at is None:
                revoke_token(session, principal, token_id=token.id)
        _token, secret = create_token(
            session, principal, name=TOKEN_NAME, organisation_id=organisation.id
        )
    return secret


@dataclass
class Known:
    """A demo sensor and what the hub already holds of it."""

    spec: SensorSpec
    created_at: dt.datetime | None = None
    latest: dt.datetime | None = None
    meter: tuple[dt.datetime, float] | None = None


def _instant(text: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if isinstance(text, str) else None


def known_from(spec: SensorSpec, body: dict[str, Any]) -> Known:
    """The sensor's past reports, read from its entity as the NGSI-LD API returns it."""
    known = Known(spec, created_at=_instant(body.get("createdAt")))
    names = set(readings(spec, utcnow())) | {METER_INDEX}
    for name in names:
        attribute = body.get(name)
        observed = _instant(attribute.get("observedAt")) if isinstance(attribute, dict) else None
        if observed is None or not isinstance(attribute, dict):
            continue
        known.latest = max(known.latest or observed, observed)
        if name == METER_INDEX and isinstance(attribute.get("value"), int | float):
            known.meter = (observed, float(attribute["value"]))
    return known


def _after(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The first multiple of ``step`` strictly after ``instant``."""
    seconds = step.total_seconds()
    slots = math.floor(instant.timestamp() / seconds) + 1
    return dt.datetime.fromtimestamp(slots * seconds, dt.UTC)


def backfill_times(known: Known, now: dt.datetime, history_days: int) -> list[dt.datetime]:
    """The past instants a sensor should have reported at and the hub does not hold."""
    spec = known.spec
    start = now - dt.timedelta(days=history_days)
    if known.latest and known.created_at and known.latest > known.created_at:
        # It reported since its creation: only the gap since its last report is missing.
        start = max(start, known.latest)
    # A silent sensor gets its history up to ``silent_hours`` before the start, never more.
    end = now - dt.timedelta(hours=spec.silent_hours)
    step = dt.timedelta(hours=1) if spec.type in HOURLY_TYPES else STEP
    times = []
    instant = _after(start, step)
    while instant <= end:
        times.append(instant)
        instant += step
    return times


def observation(entity: str, attribute: str, value: Any, instant: dt.datetime) -> dict[str, Any]:
    """One row of the ingest API."""
    return {
        "entity": entity,
        "attribute": attribute,
        "value": value,
        "observedAt": format_instant(instant),
    }


def rows_at(known: Known, times: Sequence[dt.datetime]) -> list[dict[str, Any]]:
    """Rows of a sensor's readings at ``times`` (sorted); the meter index carries on."""
    if not times:
        return []
    spec = known.spec
    values = [readings(spec, instant) for instant in times]
    if spec.type == METER_TYPE:
        anchor_time, anchor_index = known.meter or (times[0], initial_index(spec))
        powers = [v["totalActivePower"] for v in values]
        indexes = meter_series(anchor_index, anchor_time, times, powers)
        for reading, index in zip(values, indexes, strict=True):
            reading[METER_INDEX] = index
        if times[-1] >= anchor_time:
            known.meter = (times[-1], indexes[-1])
    known.latest = max(known.latest or times[-1], times[-1])
    return [
        observation(spec.id, name, value, instant)
        for instant, reading in zip(times, values, strict=True)
        for name, value in reading.items()
    ]


class Hub:
    """The server, over HTTP: waits for it, reads entities, posts rows, retries."""

    def __init__(
        self,
        client: httpx.Client,
        factory: sessionmaker[Session],
        secret: str,
        stop: threading.Event,
    ) -> None:
        self.client = client
        self.factory = factory
        self.secret = secret
        self.stop = stop

    def _pause(self, delay: float) -> float:
        self.stop.wait(delay)
        return min(delay * 2, LONGEST_RETRY_S)

    def wait_until_up(self) -> bool:
        """Poll /healthz until the server answers; False if stopped first."""
        delay = FIRST_RETRY_S
        while not self.stop.is_set():
            try:
                if self.client.get("/healthz", timeout=5).status_code == 200:
                    say(f"Serveur {self.client.base_url} prêt.")
                    return True
                problem = "n'est pas encore prêt"
            except httpx.TransportError as exc:
                problem = f"est injoignable ({type(exc).__name__})"
            say(f"Serveur {self.client.base_url} {problem} : nouvel essai dans {delay:.0f} s.")
            delay = self._pause(delay)
        return False

    def sensors(self) -> dict[str, Known]:
        """The demo sensors the server holds, with their last reports."""
        wanted = {spec.id: spec for spec in SENSORS}
        types = ",".join(sorted({spec.type for spec in SENSORS}))
        found: dict[str, Known] = {}
        offset = 0
        while True:
            page = self._get_json(
                ENTITIES_PATH,
                {"type": types, "options": "sysAttrs", "limit": 1000, "offset": offset},
            )
            if page is None:
                return {}
            for body in page:
                spec = wanted.get(body.get("id"))
                if spec is not None:
                    found[spec.id] = known_from(spec, body)
            if len(page) < 1000:
                return found
            offset += 1000

    def _get_json(self, path: str, params: dict[str, Any]) -> Any:
        delay = FIRST_RETRY_S
        while not self.stop.is_set():
            try:
                response = self.client.get(path, params=params)
                if response.status_code == 200:
                    return response.json()
                problem = f"répond {response.status_code}"
            except httpx.TransportError as exc:
                problem = f"est injoignable ({type(exc).__name__})"
            say(f"Lecture des capteurs : le serveur {problem}, nouvel essai dans {delay:.0f} s.")
            delay = self._pause(delay)
        return None

    def post(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """Post one batch until the server takes it; None if refused or stopped."""
        delay = FIRST_RETRY_S
        renewed = False
        while not self.stop.is_set():
            try:
                response = self.client.post(
                    INGEST_PATH, json=list(rows), headers={"Authorization": f"Bearer {self.secret}"}
                )
            except httpx.TransportError as exc:
                problem = f"est injoignable ({type(exc).__name__})"
            else:
                if response.status_code == 200:
                    return self._report(response.json())
                if response.status_code == 401 and not renewed:
                    renewed = self._renew_token()
                    continue
                if 400 <= response.status_code < 500 and response.status_code not in (401, 429):
                    say(f"Lot refusé ({response.status_code}) : {response.text[:300]}")
                    return None
                problem = f"répond {response.status_code}"
            say(f"Envoi : le serveur {problem}, nouvel essai dans {delay:.0f} s.")
            delay = self._pause(delay)
        return None

    def _renew_token(self) -> bool:
        say("Jeton refusé (révoqué ?) : création d'un nouveau jeton.")
        try:
            self.secret = obtain_token(self.factory)
        except SQLAlchemyError as exc:
            say(f"Base de données indisponible ({type(exc).__name__}) : nouvel essai plus tard.")
        return True

    @staticmethod
    def _report(report: dict[str, Any]) -> dict[str, Any]:
        if report.get("rejected"):
            first = report["rejections"][0]
            say(
                f"{report['rejected']} valeurs refusées, dont {first['entity']} "
                f"{first['attribute']} : {first['reason']}"
            )
        return report


def send(hub: Hub, rows: Sequence[dict[str, Any]], label: str) -> tuple[int, int]:
    """Post ``rows`` in batches; how many were new and how many the server already held."""
    stored = duplicates = 0
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        report = hub.post(batch)
        if report is None and hub.stop.is_set():
            break
        stored += int(report["stored"]) if report else 0
        duplicates += int(report["duplicates"]) if report else 0
        if len(rows) > BATCH_ROWS:
            done = min(start + BATCH_ROWS, len(rows))
            say(f"{label} : {done:_} / {len(rows):_} valeurs envoyées".replace("_", " "))
    return stored, duplicates


def backfill(hub: Hub, sensors: dict[str, Known], history_days: int) -> None:
    """Send the history the hub lacks, oldest first."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for known in sensors.values():
        rows.extend(rows_at(known, backfill_times(known, now, history_days)))
    if not rows:
        say("Historique à jour : rien à compléter.")
        return
    rows.sort(key=lambda row: str(row["observedAt"]))
    say(
        f"Historique : {len(rows):_} valeurs à envoyer (jusqu'à {history_days} jours, "
        "au pas de 15 minutes)…".replace("_", " ")
    )
    stored, duplicates = send(hub, rows, "Historique")
    say(
        f"Historique envoyé : {stored:_} nouvelles valeurs, {duplicates:_} déjà présentes.".replace(
            "_", " "
        )
    )


def live_round(hub: Hub, sensors: dict[str, Known]) -> None:
    """Post every reporting sensor's current values."""
    now = utcnow().replace(microsecond=0)
    rows: list[dict[str, Any]] = []
    for known in sensors.values():
        if not known.spec.silent_hours:
            rows.extend(rows_at(known, [now]))
    report = hub.post(rows)
    if report is not None:
        say(f"{len(rows)} valeurs envoyées, {report['stored']} enregistrées.")


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM end the simulator between two requests (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        number: signal.signal(number, lambda _signum, _frame: stop.set())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_simulator(
    factory: sessionmaker[Session], *, url: str, history_days: int, interval: float, once: bool
) -> None:
    """Feed the demo sensors through the ingest API: history first, then every ``interval`` s."""
    stop = threading.Event()
    with _stop_on_signals(stop), httpx.Client(base_url=url.rstrip("/"), timeout=120.0) as client:
        secret = obtain_token(factory)
        say(f"Jeton « {TOKEN_NAME} » créé pour {ADMIN_EMAIL}.")
        hub = Hub(client, factory, secret, stop)
        if not hub.wait_until_up():
            return
        sensors = hub.sensors()
        while not sensors:
            say("Aucun capteur de démonstration sur le serveur : lancez « servicielle demo ».")
            if once or stop.is_set():
                return
            stop.wait(NO_SENSORS_RETRY_S)
            sensors = hub.sensors()
        silent = sum(1 for known in sensors.values() if known.spec.silent_hours)
        say(f"{len(sensors)} capteurs de démonstration, dont {silent} volontairement muets.")
        backfill(hub, sensors, history_days)
        while not stop.is_set():
            live_round(hub, sensors)
            if once:
                break
            stop.wait(interval)
    say("Simulateur arrêté.")
