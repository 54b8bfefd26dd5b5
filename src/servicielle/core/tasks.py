"""The modules' periodic tasks, run by ``servicielle worker`` when each falls due."""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.modules import PeriodicTask, get_registry

log = logging.getLogger(__name__)


class TaskClock:
    """When each task last ran, in this worker."""

    def __init__(self, tasks: list[PeriodicTask] | None = None) -> None:
        self.tasks = tasks
        self.last: dict[str, float] = {}

    def due(self, now: float | None = None) -> list[PeriodicTask]:
        """The tasks whose period elapsed (all of them at the first call)."""
        moment = time.monotonic() if now is None else now
        tasks = self.tasks
        if tasks is None:
            tasks = [task for manifest in get_registry().manifests for task in manifest.tasks]
        return [
            task
            for task in tasks
            if task.name not in self.last or moment - self.last[task.name] >= task.seconds
        ]

    def run_due(self, factory: sessionmaker[Session], settings: Settings) -> int:
        """Run the due tasks; one failing is logged and never stops the others."""
        ran = 0
        for task in self.due():
            self.last[task.name] = time.monotonic()
            try:
                task.run(factory, settings)
            except Exception:
                log.exception("task %s failed; it runs again in %s s", task.name, task.seconds)
            ran += 1
        return ran
