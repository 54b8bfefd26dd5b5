"""A live server per backend, loaded with the demo, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.conftest import ROOT, create_pg_database, drop_pg_database, pg_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = ROOT / "src" / "servicielle" / "web" / "static" / "vendor" / "axe" / "axe.min.js"
SECRET = "browser-test-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _servicielle(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "servicielle", *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="session", params=("sqlite", "postgresql"))
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The platform served by uvicorn on a free port, demo loaded."""
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    else:
        pg_name = create_pg_database("servicielle_live")
        url = pg_url(pg_name)
    port = _free_port()
    env = {
        **os.environ,
        "SERVICIELLE_DATABASE_URL": url,
        "SERVICIELLE_SECRET_KEY": SECRET,
        "SERVICIELLE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    _servicielle(env, "migrate")
    _servicielle(env, "demo")
    log = Path(tmp_path_factory.mktemp("logs")) / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "servicielle", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if pg_name:
            drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (it never downloads a browser here)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium; its absence fails the run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the Debian package chromium")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets`")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
