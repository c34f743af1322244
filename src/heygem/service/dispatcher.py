"""The service's background thread: recovers abandoned jobs, keeps ours alive (heartbeat), admits
queued jobs through the scheduler and runs each admitted job on its own worker thread."""

from __future__ import annotations

import logging
import threading
import time

from ..errors import HeyGemError
from . import owners
from .jobs import MAX_ATTEMPTS, Job, JobEvent, JobStatus
from .scheduler import Scheduler
from .worker import JobContext, Worker

log = logging.getLogger("heygem.service.dispatcher")

POLL_S = 0.5
"""Longest wait between looks at the queue (jobs submitted by other processes, waits on GPU memory)."""
RECOVER_EVERY_S = 10.0
"""How often to look for jobs abandoned by dead processes while running."""
QUEUE_SCAN = 200
"""Queued jobs looked at per pass (enough to find one for every device)."""


class Dispatcher:
    def __init__(self, ctx: JobContext, scheduler: Scheduler):
        self.ctx, self.scheduler = ctx, scheduler
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._workers: dict[str, tuple[threading.Thread, threading.Event, str]] = {}
        self._waiting: dict[str, str] = {}  # queued job id -> the wait reason last written

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        self._remove_orphan_partials()
        self._thread = threading.Thread(target=self._loop, name="heygem-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None) -> None:
        """Running jobs stop at their next frame batch and are queued again (not counted as attempts)."""
        self.ctx.stopping.set()
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._thread is not None:
            self._thread.join(timeout)
        for thread, _, _ in list(self._workers.values()):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread, _, _ in self._workers.values()):
            log.warning("some jobs did not stop in time; the next start will queue them again")
        owners.retire(self.ctx.owner)

    def wake(self) -> None:
        self._wake.set()

    def submitted(self, jobs: list[Job]) -> None:
        """New or retried queued jobs: look at the queue now."""
        self._wake.set()

    def cancel_local(self, job_id: str) -> bool:
        """Signal a job running in this process to stop at its next frame batch."""
        with self._lock:
            entry = self._workers.get(job_id)
        if entry is not None:
            entry[1].set()
        return entry is not None

    def running_here(self) -> list[str]:
        with self._lock:
            return list(self._workers)

    # --- the loop -----------------------------------------------------------------------------

    def _loop(self) -> None:
        next_beat = next_recover = 0.0
        while not self.ctx.stopping.is_set():
            try:
                now = time.monotonic()
                if now >= next_beat:
                    self.ctx.store.heartbeat(self.ctx.owner, time.time())
                    next_beat = now + owners.HEARTBEAT_S
                if now >= next_recover:
                    self.recover()
                    next_recover = now + RECOVER_EVERY_S
                self._dispatch()
            except Exception:  # a store hiccup (disk full, locked too long) must not end the service
                log.exception("dispatcher pass failed; trying again")
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _dispatch(self) -> None:
        blocked: set[str] = set()  # devices whose first waiting job does not fit: later ones wait too
        queued = self.ctx.store.queued(QUEUE_SCAN)
        self._waiting = {k: v for k, v in self._waiting.items() if k in {job.id for job in queued}}
        for job in queued:
            if self.ctx.stopping.is_set():
                return
            try:
                device = self.scheduler.device_for(job)
            except HeyGemError as exc:
                fail_unrunnable(self.ctx, job, str(exc))
                continue
            if device in blocked:
                continue
            admitted, why = self.scheduler.admit(job, device)
            if not admitted:
                blocked.add(device)
                if self._waiting.get(job.id) != why:
                    self._waiting[job.id] = why
                    self.ctx.store.note(job.id, why)
                continue
            self._waiting.pop(job.id, None)
            claimed = self.ctx.store.claim(job.id, self.ctx.owner, device, time.time())
            if claimed is None:  # canceled, deleted or taken by another process meanwhile
                self.scheduler.done(job.id, device)
                continue
            self._start_worker(claimed, device)

    def _start_worker(self, job: Job, device: str) -> None:
        cancel = threading.Event()
        thread = threading.Thread(target=self._work, args=(job, device, cancel), name=f"heygem-job-{job.id[:8]}",
                                  daemon=True)
        with self._lock:
            self._workers[job.id] = (thread, cancel, device)
        thread.start()

    def _work(self, job: Job, device: str, cancel: threading.Event) -> None:
        try:
            Worker(self.ctx, job, cancel).run(device)
        except Exception:  # only the store can raise here; the job is recovered on the next sweep
            log.exception("job %s: could not record its end", job.id)
        finally:
            self.scheduler.done(job.id, device)
            with self._lock:
                self._workers.pop(job.id, None)
            self._wake.set()

    # --- crash recovery -----------------------------------------------------------------------

    def recover(self) -> list[Job]:
        """Queue again (or fail, after MAX_ATTEMPTS) every running job whose process is gone."""
        recovered = recover_abandoned(self.ctx)
        if recovered:
            self._wake.set()
        return recovered

    def _remove_orphan_partials(self) -> None:
        """Half-written outputs of jobs nobody runs now (the encoder names them .<job-id>.<hex>.partial.<ext>)."""
        running = {job.id for job, _, _ in self.ctx.store.running()}
        for part in self.ctx.settings.outputs_dir.glob(".*.partial.*"):
            job_id = part.name[1:].split(".", 1)[0]
            if job_id not in running:
                part.unlink(missing_ok=True)


def fail_unrunnable(ctx: JobContext, job: Job, error: str) -> None:
    """A queued job that cannot run here (e.g. it asks for a GPU this machine lacks) fails at once."""
    claimed = ctx.store.claim(job.id, ctx.owner, "none", time.time())
    if claimed is not None:
        final = ctx.store.finish(job.id, ctx.owner, JobStatus.FAILED, None, error, time.time())
        log.warning("job %s cannot run here: %s", job.id, error)
        if final is not None:
            ctx.emit(JobEvent("finished", final))


def recover_abandoned(ctx: JobContext) -> list[Job]:
    """Queue again (or fail, after MAX_ATTEMPTS) every running job whose process is gone, and delete
    its half-written output. Safe from many processes at once: the store lets one win each job."""
    recovered = []
    now = time.time()
    for job, owner, heartbeat in ctx.store.running():
        if owner == ctx.owner or not owners.is_abandoned(owner, heartbeat, now):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            error = (f"gave up after {job.attempts} attempts: the process running this job stopped "
                     f"unexpectedly each time (last: {owner})")
        else:
            error = f"the process running this job stopped unexpectedly (attempt {job.attempts}, {owner})"
        new = ctx.store.recover(job.id, owner, MAX_ATTEMPTS, error, now)
        if new is None:
            continue
        for part in ctx.settings.outputs_dir.glob(f".{job.id}.*.partial.*"):
            part.unlink(missing_ok=True)
        log.warning("job %s was abandoned by %s: %s", job.id, owner, new.status.value)
        if new.done:
            ctx.emit(JobEvent("finished", new))
        recovered.append(new)
    return recovered
