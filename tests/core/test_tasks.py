"""Periodic tasks: run when due, one failure never stops the others."""

from __future__ import annotations

from typing import Any

import pytest

from servicielle.core.modules import PeriodicTask, get_registry
from servicielle.core.tasks import TaskClock


def test_tasks_run_when_due_and_a_failure_stops_nothing(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def fails(_factory: Any, _settings: Any) -> None:
        calls.append("fails")
        raise RuntimeError("boom")

    def works(_factory: Any, _settings: Any) -> None:
        calls.append("works")

    clock = TaskClock([PeriodicTask("a", 60, fails), PeriodicTask("b", 3600, works)])
    assert clock.run_due(None, None) == 2  # type: ignore[arg-type]
    assert calls == ["fails", "works"]
    assert "task a failed" in caplog.text
    assert clock.due() == []
    start = clock.last["a"]
    assert [task.name for task in clock.due(start + 61)] == ["a"]
    assert [task.name for task in clock.due(start + 3601)] == ["a", "b"]


def test_the_ballot_box_is_reshuffled_by_the_worker() -> None:
    names = {task.name for m in get_registry().manifests for task in m.tasks}
    assert "participation.reshuffle_ballots" in names
