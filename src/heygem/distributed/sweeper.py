"""The sweep every distributed process runs (the server and each worker): send queued jobs the
broker has not got, and queue again the jobs of dead workers. It stands in for the local
dispatcher in JobService, so submitting sends the job at once."""

from __future__ import annotations

import logging
import threading
import time

from ..config import redact
from ..service.dispatcher import RECOVER_EVERY_S, recover_abandoned
from ..service.jobs import Job
from ..service.worker import JobContext
from .broker import Broker

log = logging.getLogger("heygem.distributed")

SEND_S = 1.0
"""How often to look for queued jobs the broker has not got (after a crash, a retry, a restart)."""
REQUEUE_S = 600.0
"""A queued job sent this long ago is sent again, in case its message was lost without a visible
broker restart (e.g. its worker died before claiming it). Duplicates cost one broker round trip:
a worker that finds the job taken skips it."""
SEND_BATCH = 500
FORGET_WORKERS_S = 24 * 3600.0
"""Workers silent this long leave the System tab."""


class Sweeper:
    def __init__(self, ctx: JobContext, broker: Broker):
        self.ctx, self.broker = ctx, broker
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._run_id: str | None = None
        self._resend_before: float | None = None  # after a broker restart: send everything queued before this
        self._next_recover = 0.0
        self._next_forget = 0.0
        self._unreachable = False

    # --- what JobService calls ----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="heygem-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.broker.close()

    def wake(self) -> None:
        self._wake.set()

    def submitted(self, jobs: list[Job]) -> None:
        self.broker.send(jobs)

    def cancel_local(self, job_id: str) -> bool:
        return False  # a cancel reaches the worker through the store (it polls between frame batches)

    # --- the sweep ----------------------------------------------------------------------------

    def sweep(self) -> int:
        """One pass; returns how many jobs it sent."""
        now = time.monotonic()
        if now >= self._next_recover:
            recover_abandoned(self.ctx)  # they come back queued and unsent, so this pass sends them
            self._next_recover = now + RECOVER_EVERY_S
        if now >= self._next_forget:
            self.ctx.store.remove_workers(seen_before=time.time() - FORGET_WORKERS_S)
            self._next_forget = now + 60.0
        run_id = self.broker.run_id()
        if (run_id is None) != self._unreachable:  # say so once per change, not every second
            self._unreachable = run_id is None
            if self._unreachable:
                log.warning("cannot reach the broker at %s; queued jobs are sent once it answers",
                            redact(self.broker.settings.broker_url or ""))
            else:
                log.info("the broker answers again")
        if run_id is None:
            return 0
        if self._run_id is not None and run_id != self._run_id:
            log.warning("the broker restarted: sending every queued job again (duplicates are skipped)")
            self._resend_before = time.time()
        self._run_id = run_id
        cutoff = max(self._resend_before or 0.0, time.time() - REQUEUE_S)
        jobs = self.ctx.store.unsent(cutoff, SEND_BATCH)
        if not jobs:
            self._resend_before = None  # everything queued before the restart went out again
        return self.broker.send(jobs, cutoff)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # a store or broker hiccup must not end the sweep
                log.exception("distributed sweep failed; trying again")
            self._wake.wait(SEND_S)
            self._wake.clear()
