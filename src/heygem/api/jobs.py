"""REST routes for jobs and batches (/api/v1). Thin: check the request, stage uploads, call the service."""

from __future__ import annotations

import dataclasses
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from ..config import Settings
from ..errors import Gone, InputError
from ..options import (CRF_RANGE, DEFAULTS, SPEAKERS, SUBTITLE_MODES, TEMPLATE_SYNCS, X264_PRESETS, EncodeOptions,
                       GenerateOptions)
from ..service import BatchRequest, JobRequest, JobService, JobStateError, JobStatus
from ..service.naming import result_files, result_name
from ..service.zipstream import stream_zip
from ..tts.synth import MAX_TEXT_CHARS
from .deps import ID_PATTERN, bearer, get_service, get_settings
from .limits import MAX_BATCH_FILES
from .schemas import API, BatchOut, ErrorOut, JobOut, JobPage
from .staging import stage_upload, staging

router = APIRouter(tags=["jobs"], dependencies=[Depends(bearer)])

ID = ID_PATTERN
MAX_BATCH_SIZE = 256
"""Largest batch_size a request may ask for: bounds one request's memory on a shared server."""
JobId = Annotated[str, Path(pattern=ID, description="job id")]
BatchId = Annotated[str, Path(pattern=ID, description="batch id")]
Service = Annotated[JobService, Depends(get_service)]
Config = Annotated[Settings, Depends(get_settings)]
# Literal[a tuple] is Literal[*tuple]: the choices are listed once, where the options are defined.
Preset = Literal[X264_PRESETS]  # type: ignore[valid-type]
Subtitles = Literal[SUBTITLE_MODES]  # type: ignore[valid-type]
TemplateSync = Literal[TEMPLATE_SYNCS]  # type: ignore[valid-type]
Speaker = Literal[SPEAKERS]  # type: ignore[valid-type]
SUBTITLE_TYPES = {".srt": "application/x-subrip", ".vtt": "text/vtt"}

Responses = dict[int | str, dict[str, Any]]
ERROR: dict[str, Any] = {"model": ErrorOut}
SUBMIT_ERRORS: Responses = {400: {"description": "bad input", **ERROR}, 413: {"description": "a file is too big", **ERROR},
                 415: {"description": "a file is not the media it should be", **ERROR}}
NOT_FOUND: Responses = {404: {"description": "no such job", **ERROR}}
CONFLICT: Responses = {409: {"description": "not possible in the job's current state", **ERROR}}


def job_options(
    engine: Annotated[str, Form(max_length=64, description='lip-sync engine ("default": the weight-free one)')]
    = DEFAULTS.engine,
    motion: Annotated[Literal["learned", "loudness"], Form(description="how audio drives the mouth")]
    = DEFAULTS.motion,  # type: ignore[assignment]
    batch_size: Annotated[int, Form(ge=1, le=MAX_BATCH_SIZE, description="frames per engine call")]
    = DEFAULTS.batch_size,
    crf: Annotated[int, Form(ge=CRF_RANGE[0], le=CRF_RANGE[1], description="x264 quality (lower is better)")]
    = DEFAULTS.encode.crf,
    preset: Annotated[Preset, Form(description="x264 speed/size trade-off")] = DEFAULTS.encode.preset,
    subtitles: Annotated[Subtitles, Form(description="srt/vtt: a subtitle file beside the video; burn: captions "
                                                     "drawn into the picture (and the .srt)")] = DEFAULTS.subtitles,
    script: Annotated[str | None, Form(max_length=MAX_TEXT_CHARS, description="the words spoken in the audio, "
                                                                        "to time subtitles by")] = None,
    background: Annotated[str, Form(max_length=32, description="behind the person: keep, green, blue, #RRGGBB, "
                                    "blur, transparent (a .webm with alpha), or image (send `background_image`)")]
    = DEFAULTS.background,
    template_sync: Annotated[TemplateSync, Form(description="a template whose picture and sound are apart: keep its "
                                                "timing, or align its soundtrack first so the video keeps in "
                                                "sync with the new speech")] = DEFAULTS.template_sync,
    speaker: Annotated[Speaker, Form(description="who speaks the new speech: template (the template's person; "
                                     "the mouths also follow their own voice as learned from the template) or "
                                     "other (another person: the general model alone); text is always other")]
    = DEFAULTS.speaker,
) -> GenerateOptions:
    from ..render.background import describe_choices, named

    if background.strip().lower() != "image" and named(background) is None:  # never a server path
        raise InputError(f"unknown background {background!r}: use keep, green, blue, #RRGGBB, blur or "
                         f"transparent, or send the picture as `background_image` ({describe_choices()})")
    return GenerateOptions(engine=engine, motion=motion, batch_size=batch_size,
                           encode=EncodeOptions(crf=crf, preset=preset), background=background,
                           subtitles=subtitles, script=script if script and script.strip() else None,
                           template_sync=template_sync, speaker=speaker)


