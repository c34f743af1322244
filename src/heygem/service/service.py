"""JobService: the one object front ends (web UI, HTTP API, CLI) talk to.

Thread-safe. Every method may be called from any thread; subscribers are called from worker threads.
Jobs live in the store (<data>/jobs.sqlite3, or PostgreSQL), so several processes on the same data
dir see the same jobs; progress events reach only subscribers in the process that runs the job.
With HEYGEM_BROKER_URL set, start() runs no jobs here: it sends them to `heygem worker` processes.
"""

from __future__ import annotations

import builtins
import dataclasses
import logging
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .. import devices
from ..config import Settings, redact
from ..errors import EngineUnavailable, JobNotFound
from ..options import GenerateOptions
from . import owners
from .dispatcher import Dispatcher
from .jobs import OUTPUT_SUFFIXES, Job, JobEvent, JobInputs, JobStatus, SystemInfo, WorkerInfo
from .request import BatchRequest, JobRequest
from .scheduler import Estimate, MemoryProbe, Scheduler
from .storage import open_store
from .store import JobStore
from .uploads import remove_stale_parts, store_input
from .worker import JobContext, Runner

if TYPE_CHECKING:
    from ..distributed.sweeper import Sweeper

log = logging.getLogger("heygem.service")
Unsubscribe = Callable[[], None]
JobList = list[Job]  # inside JobService, `list` names the method


def _default_runner(*args, **kwargs):
    from .. import pipeline  # imported on first job, so front ends start fast

    return pipeline.run(*args, **kwargs)


def _stem(name: str | None, fallback: str) -> str:
    return Path(name).stem if name else fallback


