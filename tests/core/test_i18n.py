"""French is complete and default; English is a switch away."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from servicielle.core.i18n import LOCALE_DIR
from tests.conftest import ROOT


def test_every_message_has_a_french_translation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "src/servicielle",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="fr")
    translated = {
        m.id
        for m in catalogue
        if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"


def test_french_by_default_and_english_switch(client: TestClient) -> None:
    html = client.get("/", headers={"Accept": "text/html"}).text
    assert '<html lang="fr">' in html
    assert "Aller au contenu principal" in html
    response = client.get("/langue/en?next=/compte/connexion", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/compte/connexion"
    html = client.get("/compte/connexion", headers={"Accept": "text/html"}).text
    assert '<html lang="en">' in html
    assert "Skip to main content" in html
