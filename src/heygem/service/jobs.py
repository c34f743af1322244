"""What the job service hands out: Job (a frozen snapshot), JobStatus, events, system info."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from ..options import VIDEO_SUFFIXES, EncodeOptions, GenerateOptions

MAX_ATTEMPTS = 3
"""A job whose process died while running it this many times is failed instead of requeued."""


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def done(self) -> bool:
        """True for the final states: succeeded, failed, canceled."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


@dataclass(frozen=True)
class JobInputs:
    """The job's own copies of its inputs (under <data>/uploads/, content-addressed) and their original names."""

    video: Path
    audio: Path | None
    """None when the job speaks `text` and its speech is not synthesised yet."""
    video_name: str
    """File name the user gave (for display and readable output names)."""
    audio_name: str | None = None
    text: str | None = None
    """Words to speak (TTS) when no audio is given."""
    voice: str | None = None
    """TTS voice name; None picks one from the text's language."""
    deliver_to: Path | None = None
    """Where a copy of the finished video also goes (e.g. a HeyGem.ai client's folder, which opens it
    from disk). Kept with the job, so a job finished after a restart is still delivered."""


@dataclass(frozen=True)
class Job:
    """A snapshot of one job. Ask the service again for fresh state."""

    id: str
    batch_id: str | None
    name: str
    """Readable label, e.g. "anchor + news"; also the stem of its download names (service/naming.py)."""
    status: JobStatus
    progress: float
    """0..1 over the whole job."""
    stage: str
    """What it is doing, e.g. "rendering 120/300", or why it waits."""
    inputs: JobInputs
    options: GenerateOptions
    output: Path | None
    """<data>/outputs/<id>.mp4 (.webm for a transparent background), set only once the job succeeded
    (the file is complete)."""
    error: str | None
    attempts: int
    """How many times a worker started it."""
    device: str | None
    """Where it ran (last attempt): "cpu" or "cuda:N"."""
    created_at: float
    """Unix time (seconds)."""
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def done(self) -> bool:
        return self.status.done

    @property
    def subtitles(self) -> Path | None:
        """<data>/outputs/<id>.srt (or .vtt) beside the output, when the job was asked for subtitles."""
        from ..subtitles.formats import sidecar_path

        return sidecar_path(self.output, self.options.subtitles) if self.output is not None else None


@dataclass(frozen=True)
class JobEvent:
    """Sent to subscribers when a job is submitted, starts, progresses, finishes or is deleted."""

    kind: Literal["submitted", "started", "progress", "finished", "deleted"]
    job: Job


@dataclass(frozen=True)
class WorkerInfo:
    """One `heygem worker` process in distributed mode, as it last reported itself."""

    name: str
    """Unique per process: "heygem@<host>:<pid>"."""
    host: str
    device: str
    """Where its jobs run: "cpu" or "cuda:N" (several GPUs: "cuda:0,cuda:1")."""
    queues: tuple[str, ...]
    concurrency: int
    jobs: tuple[str, ...]
    """Ids of the jobs it runs now."""
    started_at: float
    heartbeat_at: float


@dataclass(frozen=True)
class SystemInfo:
    device: str
    """The service's default device: "cpu" or "cuda:N"."""
    device_message: str
    """One line for people, e.g. "CUDA detected: NVIDIA ..., 20.1/24.0 GiB"."""
    gpu_memory: tuple[int, int] | None
    """(free, total) bytes on the GPU now; None on the CPU."""
    queued: int
    running: tuple[Job, ...]
    counts: dict[str, int]
    """Jobs per status (all of them, not only this process's)."""
    slots: dict[str, int]
    """Jobs allowed at once per device, e.g. {"cpu": 1, "cuda:0": 1}."""
    disk: tuple[int, int] | None = None
    """(free, total) bytes on the data dir's disk."""
    workers: tuple[WorkerInfo, ...] = ()
    """Distributed mode: the worker processes that reported in recently (empty in the embedded mode)."""
    distributed: bool = False
    """True when jobs run on `heygem worker` processes (HEYGEM_BROKER_URL), not in this process."""


OUTPUT_SUFFIXES = (*VIDEO_SUFFIXES, ".srt", ".vtt")
"""The files a job may leave in <data>/outputs/ as <id><suffix>: the video and its subtitles."""


def options_to_dict(options: GenerateOptions) -> dict[str, Any]:
    return dataclasses.asdict(options)


def options_from_dict(data: dict[str, Any]) -> GenerateOptions:
    """Inverse of options_to_dict; unknown keys (from another version) are ignored, missing ones get defaults."""
    known = {f.name for f in dataclasses.fields(GenerateOptions)}
    values = {k: v for k, v in data.items() if k in known}
    if isinstance(values.get("encode"), dict):
        enc_known = {f.name for f in dataclasses.fields(EncodeOptions)}
        values["encode"] = EncodeOptions(**{k: v for k, v in values["encode"].items() if k in enc_known})
    if "engine_options" in values:
        values["engine_options"] = tuple((str(k), str(v)) for k, v in values["engine_options"])
    return GenerateOptions(**values)
