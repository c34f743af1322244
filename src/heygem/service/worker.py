"""Run one claimed job: its audio (TTS when it has only text), the pipeline with the out-of-memory
fallback, progress into the store, cancel checks, and exactly one final state."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from .. import devices
from ..config import Settings
from ..errors import HeyGemError, InputError, JobCanceled
from ..media.digest import file_sha256
from ..options import GenerateOptions
from .delivery import deliver
from .jobs import OUTPUT_SUFFIXES, Job, JobEvent, JobStatus
from .store import JobStore
from .uploads import adopt

log = logging.getLogger("heygem.service.worker")

PROGRESS_WRITE_S = 0.5
"""Progress reaches the store at most this often per job (subscribers in-process get every step)."""
CANCEL_POLL_S = 0.5
"""How often a running job looks in the store for a cancel from another process (CLI, API)."""

Runner = Callable[..., object]
"""pipeline.run's signature: (video, audio, output, options, settings, progress, should_cancel)."""


def resolve_audio(job: Job, settings: Settings) -> Path:
    """The audio file the pipeline reads: the job's uploaded copy, or its text spoken by
    heygem.tts.synthesize (the job's voice, else one chosen by the text's language). The speech
    lands in uploads/ like any input, with the synthesis's sentence and phoneme timings beside it (tts.sidecars).
    """
    if job.inputs.audio is not None:
        return job.inputs.audio
    if not job.inputs.text:
        raise InputError(f"job {job.id} has neither audio nor text to speak")
    from ..tts import synthesize, write_wav
    from ..tts.sidecars import save_timings

    part = settings.uploads_dir / f".{uuid.uuid4().hex}.part"
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    try:
        speech = synthesize(job.inputs.text, job.inputs.voice)
        write_wav(speech, part)
        adopted = adopt(part, file_sha256(part), ".wav")
        save_timings(speech, adopted)
        return adopted
    finally:
        part.unlink(missing_ok=True)


