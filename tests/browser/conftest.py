"""Debian's Chromium driven by Playwright, against the live servers of tests/conftest.py.

Test modules elsewhere import these fixtures; pytest then holds one copy per module, but two
sync Playwright drivers cannot run in one process: the copies share one driver and one
browser, started by the first user and stopped by the last.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = ROOT / "src" / "servicielle" / "web" / "static" / "vendor" / "axe" / "axe.min.js"

_shared: dict[str, Any] = {"drivers": 0, "browsers": 0}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (it never downloads a browser here)."""
    if _shared["drivers"] == 0:
        _shared["driver"] = sync_playwright().start()
    _shared["drivers"] += 1
    try:
        yield _shared["driver"]
    finally:
        _shared["drivers"] -= 1
        if _shared["drivers"] == 0:
            _shared.pop("driver").stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium; its absence fails the run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the Debian package chromium")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets`")
    if _shared["browsers"] == 0:
        _shared["browser"] = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
    _shared["browsers"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["browsers"] -= 1
        if _shared["browsers"] == 0:
            _shared.pop("browser").close()