class JobService:
    def __init__(
        self,
        settings: Settings,
        device: str | None = None,
        *,
        store: JobStore | None = None,
        runner: Runner | None = None,
        memory_probe: MemoryProbe | None = None,
        estimate: Estimate | None = None,
    ) -> None:
        """`device`: "auto" | "cpu" | "cuda" | "cuda:N" (default settings.device), resolved once here.
        Nothing runs until start(). The keyword hooks replace the store, pipeline.run, the GPU memory
        probe and the memory estimate (tests, other deployments)."""
        self.settings = dataclasses.replace(settings, data_dir=Path(settings.data_dir).resolve())
        report = devices.report(device or settings.device)
        self.device, self.device_message = report.device, report.message
        log.info("job service on %s: %s", self.device, self.device_message)
        self.store = store or open_store(self.settings)
        self._subscribers: builtins.list[Callable[[JobEvent], None]] = []
        self._sub_lock = threading.Lock()
        # Input copies that submits in progress rely on (their jobs are not stored yet), so removing
        # unused copies never deletes one under them; both sides change it under the lock.
        self._inputs_lock = threading.Lock()
        self._claimed: Counter[Path] = Counter()
        self._changed = threading.Condition()
        self._generation = 0  # counts finish/delete events, so wait() never sleeps through one
        self._live: dict[str, tuple[float, str]] = {}
        self._scheduler = Scheduler(self.settings, self.device, memory_probe, estimate)
        self._ctx = JobContext(self.store, self.settings, "", runner or _default_runner, self._emit,
                               threading.Event(), self._live)
        self._dispatcher: Dispatcher | Sweeper | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs left running by dead processes, then start the worker threads."""
        if self._dispatcher is not None:
            return
        self.settings.outputs_dir.mkdir(parents=True, exist_ok=True)
        if self.settings.uploads_dir.is_dir():
            remove_stale_parts(self.settings.uploads_dir)
        # A fresh context per start: workers of an earlier start that outlived stop() keep their own.
        self._ctx = dataclasses.replace(self._ctx, owner=owners.new_owner(), stopping=threading.Event())
        if self.settings.broker_url:
            # Distributed mode: `heygem worker` processes run the jobs; this process sends them.
            from ..distributed.broker import Broker
            from ..distributed.sweeper import Sweeper

            self._dispatcher = Sweeper(self._ctx, Broker(self.settings, self.store))
            log.info("distributed mode: jobs run on `heygem worker` processes, sent through %s",
                     redact(self.settings.broker_url))
        else:
            self._dispatcher = Dispatcher(self._ctx, self._scheduler)
        self._dispatcher.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop taking jobs; running ones are interrupted at their next frame batch and queued again."""
        if self._dispatcher is not None:
            self._dispatcher.stop(timeout)
            self._dispatcher = None

    def close(self) -> None:
        """stop() and close the store."""
        self.stop()
        self.store.close()

    # --- submitting ---------------------------------------------------------------------------

    def submit(
        self,
        request: JobRequest | str | Path,
        audio_path: str | Path | None = None,
        options: GenerateOptions | None = None,
        *,
        name: str | None = None,
        text: str | None = None,
        voice: str | None = None,
        job_id: str | None = None,
        deliver_to: str | Path | None = None,
    ) -> Job:
        """Queue one job. Inputs are copied to <data>/uploads/<sha256>.<ext> first.

        `request` holds what to make (see JobRequest); for scripts and tests it may also be the
        template's path with the request's other fields as arguments: submit("t.mp4", "a.wav").
        Raises InputError (missing/empty/too big file, a rule of JobRequest), EngineUnavailable,
        DeviceError, JobStateError (id taken). Content problems (a corrupt file) fail the job later.
        """
        if not isinstance(request, JobRequest):
            request = JobRequest(request, audio_path, text=text, voice=voice, name=name, job_id=job_id,
                                 deliver_to=deliver_to, options=options or GenerateOptions())
        self._check_options(request.options)
        with self._keeping_inputs() as stored:
            options = self._store_background(request.options, stored)
            video = self._store_video(request.video, stored)
            audio = self._store_audio(request.audio, stored)
            job = self._new_job(video, audio, options, None, request.name, request.text, request.voice,
                                request.job_id, request.deliver_to)
            self._add([job])
        return job

    def submit_batch(
        self,
        request: BatchRequest | str | Path | None = None,
        videos: Sequence[str | Path] = (),
        *,
        audios: Sequence[str | Path] = (),
        video: str | Path | None = None,
        text: str | None = None,
        voice: str | None = None,
        options: GenerateOptions | None = None,
    ) -> JobList:
        """One audio (or text) over many templates, or many audios over one template (see BatchRequest).

        `request` may also be the one audio's path, with the request's other fields as arguments.
        All jobs share one new batch_id and are queued together or not at all.
        """
        if not isinstance(request, BatchRequest):
            request = BatchRequest(videos=tuple(videos), audio=request, text=text, voice=voice,
                                   audios=tuple(audios), video=video, options=options or GenerateOptions())
        self._check_options(request.options)
        batch_id = uuid.uuid4().hex
        with self._keeping_inputs() as stored:
            options = self._store_background(request.options, stored)
            if request.one_template:
                template = self._store_video(request.video, stored)
                pairs = [(template, self._store_audio(a, stored)) for a in request.audios]
            else:
                spoken = self._store_audio(request.audio, stored)
                pairs = [(self._store_video(v, stored), spoken) for v in request.videos]
            jobs = [self._new_job(v, a, options, batch_id, None, request.text, request.voice, None)
                    for v, a in pairs]
            self._add(jobs)
        return jobs

    @contextmanager
    def _keeping_inputs(self) -> Iterator[list[Path]]:
        """Collects the input copies a submit makes; if the submit fails, those no job uses are removed."""
        stored: list[Path] = []
        try:
            yield stored
        except BaseException:
            self._unclaim(stored)
            self._remove_unused_inputs(stored)
            raise
        self._unclaim(stored)

    def _store(self, path: str | Path, kind: str, limit: int, stored: list[Path]) -> Path:
        """Copy an input into uploads/ (unlocked: it may take seconds) and claim the copy."""
        copy = store_input(path, kind, self.settings.uploads_dir, limit)
        with self._inputs_lock:
            if not copy.exists():  # an identical copy was removed as unused between our copy and now
                copy = store_input(path, kind, self.settings.uploads_dir, limit)
            self._claimed[copy.resolve()] += 1
        stored.append(copy)
        return copy

    def _unclaim(self, copies: Sequence[Path]) -> None:
        with self._inputs_lock:
            for copy in copies:
                self._claimed[copy.resolve()] -= 1
                if self._claimed[copy.resolve()] <= 0:
                    del self._claimed[copy.resolve()]

    def _remove_unused_inputs(self, paths: Sequence[Path | None]) -> None:
        """Delete input copies (in uploads/) that no job refers to any more, and a template's analysis
        cache with them: they are the user's media (privacy) and can be large (disk)."""
        from ..tts import sidecars

        uploads = self.settings.uploads_dir.resolve()
        with self._inputs_lock:
            for path in dict.fromkeys(p for p in paths if p is not None):
                if (Path(path).resolve().parent == uploads and Path(path).resolve() not in self._claimed
                        and not self.store.uses_input(path)):
                    Path(path).unlink(missing_ok=True)
                    for kind in sidecars.KINDS:  # synthesised speech: its sentences (the user's text) and phonemes
                        sidecars.sidecar_path(path, kind).unlink(missing_ok=True)
                    # A template's analysis cache (named by the same content hash) holds crops of the face.
                    shutil.rmtree(self.settings.templates_dir / Path(path).stem, ignore_errors=True)
                    log.info("removed input copy %s (no job uses it)", Path(path).name)

    def _check_options(self, options: GenerateOptions) -> None:
        """The checks that need this machine (the request checked the rest); device "auto" means the service's."""
        from ..engines import registry

        engine = registry.get(options.engine)  # EngineUnavailable for an unknown name
        reason = engine.unavailable_reason(self.settings, dict(options.engine_options))
        if reason:
            raise EngineUnavailable(f"engine {engine.name!r} is unavailable: {reason}")
        if (options.device or "auto").strip().lower() != "auto":
            devices.resolve(options.device)  # DeviceError now rather than a failed job later

    def _store_background(self, options: GenerateOptions, stored: list[Path]) -> GenerateOptions:
        """InputError for a bad background value or picture; a picture is copied into uploads and claimed
        like the other inputs (and removed with the last job that uses it)."""
        from ..render import background

        image = background.parse(options.background).image
        if image is None:
            return options
        return dataclasses.replace(options, background=str(self._store(image, "background image",
                                                                       self.settings.max_bytes("image"), stored)))

    def _store_video(self, path: str | Path, stored: list[Path]) -> tuple[Path, str]:
        return self._store(path, "video", self.settings.max_video_bytes, stored), Path(path).name

    def _store_audio(self, path: str | Path | None, stored: list[Path]) -> tuple[Path | None, str | None]:
        if path is None:  # a text job: speech is synthesised when it runs
            return None, None
        return self._store(path, "audio", self.settings.max_audio_bytes, stored), Path(path).name

    def _new_job(self, video: tuple[Path, str], audio: tuple[Path | None, str | None], options: GenerateOptions,
                 batch_id: str | None, name: str | None, text: str | None, voice: str | None,
                 job_id: str | None, deliver_to: Path | None = None) -> Job:
        inputs = JobInputs(video=video[0], audio=audio[0], video_name=video[1], audio_name=audio[1],
                           text=text if audio[0] is None else None, voice=voice, deliver_to=deliver_to)
        return Job(
            id=job_id or uuid.uuid4().hex, batch_id=batch_id,
            name=name or f"{_stem(video[1], 'video')} + {_stem(audio[1], 'text')}",
            status=JobStatus.QUEUED, progress=0.0, stage="queued", inputs=inputs, options=options,
            output=None, error=None, attempts=0, device=None, created_at=time.time(),
        )

    def _add(self, jobs: JobList) -> None:
        self.store.add(jobs)
        for job in jobs:
            log.info("job %s queued: %s", job.id, job.name)
            self._emit(JobEvent("submitted", job))
        if self._dispatcher is not None:
            self._dispatcher.submitted(jobs)

    # --- reading ------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job's current state (live progress when this process runs it). Raises JobNotFound."""
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return self._overlay(job)

    def find(self, id_prefix: str) -> Job:
        """The one job whose id starts with `id_prefix` (for people typing ids). Raises JobNotFound."""
        job = self.store.get(id_prefix)
        if job is not None:
            return self._overlay(job)
        matches = self.store.find(id_prefix) if id_prefix else []
        if len(matches) != 1:
            raise JobNotFound(f"no job with id {id_prefix!r}" if not matches
                              else f"several jobs start with {id_prefix!r}: type more of the id")
        return self._overlay(matches[0])

    def list(
        self,
        status: JobStatus | str | Sequence[JobStatus | str] | None = None,
        batch_id: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[JobList, int]:
        """Newest first: (jobs on this page, total matching)."""
        if status is None:
            statuses: builtins.list[JobStatus] = []
        elif isinstance(status, (str, JobStatus)):
            statuses = [JobStatus(status)]
        else:
            statuses = [JobStatus(s) for s in status]
        jobs, total = self.store.list(statuses, batch_id, offset, limit)
        return [self._overlay(job) for job in jobs], total

    def _overlay(self, job: Job) -> Job:
        live = self._live.get(job.id)
        if live is None or job.status is not JobStatus.RUNNING:
            return job
        return dataclasses.replace(job, progress=live[0], stage=live[1])

    # --- changing -----------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """Queued: canceled now. Running: stops at its next frame batch (status turns canceled then).
        Already finished: unchanged. Raises JobNotFound."""
        job = self.store.cancel(job_id, time.time())
        if job.status is JobStatus.RUNNING and self._dispatcher is not None:
            self._dispatcher.cancel_local(job_id)
        elif job.status is JobStatus.CANCELED:
            self._emit(JobEvent("finished", job))
        return job

    def retry(self, job_id: str) -> Job:
        """Queue a failed or canceled job again (same id, attempts reset, at the end of the queue).
        Raises JobNotFound, JobStateError for other states."""
        job = self.store.retry(job_id, time.time())
        self._remove_outputs(job_id)
        log.info("job %s queued again", job_id)
        self._emit(JobEvent("submitted", job))
        if self._dispatcher is not None:
            self._dispatcher.submitted([job])
        return job

    def _remove_outputs(self, job_id: str) -> None:
        for suffix in OUTPUT_SUFFIXES:
            (self.settings.outputs_dir / f"{job_id}{suffix}").unlink(missing_ok=True)

    def delete(self, job_id: str) -> None:
        """Forget the job and remove its output; a running job is canceled first. Raises JobNotFound."""
        job = self.store.delete(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        if self._dispatcher is not None:
            self._dispatcher.cancel_local(job_id)  # its worker drops any output it still writes
        self._remove_outputs(job_id)
        self._remove_unused_inputs([job.inputs.video, job.inputs.audio, Path(job.options.background)])
        log.info("job %s deleted", job_id)
        self._emit(JobEvent("deleted", job))

    # --- watching -----------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[JobEvent], None]) -> Unsubscribe:
        """Call `callback(event)` on every job event in this process; returns a function that unsubscribes.
        Callbacks run on worker threads and must be quick; their exceptions are logged and ignored."""
        with self._sub_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._sub_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: JobEvent) -> None:
        with self._sub_lock:
            callbacks = list(self._subscribers)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("job event subscriber %r failed", callback)
        if event.kind in ("finished", "deleted"):
            with self._changed:
                self._generation += 1
                self._changed.notify_all()

    def wait(self, job_ids: Sequence[str], timeout: float | None = None) -> JobList:
        """Block until all these jobs are done (or timeout); returns their latest state.
        Also sees jobs finished by other processes (it looks at the store at least every 0.5 s)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        latest: dict[str, Job] = {}
        pending = list(dict.fromkeys(job_ids))
        while True:
            with self._changed:
                generation = self._generation
            for job_id in pending:  # finished jobs are not read again
                latest[job_id] = self.get(job_id)
            pending = [job_id for job_id in pending if not latest[job_id].done]
            left = None if deadline is None else deadline - time.monotonic()
            if not pending or (left is not None and left <= 0):
                return [latest[job_id] for job_id in job_ids]
            with self._changed:
                if generation == self._generation:  # nothing finished since we looked
                    self._changed.wait(0.5 if left is None else min(0.5, left))

    def system(self) -> SystemInfo:
        """Device, GPU memory, queue length, running jobs, counts per status."""
        counts = self.store.counts()
        running, _ = self.list(JobStatus.RUNNING, limit=100)
        gpu = self._scheduler.probe(self.device) if self.device.startswith("cuda") else None
        try:
            usage = shutil.disk_usage(self.settings.data_dir if self.settings.data_dir.exists() else Path.cwd())
            disk: tuple[int, int] | None = (usage.free, usage.total)
        except OSError:
            disk = None
        distributed = bool(self.settings.broker_url)
        return SystemInfo(self.device, self.device_message, gpu, counts[JobStatus.QUEUED.value], tuple(running),
                          counts, {} if distributed else self._scheduler.limits(), disk,
                          tuple(self.store.workers()) if distributed else (), distributed)

    def workers(self) -> builtins.list[WorkerInfo]:
        """Distributed mode: the `heygem worker` processes, most recently heard from first."""
        return self.store.workers()
