"""Response bodies of the REST API. Server paths never appear in them: files are reached by URL."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..render.background import label as background_label
from ..service import Job, JobStatus, SystemInfo
from .errors import public_text

API = "/api/v1"


class ErrorOut(BaseModel):
    detail: str = Field(description="what is wrong, naming the file or field")
    error: str = Field(description="kind of error, e.g. InputError")


class JobInputsOut(BaseModel):
    video_name: str = Field(description="template file name as uploaded")
    audio_name: str | None = Field(None, description="audio file name as uploaded (none for text jobs)")
    text: str | None = Field(None, description="words spoken with text-to-speech")
    voice: str | None = None


class JobOptionsOut(BaseModel):
    engine: str
    motion: str
    batch_size: int
    crf: int
    preset: str
    subtitles: str = Field("none", description="none, srt, vtt or burn")
    background: str = Field("keep", description='keep, green, blue, #RRGGBB, blur, transparent or "image"')
    template_sync: str = Field("keep", description="keep or align: an out-of-sync template's timing kept, or its "
                                                   "soundtrack aligned first")
    speaker: str = Field("template", description="template or other: who speaks the new speech (text jobs: other "
                                                 "whatever this says)")


class JobOut(BaseModel):
    id: str
    batch_id: str | None
    name: str
    status: JobStatus
    progress: float = Field(description="0..1 over the whole job")
    stage: str = Field(description="what it is doing now, or why it waits")
    error: str | None
    attempts: int
    device: str | None
    created_at: float = Field(description="Unix time, seconds")
    started_at: float | None
    finished_at: float | None
    inputs: JobInputsOut
    options: JobOptionsOut
    result_url: str | None = Field(description="the finished mp4, or webm for a transparent background "
                                               "(set once the job succeeded)")
    subtitles_url: str | None = Field(None, description="its .srt/.vtt (set once a job with subtitles succeeded)")

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id, batch_id=job.batch_id, name=job.name, status=job.status, progress=job.progress,
            stage=job.stage, error=public_text(job.error), attempts=job.attempts, device=job.device,
            created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
            inputs=JobInputsOut(video_name=job.inputs.video_name, audio_name=job.inputs.audio_name,
                                text=job.inputs.text, voice=job.inputs.voice),
            options=JobOptionsOut(engine=job.options.engine, motion=job.options.motion,
                                  batch_size=job.options.batch_size, crf=job.options.encode.crf,
                                  preset=job.options.encode.preset, subtitles=job.options.subtitles,
                                  background=background_label(job.options.background),
                                  template_sync=job.options.template_sync, speaker=job.options.speaker),
            result_url=f"{API}/jobs/{job.id}/result" if job.status is JobStatus.SUCCEEDED else None,
            subtitles_url=f"{API}/jobs/{job.id}/subtitles"
            if job.status is JobStatus.SUCCEEDED and job.subtitles is not None else None,
        )


class JobPage(BaseModel):
    items: list[JobOut]
    total: int = Field(description="jobs matching the filter, over all pages")
    offset: int
    limit: int


class BatchOut(BaseModel):
    batch_id: str
    jobs: list[JobOut]
    zip_url: str = Field(description="a zip of the batch's finished videos")

    @classmethod
    def of(cls, jobs: list[Job]) -> BatchOut:
        batch_id = jobs[0].batch_id or ""
        return cls(batch_id=batch_id, jobs=[JobOut.of(j) for j in jobs], zip_url=f"{API}/batches/{batch_id}/zip")


class GpuMemory(BaseModel):
    free_bytes: int
    total_bytes: int


class SystemOut(BaseModel):
    version: str
    device: str = Field(description='the default device: "cpu" or "cuda:N"')
    device_message: str
    gpu_memory: GpuMemory | None
    queued: int
    running: list[JobOut]
    counts: dict[str, int] = Field(description="jobs per status")
    slots: dict[str, int] = Field(description="jobs allowed at once per device")

    @classmethod
    def of(cls, info: SystemInfo, version: str) -> SystemOut:
        gpu = GpuMemory(free_bytes=info.gpu_memory[0], total_bytes=info.gpu_memory[1]) if info.gpu_memory else None
        return cls(version=version, device=info.device, device_message=info.device_message, gpu_memory=gpu,
                   queued=info.queued, running=[JobOut.of(j) for j in info.running], counts=info.counts,
                   slots=info.slots)


class Health(BaseModel):
    status: str = "ok"
    version: str