def is_out_of_memory(exc: BaseException) -> bool:
    # By name, so this module need not import torch (torch.cuda.OutOfMemoryError is a RuntimeError).
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def fallback_plan(device: str, batch_size: int) -> list[tuple[str, int]]:
    """Where to try a job: as asked; on CUDA then with half the batch, then on the CPU."""
    plan = [(device, batch_size)]
    if device.startswith("cuda"):
        half = max(1, batch_size // 2)
        if half < batch_size:
            plan.append((device, half))
        plan.append(("cpu", half))
    return plan


@dataclasses.dataclass
class JobContext:
    """What the worker needs from the service (kept explicit so tests can build one)."""

    store: JobStore
    settings: Settings
    owner: str
    runner: Runner
    emit: Callable[[JobEvent], None]
    stopping: threading.Event
    live: dict[str, tuple[float, str]]
    """job id -> (progress, stage) for jobs running in this process; the service overlays it on reads."""


class Worker:
    """Executes one claimed job to exactly one end: succeeded, failed, canceled, or released for later."""

    def __init__(self, ctx: JobContext, job: Job, cancel: threading.Event):
        self.ctx, self.job, self.cancel = ctx, job, cancel
        self._lost = False  # the store no longer lists us as its runner (deleted, or taken over)
        self._last_write = 0.0
        self._last_poll = 0.0

    # --- callbacks handed to the pipeline -----------------------------------------------------

    def progress(self, fraction: float, stage: str) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        self.ctx.live[self.job.id] = (fraction, stage)
        now = time.time()
        if now - self._last_write >= PROGRESS_WRITE_S:
            self._last_write = now
            if not self.ctx.store.update_progress(self.job.id, self.ctx.owner, fraction, stage, now):
                self._lost = True
        self.ctx.emit(JobEvent("progress", dataclasses.replace(self.job, progress=fraction, stage=stage)))

    def should_cancel(self) -> bool:
        if self.cancel.is_set() or self.ctx.stopping.is_set() or self._lost:
            return True
        now = time.monotonic()
        if now - self._last_poll >= CANCEL_POLL_S:
            self._last_poll = now
            requested = self.ctx.store.cancel_requested(self.job.id)
            if requested is None:  # deleted by another process
                self._lost = True
            elif requested:
                self.cancel.set()
        return self.cancel.is_set() or self._lost

    # --- the run ------------------------------------------------------------------------------

    def run(self, device: str) -> Job | None:
        job, ctx = self.job, self.ctx
        output = ctx.settings.outputs_dir / f"{job.id}{job.options.output_suffix}"
        ran_on = device
        log.info("job %s (%s) started on %s, attempt %d", job.id, job.name, device, job.attempts)
        ctx.emit(JobEvent("started", job))
        try:
            self.progress(0.0, "preparing audio" if job.inputs.audio is None else "starting")
            audio = resolve_audio(job, ctx.settings)
            if job.inputs.audio is None:
                inputs = dataclasses.replace(job.inputs, audio=audio)
                ctx.store.update_inputs(job.id, inputs)
                self.job = job = dataclasses.replace(job, inputs=inputs)
            ran_on = self._run_with_fallback(job, audio, output, device)
            if job.inputs.deliver_to is not None:
                # Before the job counts as done: a crash here runs it again rather than losing the copy.
                deliver(output, job.inputs.deliver_to)
        except JobCanceled as exc:
            if self.cancel.is_set() or self._lost:
                return self._end(JobStatus.CANCELED, None, None, ran_on, f"canceled: {exc}")
            released = ctx.store.release(job.id, ctx.owner, "queued (interrupted by shutdown)")
            log.info("job %s interrupted by shutdown; queued again", job.id)
            return released
        except HeyGemError as exc:
            return self._end(JobStatus.FAILED, None, str(exc), ran_on, f"failed: {exc}")
        except Exception as exc:  # an engine bug must fail this job, never the queue
            log.exception("job %s failed with an unexpected error", job.id)
            return self._end(JobStatus.FAILED, None, f"{type(exc).__name__}: {exc}", ran_on, "failed")
        finally:
            ctx.live.pop(job.id, None)
            devices.release(device)
        return self._end(JobStatus.SUCCEEDED, output, None, ran_on, "succeeded")

    def _run_with_fallback(self, job: Job, audio: Path, output: Path, device: str) -> str:
        plan = fallback_plan(device, job.options.batch_size)
        for attempt, (dev, batch) in enumerate(plan):
            # A text job's words are its script, should its synthesis timings be missing.
            options: GenerateOptions = dataclasses.replace(job.options, device=dev, batch_size=batch,
                                                           script=job.options.script or job.inputs.text)
            try:
                self.ctx.runner(job.inputs.video, audio, output, options, self.ctx.settings,
                                self.progress, self.should_cancel)
                return dev
            except Exception as exc:
                if not is_out_of_memory(exc) or attempt == len(plan) - 1:
                    raise
                devices.release(dev)
                next_dev, next_batch = plan[attempt + 1]
                log.warning("job %s: out of memory on %s with batch %d; retrying on %s with batch %d",
                            job.id, dev, batch, next_dev, next_batch)
                self.progress(0.0, f"out of GPU memory: retrying on {next_dev} with batch {next_batch}")
        raise AssertionError("unreachable")

    def _end(self, status: JobStatus, output: Path | None, error: str | None, device: str, note: str) -> Job | None:
        job, ctx = self.job, self.ctx
        final = ctx.store.finish(job.id, ctx.owner, status, output, error, time.time(), device)
        if final is None:
            # Deleted (or taken over after a stall) while running: its output belongs to no one.
            if output is not None and ctx.store.get(job.id) is None:
                for suffix in OUTPUT_SUFFIXES:
                    output.with_suffix(suffix).unlink(missing_ok=True)
            log.info("job %s ended (%s) but is no longer ours; result dropped", job.id, status.value)
            return None
        log.info("job %s %s", job.id, note)
        ctx.emit(JobEvent("finished", final))
        return final
