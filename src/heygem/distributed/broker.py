"""The Celery app over Redis, which queue a job goes to, and sending job ids to it."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from ..config import Settings
from ..errors import HeyGemError
from ..service.jobs import Job
from ..service.store import JobStore

log = logging.getLogger("heygem.distributed")

TASK = "heygem.run_job"
QUEUES = ("gpu", "cpu")
VISIBILITY_S = 3600
"""Redis hands an unacknowledged message (its worker died) out again after this long. Recovery does
not wait for it (the store's heartbeats do that); it only covers a worker that died between taking
a message and claiming its job."""


def queue_for(job: Job) -> str:
    """"gpu" for jobs that ask for a GPU, else "cpu" (GPU machines take from both queues)."""
    return "gpu" if (job.options.device or "auto").strip().lower().startswith("cuda") else "cpu"


def check_broker_url(url: str | None) -> str:
    if not url or not url.startswith(("redis://", "rediss://")):
        raise HeyGemError(f"HEYGEM_BROKER_URL must be a Redis URL (redis://host:6379/0), got {url!r}")
    return url


def celery_app(settings: Settings) -> Any:
    try:
        from celery import Celery
        from kombu import Queue
    except ImportError as exc:
        raise HeyGemError("distributed mode (HEYGEM_BROKER_URL) needs Celery: pip install 'heygem[distributed]'") from exc

    app = Celery("heygem", broker=check_broker_url(settings.broker_url), set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a message is acknowledged when its job ended, not when it was taken
        task_reject_on_worker_lost=True,
        task_ignore_result=True,  # results live in the job store
        worker_prefetch_multiplier=1,  # a busy worker holds no jobs another one could run now
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,  # workers report through the store, not pidbox queues
        broker_transport_options={"visibility_timeout": VISIBILITY_S},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="cpu",
    )
    return app


class Broker:
    """Sends queued jobs to the workers. Each send is first marked in the store, so of several
    processes that notice the same unsent job only one sends it."""

    def __init__(self, settings: Settings, store: JobStore):
        self.settings, self.store = settings, store
        self.app = celery_app(settings)
        self._redis: Any = None

    def send(self, jobs: Sequence[Job], sent_before: float = 0.0) -> int:
        """Send the jobs not sent since `sent_before` (default: never sent); returns how many went out.
        A broker that cannot be reached leaves them unsent (the sweep tries again) and raises nothing."""
        now = time.time()
        sent = 0
        for job in jobs:
            if not self.store.mark_sent(job.id, now, sent_before):
                continue  # another process sent it, or it is no longer queued
            try:
                self.app.send_task(TASK, args=[job.id], queue=queue_for(job))
            except Exception as exc:  # kombu raises several kinds for an unreachable broker
                self.store.unmark_sent(job.id)
                log.warning("cannot reach the broker to send job %s (%s); it stays queued and is sent later",
                            job.id, exc)
                break
            sent += 1
        return sent

    def run_id(self) -> str | None:
        """Redis's run id: it changes when the server restarts. None when unreachable."""
        import redis

        try:
            if self._redis is None:
                self._redis = redis.Redis.from_url(self.settings.broker_url, socket_timeout=5,
                                                   socket_connect_timeout=5)
            return str(self._redis.info("server")["run_id"])
        except redis.RedisError:
            return None

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
        self.app.close()
