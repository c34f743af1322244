"""`heygem worker`: one process that takes job ids from the broker and runs the jobs on this machine.

Celery's thread pool runs up to `concurrency` jobs at once in this process, each through the same
service Worker as the embedded mode (progress, cancel, out-of-memory fallback, exactly one end),
admitted by the same Scheduler (one job per GPU, memory estimate). The process heartbeats its
jobs and its own row in the store, and runs the sweep (see sweeper.py) like the server does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence

from .. import devices
from ..config import Settings
from ..errors import HeyGemError
from ..service import owners
from ..service.dispatcher import fail_unrunnable
from ..service.jobs import MAX_ATTEMPTS, Job, JobStatus, WorkerInfo
from ..service.scheduler import Scheduler
from ..service.storage import open_store
from ..service.worker import JobContext, Worker
from .broker import QUEUES, TASK, Broker
from .sweeper import Sweeper

log = logging.getLogger("heygem.distributed")

ADMIT_POLL_S = 0.5
"""How often a job waiting for GPU memory tries again."""


def machine_devices(spec: str) -> list[str]:
    """Where this worker runs jobs: every GPU for "auto"/"cuda" on a GPU machine, else the one asked for
    ("cuda:1", "cpu"), or a comma-separated list ("cuda:0,cuda:2")."""
    spec = (spec or "auto").strip().lower()
    if "," in spec:
        return [devices.resolve(part) for part in spec.split(",") if part.strip()]
    if spec in ("auto", "cuda"):
        count = devices.gpu_count()
        if count:
            return [f"cuda:{i}" for i in range(count)]
    return [devices.resolve(spec)]


class WorkerProcess:
    def __init__(self, settings: Settings, device: str | None = None, concurrency: int | None = None,
                 queues: Sequence[str] | None = None):
        from ..service.service import _default_runner

        self.devices = machine_devices(device or settings.device)
        gpu = self.devices[0].startswith("cuda")
        self.concurrency = max(1, concurrency or (len(self.devices) if gpu else settings.cpu_jobs))
        self.queues = tuple(queues or (QUEUES if gpu else ("cpu",)))
        unknown = sorted(set(self.queues) - set(QUEUES))
        if unknown:
            raise HeyGemError(f"unknown queue(s) {', '.join(unknown)}: use gpu, cpu or gpu,cpu")
        if "gpu" in self.queues and not gpu:
            log.warning("this worker takes from the gpu queue but has no GPU: such jobs will fail here")
        # CPU jobs at once: as many as the worker may run (each GPU keeps HEYGEM_GPU_JOBS).
        self.settings = settings.with_overrides(cpu_jobs=self.concurrency)
        self.store = open_store(self.settings)
        self.name = f"heygem-{os.getpid()}@{owners.HOST}"
        self.ctx = JobContext(self.store, self.settings, owners.new_owner(), _default_runner,
                              lambda event: None, threading.Event(), {})
        self.scheduler = Scheduler(self.settings, self.devices[0])
        self.broker = Broker(self.settings, self.store)
        self.sweeper = Sweeper(self.ctx, self.broker)
        self.started_at = time.time()
        self._running: set[str] = set()  # ids of the jobs this process runs now
        self._lock = threading.Lock()
        self._beat_stop = threading.Event()

    # --- one job ------------------------------------------------------------------------------

    def run_job(self, job_id: str) -> str:
        """The Celery task: run the job if it is still queued. Returns what happened, for the log."""
        job = self.store.get(job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return "skipped: " + ("deleted" if job is None else job.status.value)  # a duplicate message
        try:
            candidates = self._devices_for(job)
        except HeyGemError as exc:
            fail_unrunnable(self.ctx, job, str(exc))
            return "failed: cannot run here"
        device = self._admit(job, candidates)
        if device is None:
            if self.ctx.stopping.is_set():
                self.store.unmark_sent(job_id)  # this message is acknowledged: a sweep sends the job again
                return "skipped: shutting down"
            return "skipped: no longer queued"
        claimed = self.store.claim(job_id, self.ctx.owner, device, time.time())
        if claimed is None:  # another worker, a cancel or a delete came first
            self.scheduler.done(job_id, device)
            return "skipped: taken"
        with self._lock:
            self._running.add(job_id)
        self._beat()
        try:
            # Cancels come through the store (the Worker polls it between frame batches).
            final = Worker(self.ctx, claimed, threading.Event()).run(device)
            return final.status.value if final is not None else "dropped"
        finally:
            self.scheduler.done(job_id, device)
            with self._lock:
                self._running.discard(job_id)
            # Only when the worker could not record an end (a store error): give the job back.
            self.store.recover(job_id, self.ctx.owner, MAX_ATTEMPTS, "the worker could not record the job's end",
                               time.time())
            self._beat()

    def _devices_for(self, job: Job) -> list[str]:
        spec = (job.options.device or "auto").strip().lower()
        return list(self.devices) if spec == "auto" else [devices.resolve(spec)]

    def _admit(self, job: Job, candidates: list[str]) -> str | None:
        """The first device that admits the job; waits (noting why in the store) while none does."""
        noted = ""
        while not self.ctx.stopping.is_set():
            why = ""
            for device in candidates:
                admitted, why = self.scheduler.admit(job, device)
                if admitted:
                    return device
            if why != noted:
                self.store.note(job.id, why)
                noted = why
            time.sleep(ADMIT_POLL_S)
            current = self.store.get(job.id)
            if current is None or current.status is not JobStatus.QUEUED:
                return None
        return None

    # --- the process --------------------------------------------------------------------------

    def _beat(self) -> None:
        now = time.time()
        with self._lock:
            running = tuple(self._running)
        self.store.heartbeat(self.ctx.owner, now)
        self.store.beat_worker(WorkerInfo(self.name, owners.HOST, ",".join(self.devices), self.queues,
                                          self.concurrency, running, self.started_at, now))

    def _beat_loop(self) -> None:
        while not self._beat_stop.wait(owners.HEARTBEAT_S):
            try:
                self._beat()
            except Exception:
                log.exception("worker heartbeat failed; trying again")

    def _shutting_down(self, **_) -> None:
        # Running jobs stop at their next frame batch and go back to the queue (not counted as an attempt).
        self.ctx.stopping.set()

    def serve(self) -> int:
        """Take jobs until SIGTERM / Ctrl-C (warm shutdown: running jobs are queued again)."""
        from celery import signals

        app = self.broker.app
        app.conf.worker_redirect_stdouts = False

        def run_job(job_id: str) -> str:
            return self.run_job(job_id)

        app.task(name=TASK, acks_late=True)(run_job)
        signals.worker_shutting_down.connect(self._shutting_down, weak=False)
        self._beat()
        beat = threading.Thread(target=self._beat_loop, name="heygem-worker-heartbeat", daemon=True)
        beat.start()
        self.sweeper.start()
        log.info("worker %s: devices %s, concurrency %d, queues %s", self.name, ",".join(self.devices),
                 self.concurrency, ",".join(self.queues))
        worker = app.Worker(hostname=self.name, pool="threads", concurrency=self.concurrency, queues=list(self.queues),
                            without_mingle=True, without_gossip=True, without_heartbeat=True, quiet=True,
                            loglevel=self.settings.log_level, optimization="fair")
        try:
            worker.start()
        finally:
            self.ctx.stopping.set()
            self._beat_stop.set()
            self.sweeper.stop()
            beat.join(5)
            self.store.remove_workers(name=self.name)
            owners.retire(self.ctx.owner)
            self.store.close()
        return int(worker.exitcode or 0)