def _with_background_image(options: GenerateOptions, upload: UploadFile | None, folder: FsPath,
                           settings: Settings) -> GenerateOptions:
    """The options with an uploaded background picture (staged and checked) in place of "image"."""
    upload = _given(upload)
    chosen = options.background.strip().lower()
    if upload is None:
        if chosen == "image":
            raise InputError("background=image needs the picture as the `background_image` file")
        return options
    if chosen not in ("keep", "image"):
        raise InputError(f"give background={chosen!r} or a `background_image`, not both")
    path = stage_upload(upload, folder, settings, "image", "background_image")
    return dataclasses.replace(options, background=str(path))


Options = Annotated[GenerateOptions, Depends(job_options)]
Text = Annotated[str | None, Form(max_length=MAX_TEXT_CHARS, description="words to speak (instead of audio)")]
Voice = Annotated[str | None, Form(max_length=100, description="text-to-speech voice (default: by language)")]
BackgroundImage = Annotated[UploadFile | None, File(description="picture behind the person with background=image "
                                                    "(png, jpg, webp, bmp), scaled to cover the frame")]


def _given(upload: UploadFile | None) -> UploadFile | None:
    # Browsers send an empty, nameless part for a file input left blank.
    return upload if upload is not None and (upload.filename or upload.size) else None


def _check_voice(text: str | None, voice: str | None) -> None:
    """An unknown voice for a text job is a 400 before any upload is staged, not a failed job later."""
    if text and text.strip() and voice not in (None, "", "auto"):
        from ..tts.voices import resolve

        resolve(voice, "en")  # "en": only used for "auto"


@router.post("/jobs", status_code=202, response_model=JobOut, responses=SUBMIT_ERRORS,
             summary="Queue one video: a template and an audio file (or text to speak)")
def create_job(
    service: Service, settings: Config, options: Options, response: Response,
    template: Annotated[UploadFile, File(description="video of the person talking")],
    audio: Annotated[UploadFile | None, File(description="speech to say (wav, mp3, m4a, ...)")] = None,
    text: Text = None,
    voice: Voice = None,
    name: Annotated[str | None, Form(max_length=200, description="label for lists and file names")] = None,
    background_image: BackgroundImage = None,
) -> JobOut:
    _check_voice(text, voice)
    audio = _given(audio)
    with staging(settings) as folder:
        options = _with_background_image(options, background_image, folder, settings)
        video_path = stage_upload(template, folder, settings, "video", "template")
        audio_path = stage_upload(audio, folder, settings, "audio", "audio") if audio else None
        job = service.submit(JobRequest(video_path, audio_path, text=text, voice=voice, name=name or None,
                                         options=options))
    response.headers["Location"] = f"{API}/jobs/{job.id}"
    return JobOut.of(job)


@router.post("/batches", status_code=202, response_model=BatchOut, responses=SUBMIT_ERRORS,
             summary="Queue a batch: one audio (or text) over many templates, or many audios over one template")
def create_batch(
    service: Service, settings: Config, options: Options,
    templates: Annotated[list[UploadFile] | None, File(description="the templates, with one `audio` or `text`")]
    = None,
    audio: Annotated[UploadFile | None, File(description="the speech every template says")] = None,
    text: Text = None,
    voice: Voice = None,
    template: Annotated[UploadFile | None, File(description="the one template, with several `audios`")] = None,
    audios: Annotated[list[UploadFile] | None, File(description="speeches for the one template")] = None,
    background_image: BackgroundImage = None,
) -> BatchOut:
    templates = [t for t in templates or () if _given(t)]
    audios = [a for a in audios or () if _given(a)]
    template, audio = _given(template), _given(audio)
    if len(templates) > MAX_BATCH_FILES or len(audios) > MAX_BATCH_FILES:
        raise InputError(f"a batch holds at most {MAX_BATCH_FILES} files per side")
    _check_voice(text, voice)
    with staging(settings) as folder:
        options = _with_background_image(options, background_image, folder, settings)
        request = BatchRequest(  # the request refuses shapes other than 1 x N and N x 1
            videos=tuple(stage_upload(t, folder, settings, "video", "templates") for t in templates),
            audio=stage_upload(audio, folder, settings, "audio", "audio") if audio else None,
            text=text, voice=voice,
            audios=tuple(stage_upload(a, folder, settings, "audio", "audios") for a in audios),
            video=stage_upload(template, folder, settings, "video", "template") if template else None,
            options=options)
        jobs = service.submit_batch(request)
    return BatchOut.of(jobs)


