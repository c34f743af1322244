"""A real distributed setup for the tests in this folder: PostgreSQL, Redis (without persistence:
the worst case for a broker restart), two `heygem worker` processes and a server-side JobService."""

from __future__ import annotations

import signal
import subprocess

import pytest
from cluster import Cluster

from heygem.config import Settings
from heygem.service import JobService


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    from servers import Redis, redis_missing

    if why := redis_missing():
        pytest.skip(why)
    pytest.importorskip("celery", reason="distributed mode needs celery (pip install 'heygem[distributed]')")
    postgres = request.getfixturevalue("postgres")  # only now: no server started for a skipped module
    postgres.reset()
    folder = tmp_path_factory.mktemp("cluster")
    redis = Redis(folder / "redis", persist=False).start()
    settings = Settings(data_dir=folder / "data", database_url=postgres.url, broker_url=redis.url)
    service = JobService(settings, device="cpu")
    service.start()
    cluster = Cluster(service.settings, folder, redis, service)
    try:
        cluster.start_worker()
        cluster.start_worker()
        yield cluster
    finally:
        for proc in cluster.live_workers():
            proc.send_signal(signal.SIGTERM)
        for proc in cluster.workers.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        service.close()
        redis.stop()
