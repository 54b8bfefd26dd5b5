"""The MQTT ingest survives SIGKILL: 100,000 messages, two kills, each stored exactly once.

The broker is the system Mosquitto as CI finds it, with its defaults, and two of them bound
what it will hold for one session before dropping messages, which would be the broker's loss,
not the worker's: ``max_queued_messages`` (1000) caps the messages kept for an offline
session, counting those sent and not yet acknowledged; and the same number caps the packets
waiting for a slow client's socket (Mosquitto 2.0 drops a PUBLISH beyond it and resends it
only on the next connection). So the publisher stays at most WINDOW messages ahead of the
database: the broker then never holds more than 2 × WINDOW < 1000 messages for the worker
(those not stored yet, plus at most one batch committed and not yet acknowledged), whether
the worker is alive, dead or restarting, and it goes on publishing while the worker is down.
Each kill waits until the worker holds messages it has received but not stored. What the test
proves is the worker's part: whatever the broker delivered, including what a killed worker
had received, half-written or committed without acknowledging, ends up stored once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from servicielle.core.db import create_db_engine
from tests.sensors.mqtt_support import (
    ThrottledPublisher,
    WorkerProcess,
    add_entities,
    broker_dropped_for,
    committed_database,
    forget_session,
    hourly_count,
    iso,
    row,
    stored_keys,
    stored_so_far,
    unique,
    wait_until,
)

log = logging.getLogger(__name__)

TOTAL = 100_000
ENTITIES = 20
WINDOW = 450
KILL_AT = (30_000, 65_000)

# Both backends on one xdist worker, one after the other, rather than two 100,000-message runs
# competing for the machine's two cores.
pytestmark = pytest.mark.xdist_group("mqtt_crash")


@pytest.fixture(params=("sqlite", "postgresql"))
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A committed database of each backend, for the worker process to write."""
    with committed_database(request.param, tmp_path) as url:
        engine = create_db_engine(url)
        yield engine
        engine.dispose()


def wait_for_everything(engine: Engine, publisher: ThrottledPublisher) -> None:
    """Wait until TOTAL messages are stored; fail early once the count stops moving."""
    last, moved = -1, time.monotonic()
    while (count := stored_so_far(engine)) < TOTAL:
        if count != last:
            last, moved = count, time.monotonic()
        elif time.monotonic() - moved > 30:
            raise AssertionError(
                f"stuck at {count} stored of {publisher.published} published ({TOTAL} in all)"
            )
        time.sleep(0.1)


def test_every_message_is_stored_once_across_two_sigkills(
    committed: Engine, tmp_path: Path
) -> None:
    engine = committed
    ids = add_entities(engine, "OffStreetParking", [unique("crash") for _ in range(ENTITIES)])
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=55)
    expected = {
        (ids[i % ENTITIES], "availableSpotNumber", iso(base + dt.timedelta(milliseconds=i * 3)))
        for i in range(TOTAL)
    }
    payloads = [
        json.dumps(row(entity, attribute, i % 300, at))
        for i, (entity, attribute, at) in enumerate(sorted(expected, key=lambda k: k[2]))
    ]
    topic, client_id = unique("servicielle-test/crash"), unique("crash-ingest")
    url = engine.url.render_as_string(hide_password=False)
    worker = WorkerProcess(url, topic, client_id, tmp_path / "worker.log").start()
    started, downtime = time.monotonic(), 0.0
    try:
        worker.wait_subscribed()
        publisher = ThrottledPublisher(engine, topic, payloads, WINDOW)
        publisher.start()
        for threshold in KILL_AT:
            # The kill must find messages on their way through the worker: sent, not stored.
            busy = lambda t=threshold: (  # noqa: E731
                stored_so_far(engine) >= t and publisher.published - stored_so_far(engine) >= 100
            )
            wait_until(busy, 120, f"{threshold} messages stored and more in flight")
            worker.kill()
            down = time.monotonic()
            worker.start()
            worker.wait_subscribed()
            downtime += time.monotonic() - down
        wait_for_everything(engine, publisher)
        publisher.join(timeout=30)
        assert publisher.error is None, publisher.error
        elapsed = time.monotonic() - started
        log.info(
            "%.0f messages/s end to end (%.0f s), %.0f s of it restarting the worker",
            TOTAL / elapsed,
            elapsed,
            downtime,
        )
        # Late stragglers (a redelivery) would show up as extra rows: give them a moment.
        time.sleep(1)
        keys = stored_keys(engine, ids)
        assert len(keys) == TOTAL
        assert set(keys) == expected
        # Redelivered messages were not folded twice into the hourly sums either.
        assert hourly_count(engine, ids) == TOTAL
        assert worker.terminate() == 0
    except AssertionError as exc:
        dropped = broker_dropped_for(client_id)
        raise AssertionError(
            f"{exc}\nMosquitto logged dropping messages for {client_id}: {dropped}\n"
            f"worker log:\n{worker.log()[-4000:]}"
        ) from exc
    finally:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()
        forget_session(client_id)