@router.get("/jobs", response_model=JobPage, summary="Jobs, newest first")
def list_jobs(
    service: Service,
    status: Annotated[list[JobStatus] | None, Query(description="only these statuses")] = None,
    batch_id: Annotated[str | None, Query(pattern=ID)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JobPage:
    jobs, total = service.list(status or None, batch_id, offset, limit)
    return JobPage(items=[JobOut.of(j) for j in jobs], total=total, offset=offset, limit=limit)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND, summary="A job's status and progress")
def get_job(service: Service, job_id: JobId) -> JobOut:
    return JobOut.of(service.get(job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=NOT_FOUND,
             summary="Cancel a job (a running one stops at its next frame batch)")
def cancel_job(service: Service, job_id: JobId) -> JobOut:
    return JobOut.of(service.cancel(job_id))


@router.post("/jobs/{job_id}/retry", response_model=JobOut, responses={**NOT_FOUND, **CONFLICT},
             summary="Queue a failed or canceled job again")
def retry_job(service: Service, job_id: JobId) -> JobOut:
    return JobOut.of(service.retry(job_id))


@router.delete("/jobs/{job_id}", status_code=204, responses=NOT_FOUND,
               summary="Forget a job and delete its video (a running job is canceled first)")
def delete_job(service: Service, job_id: JobId) -> Response:
    service.delete(job_id)
    return Response(status_code=204)


def _output(settings: Settings, path: FsPath | None) -> FsPath | None:
    """The output's real path when it is a file inside the outputs folder; None otherwise."""
    if path is None:
        return None
    real, folder = path.resolve(), settings.outputs_dir.resolve()
    return real if real.is_relative_to(folder) and real.is_file() else None


@router.get("/jobs/{job_id}/result", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}, "video/webm": {}},
                             "description": "the video (webm for a transparent background); supports Range requests"},
                       206: {"content": {"video/mp4": {}}, "description": "the requested part of the video"},
                       **NOT_FOUND, **CONFLICT, 410: {"description": "the video file is gone", **ERROR}},
            summary="Download the finished video (HTTP Range requests supported)")
def job_result(service: Service, settings: Config, job_id: JobId) -> FileResponse:
    job = service.get(job_id)
    if job.status is not JobStatus.SUCCEEDED:
        raise JobStateError(f"job {job_id} is {job.status.value}; its video is ready once it has succeeded")
    path = _output(settings, job.output)
    if path is None:
        raise Gone(f"the video of job {job_id} is no longer on the server")
    return FileResponse(path, media_type=f"video/{path.suffix.lstrip('.') or 'mp4'}",
                        filename=result_name(job, path.suffix), content_disposition_type="inline")


@router.get("/jobs/{job_id}/subtitles", response_class=FileResponse,
            responses={200: {"content": {t: {} for t in SUBTITLE_TYPES.values()}, "description": "the .srt or .vtt"},
                       **NOT_FOUND, **CONFLICT, 410: {"description": "the subtitle file is gone", **ERROR}},
            summary="Download the finished video's subtitles (jobs made with subtitles srt, vtt or burn)")
def job_subtitles(service: Service, settings: Config, job_id: JobId) -> FileResponse:
    job = service.get(job_id)
    if job.status is not JobStatus.SUCCEEDED or job.subtitles is None:
        raise JobStateError(f"job {job_id} has no subtitles: it is {job.status.value}, "
                            f"made with subtitles={job.options.subtitles}")
    path = _output(settings, job.subtitles)
    if path is None:
        raise Gone(f"the subtitles of job {job_id} are no longer on the server")
    return FileResponse(path, media_type=SUBTITLE_TYPES[path.suffix], filename=result_name(job, path.suffix))


def _batch_jobs(service: JobService, batch_id: str) -> list:
    jobs, total = service.list(batch_id=batch_id, limit=MAX_BATCH_FILES * 2)
    while len(jobs) < total:  # batches made by other front ends may be larger
        more, total = service.list(batch_id=batch_id, offset=len(jobs), limit=100)
        if not more:
            break
        jobs += more
    if not jobs:
        from ..service import JobNotFound

        raise JobNotFound(f"no batch with id {batch_id!r}")
    return sorted(jobs, key=lambda j: j.created_at)


@router.get("/batches/{batch_id}", response_model=BatchOut, responses={404: {"description": "no such batch", **ERROR}},
            summary="A batch's jobs")
def get_batch(service: Service, batch_id: BatchId) -> BatchOut:
    return BatchOut.of(_batch_jobs(service, batch_id))


@router.get("/batches/{batch_id}/zip", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}, "description": "the batch's finished videos"},
                       404: {"description": "no such batch", **ERROR},
                       409: {"description": "no video of the batch has finished yet", **ERROR}},
            summary="Download a batch's finished videos as one zip")
def batch_zip(service: Service, settings: Config, batch_id: BatchId) -> StreamingResponse:
    # Names by service/naming.py: "anchor + news.mp4", its subtitles beside it as "anchor + news.srt".
    files = result_files(_batch_jobs(service, batch_id), lambda path: _output(settings, path))
    videos = sum(path.suffix not in SUBTITLE_TYPES for _, path in files)
    if not videos:
        raise JobStateError(f"no video of batch {batch_id} has finished yet")
    return StreamingResponse(stream_zip(files), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="heygem-{batch_id}.zip"',
                                      "X-HeyGem-Videos": str(videos)})
