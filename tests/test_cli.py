"""The command line against real databases: migrate, demo, check, createuser."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from alembic.script import ScriptDirectory

from servicielle.core.migrations import alembic_config
from tests.conftest import create_pg_database, drop_pg_database, pg_url


def run(url: str, *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVICIELLE_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "servicielle", *args],
        env=env,
        capture_output=True,
        text=True,
        input=input_text,
        timeout=300,
    )


@pytest.fixture
def empty_pg() -> Iterator[str]:
    name = create_pg_database("servicielle_cli")
    yield pg_url(name)
    drop_pg_database(name)


@pytest.mark.xdist_group("cli")
def test_check_migrate_demo_on_postgresql(empty_pg: str) -> None:
    before = run(empty_pg, "check")
    assert before.returncode == 1
    assert "migrate" in before.stderr

    assert run(empty_pg, "migrate").returncode == 0
    after = run(empty_pg, "check")
    assert after.returncode == 0, after.stderr
    assert "connexion       : ok" in after.stdout
    head = ScriptDirectory.from_config(alembic_config(empty_pg)).get_current_head()
    assert f"migration       : {head} (dernière : {head})" in after.stdout

    first = run(empty_pg, "demo")
    assert first.returncode == 0
    assert "25 communes" in first.stdout
    again = run(empty_pg, "demo")
    assert "déjà chargées" in again.stdout
    reset = run(empty_pg, "demo", "--reset")
    assert reset.returncode == 0
    assert "25 communes" in reset.stdout

    created = run(
        empty_pg,
        "createuser",
        "--email",
        "nouvel@example.fr",
        "--name",
        "Nouvel Agent",
        "--password",
        "Un-Mot-De-Passe-Solide-9",
        "--organisation",
        "voirie",
    )
    assert created.returncode == 0, created.stderr
    weak = run(
        empty_pg, "createuser", "--email", "x@example.fr", "--name", "X", "--password", "faible"
    )
    assert weak.returncode == 1
    assert "password" in weak.stderr


@pytest.mark.xdist_group("cli")
def test_check_reports_an_unreachable_database() -> None:
    result = run("postgresql+psycopg://postgres@127.0.0.1:1/none", "check")
    assert result.returncode == 1
    assert "ÉCHEC" in result.stdout


@pytest.mark.xdist_group("cli")
def test_sqlite_file_is_created_and_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'sub' / 'servicielle.db'}"
    assert run(url, "migrate").returncode == 0
    assert run(url, "check").returncode == 0
