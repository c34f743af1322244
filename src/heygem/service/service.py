"""JobService: the one object front ends (web UI, HTTP API, CLI) talk to.

Thread-safe. Every method may be called from any thread; subscribers are called from worker threads.
Jobs live in the store (<data>/jobs.sqlite3), so several processes on the same data dir see the
same jobs; progress events reach only subscribers in the process that runs the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from ..config import Settings
from ..options import GenerateOptions
from .jobs import Job, JobEvent, JobStatus, SystemInfo

Unsubscribe = Callable[[], None]


class JobService:
    def __init__(self, settings: Settings, device: str | None = None, **_hooks) -> None:
        """`device`: "auto" | "cpu" | "cuda" | "cuda:N" (default settings.device), resolved once here.
        Nothing runs until start()."""
        raise NotImplementedError

    def start(self) -> None:
        """Recover jobs left running by dead processes, then start the worker threads."""
        raise NotImplementedError

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop taking jobs; running ones are interrupted at their next frame batch and queued again."""
        raise NotImplementedError

    def submit(
        self,
        video_path: str | Path,
        audio_path: str | Path | None = None,
        options: GenerateOptions | None = None,
        batch_id: str | None = None,
        name: str | None = None,
        text: str | None = None,
        voice: str | None = None,
        job_id: str | None = None,
    ) -> Job:
        """Queue one job. Inputs are copied to <data>/uploads/<sha256>.<ext> first.

        Give `audio_path`, or `text` (+ optional `voice`) to speak with TTS. `job_id` lets a caller
        choose the id (letters, digits, '-', '_'; at most 64), e.g. HeyGem.ai's task `code`.
        Raises InputError (missing/empty/too big file, neither audio nor text), EngineUnavailable,
        DeviceError, JobStateError (id taken). Content problems (a corrupt file) fail the job later.
        """
        raise NotImplementedError

    def submit_batch(
        self,
        audio: str | Path | None = None,
        videos: Sequence[str | Path] = (),
        *,
        audios: Sequence[str | Path] = (),
        video: str | Path | None = None,
        text: str | None = None,
        voice: str | None = None,
        options: GenerateOptions | None = None,
    ) -> list[Job]:
        """One audio (or text) over many templates, or many audios over one template.

        All jobs share one new batch_id and are queued together or not at all.
        """
        raise NotImplementedError

    def get(self, job_id: str) -> Job:
        """The job's current state (live progress when this process runs it). Raises JobNotFound."""
        raise NotImplementedError

    def find(self, id_prefix: str) -> Job:
        """The one job whose id starts with `id_prefix` (for people typing ids). Raises JobNotFound."""
        raise NotImplementedError

    def list(
        self,
        status: JobStatus | str | Sequence[JobStatus | str] | None = None,
        batch_id: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Job], int]:
        """Newest first: (jobs on this page, total matching)."""
        raise NotImplementedError

    def cancel(self, job_id: str) -> Job:
        """Queued: canceled now. Running: stops at its next frame batch (status turns canceled then).
        Already finished: unchanged. Raises JobNotFound."""
        raise NotImplementedError

    def retry(self, job_id: str) -> Job:
        """Queue a failed or canceled job again (same id, attempts reset, at the end of the queue).
        Raises JobNotFound, JobStateError for other states."""
        raise NotImplementedError

    def delete(self, job_id: str) -> None:
        """Forget the job and remove its output; a running job is canceled first. Raises JobNotFound."""
        raise NotImplementedError

    def subscribe(self, callback: Callable[[JobEvent], None]) -> Unsubscribe:
        """Call `callback(event)` on every job event in this process; returns a function that unsubscribes.
        Callbacks run on worker threads and must be quick; their exceptions are logged and ignored."""
        raise NotImplementedError

    def wait(self, job_ids: Sequence[str], timeout: float | None = None) -> list[Job]:
        """Block until all these jobs are done (or timeout); returns their latest state."""
        raise NotImplementedError

    def system(self) -> SystemInfo:
        """Device, GPU memory, queue length, running jobs, counts per status."""
        raise NotImplementedError
