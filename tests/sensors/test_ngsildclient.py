"""ngsildclient 0.5.2, the real NGSI-LD client, against a live server (SQLite and PostgreSQL).

The client pins old httpx, rich and networkx, so it runs in its own venv (``make`` builds
.venv-ngsildclient from requirements/ngsildclient.txt): the test starts
``ngsildclient_script.py`` there once per backend and asserts on the JSON summary it prints,
one test per area so that a failure names what broke.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import ROOT, LiveSite
from tests.sensors.conftest import operator_token

pytestmark = pytest.mark.xdist_group("browser")

CLIENT_PYTHON = ROOT / ".venv-ngsildclient" / "bin" / "python"
SCRIPT = Path(__file__).with_name("ngsildclient_script.py")


@pytest.fixture(scope="module")
def summary(live_site: LiveSite) -> dict[str, Any]:
    """What the script saw, run once per backend."""
    assert CLIENT_PYTHON.exists(), (
        f"{CLIENT_PYTHON} is missing: build the client's venv with "
        "`make .venv-ngsildclient/.installed` (make pytest does it)"
    )
    url = urlsplit(live_site.base_url)
    env = {**os.environ, "NGSILD_TOKEN": operator_token(live_site.database_url)}
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    done = subprocess.run(
        [str(CLIENT_PYTHON), str(SCRIPT), str(url.hostname), str(url.port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"the script printed nothing (exit {done.returncode}):\n{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    result["returncode"] = done.returncode
    result["base_url"] = live_site.base_url
    return result


def assert_step(summary: dict[str, Any], name: str) -> dict[str, Any]:
    """The step's details, or a failure showing the reason and the last HTTP exchanges."""
    step: dict[str, Any] = summary["steps"].get(name) or {"ok": False, "error": "did not run"}
    assert step["ok"], f"{name}: {json.dumps(step, indent=2, ensure_ascii=False)}"
    return step


def test_client_connects_and_writes_need_a_token(summary: dict[str, Any]) -> None:
    assert_step(summary, "connect")
    assert_step(summary, "anonymous_write")


def test_entities_create_get_exists_upsert_update_delete(summary: dict[str, Any]) -> None:
    assert_step(summary, "entities")


def test_upsert_of_the_same_entity_keeps_it_queryable(summary: dict[str, Any]) -> None:
    assert_step(summary, "upsert_resend")


def test_count_and_paged_query_with_q(summary: dict[str, Any]) -> None:
    assert assert_step(summary, "query")["count"] == 9


def test_batch_upsert_update_and_delete(summary: dict[str, Any]) -> None:
    remaining = assert_step(summary, "batch")["remaining"]
    # What the client left behind, seen by a plain HTTP client.
    answer = httpx.get(
        f"{summary['base_url']}/ngsi-ld/v1/entities",
        params={"type": "OffStreetParking", "q": f'source=="{summary["tag"]}:batch"'},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert sorted(e["id"] for e in answer.json()) == remaining


def test_types_and_contexts(summary: dict[str, Any]) -> None:
    assert_step(summary, "types_and_contexts")


def test_subscriptions(summary: dict[str, Any]) -> None:
    assert_step(summary, "subscriptions")


def test_temporal_values_and_aggregates(summary: dict[str, Any]) -> None:
    assert_step(summary, "history")
    assert_step(summary, "temporal_values")
    assert_step(summary, "temporal_paging")
    assert_step(summary, "aggregated")


def test_script_exit_status_tells_the_truth(summary: dict[str, Any]) -> None:
    assert (summary["returncode"] == 0) == summary["ok"], summary["failed"]
