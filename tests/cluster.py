"""Tools for distributed-mode tests and benchmarks: `heygem worker` / `heygem serve` processes
(with the test engines registered) around a JobService on PostgreSQL and Redis."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from polling import wait_for
from testengines import FailingEngine, MarkEngine, SlowEngine

from heygem.config import Settings
from heygem.engines import registry
from heygem.service import JobService

for engine in (MarkEngine, SlowEngine, FailingEngine):
    registry.register(engine)

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
# A `heygem ...` process with the test engines registered in it.
HEYGEM = """
import sys
sys.path.insert(0, {tests!r})
from testengines import FailingEngine, MarkEngine, SlowEngine
from heygem.engines import registry
for engine in (MarkEngine, SlowEngine, FailingEngine):
    registry.register(engine)
from heygem.cli import main
sys.exit(main(sys.argv[1:]))
"""


@dataclasses.dataclass
class Cluster:
    settings: Settings
    folder: Path
    redis: object
    service: JobService
    workers: dict[int, subprocess.Popen] = dataclasses.field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, HEYGEM_DATA_DIR=str(self.settings.data_dir), HEYGEM_LOG_LEVEL="INFO",
                    HEYGEM_DATABASE_URL=self.settings.database_url, HEYGEM_BROKER_URL=self.settings.broker_url,
                    PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))

    def heygem(self, *args: str, log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen([sys.executable, "-c", HEYGEM.format(tests=str(TESTS)), *args], env=self.env,
                                    stdout=out, stderr=subprocess.STDOUT)

    def start_worker(self) -> subprocess.Popen:
        """A `heygem worker` process (CPU, one job at a time); returns once it reported in."""
        log = self.folder / f"worker-{len(self.workers) + 1}.log"
        proc = self.heygem("worker", "--device", "cpu", "--concurrency", "1", log=log)
        proc.log = log  # type: ignore[attr-defined]
        self.workers[proc.pid] = proc
        wait_for(lambda: any(w.name.startswith(f"heygem-{proc.pid}@") for w in self.service.workers())
                 or proc.poll() is not None, 60, "worker start")
        assert proc.poll() is None, log.read_text()
        return proc

    def worker_running(self, job_id: str) -> subprocess.Popen | None:
        for info in self.service.workers():
            if job_id in info.jobs:
                return self.workers.get(int(info.name.split("@")[0].removeprefix("heygem-")))
        return None

    def live_workers(self) -> list[subprocess.Popen]:
        return [p for p in self.workers.values() if p.poll() is None]


