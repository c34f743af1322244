"""HeyGem.ai-compatible routes: POST /easy/submit and GET /easy/query, so its scripts run unchanged.

Like HeyGem.ai, these always answer HTTP 200 and put the outcome in the body's `code`: 10000 ok,
10002 bad parameter, 10004 task not found, 9999 system error. HeyGem.ai refuses a task while it
is busy (10001); we queue it instead. 10001 comes back only when HEYGEM_MAX_DOWNLOADS URL downloads
are already in flight. The task `code` becomes the job id.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..errors import Busy, DeviceError, HeyGemError, InputError, JobNotFound, OutputError
from ..options import DEFAULTS, SUBTITLE_MODES, GenerateOptions
from ..service import Job, JobRequest, JobService, JobStatus
from ..service.request import JOB_ID_RULE, check_job_id
from ..tts.synth import MAX_TEXT_CHARS
from .deps import bearer, get_service, get_settings
from .schemas import API
from .errors import ReplyFormat, public_text
from .sources import Downloads, is_url, local_file
from .staging import sniff, staging

if TYPE_CHECKING:
    from .heygem_ai import DesktopClient

log = logging.getLogger("heygem.api.easy")
router = APIRouter(prefix="/easy", tags=["heygem.ai"], dependencies=[Depends(bearer)])

SUCCESS, BUSY, BAD_PARAMETER, TASK_NOT_FOUND, SYSTEM_ERROR = 10000, 10001, 10002, 10004, 9999
RUNNING, DONE, FAILED = 1, 2, 3


class EasySubmit(BaseModel):
    """HeyGem.ai's submit body. Unknown extra fields (e.g. `digital_auth`) are ignored."""

    model_config = ConfigDict(extra="ignore")
    audio_url: str = Field(max_length=4096, description="audio file: a path inside the media roots, or http(s) URL")
    video_url: str = Field(max_length=4096, description="template video: a path inside the media roots, or URL")
    code: str | int = Field(description=f"task id chosen by the caller ({JOB_ID_RULE}); query with it")
    chaofen: int = Field(0, description="super-resolution switch: accepted, not supported (logged)")
    watermark_switch: int = Field(0, description="watermark switch: accepted, not supported (logged)")
    pn: int = Field(1, description="accepted and ignored (HeyGem.ai documents it as a fixed value)")
    subtitles: Literal[SUBTITLE_MODES] = Field(  # type: ignore[valid-type]
        DEFAULTS.subtitles, description="extra field: srt/vtt subtitle file beside the video, or burn captions into it")
    script: str | None = Field(None, max_length=MAX_TEXT_CHARS, description="extra field: the words spoken, to time subtitles")
    background: str = Field(DEFAULTS.background, max_length=4096,
                            description="extra (not in HeyGem.ai): keep, green, blue, #RRGGBB, blur, transparent "
                                        "(the result is a .webm with alpha), or a picture: a path inside the "
                                        "media roots or an http(s) URL, scaled to cover the frame")


class EasyReply(BaseModel):
    code: int = Field(description="10000 ok, 10002 bad parameter, 10004 task not found, 9999 system error")
    data: dict[str, Any] = Field(description="query: code, status (1 running, 2 done, 3 failed), progress "
                                             "(0-100), msg, result, result_url")
    msg: str
    success: bool


def desktop_client(request: Request) -> DesktopClient | None:
    """Set by `serve --heygem-ai`: results also go beside the inputs, where the desktop client opens them."""
    return getattr(request.app.state, "desktop_client", None)


def reply(code: int, msg: str, data: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "data": data or {}, "msg": public_text(msg), "success": code == SUCCESS})


def error_response(exc: HeyGemError) -> JSONResponse:
    if isinstance(exc, JobNotFound):
        return reply(TASK_NOT_FOUND, str(exc))
    if isinstance(exc, Busy):
        return reply(BUSY, str(exc))
    if isinstance(exc, (DeviceError, OutputError)):
        return reply(SYSTEM_ERROR, str(exc))
    return reply(BAD_PARAMETER, str(exc))


def validation_response(exc: RequestValidationError) -> JSONResponse:
    problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
    return reply(BAD_PARAMETER, "; ".join(problems) or "bad parameter")


REPLY_FORMAT = ReplyFormat("/easy/", error_response, validation_response)
"""What the app's error handlers answer under /easy/: HTTP 200 with the code in the body."""


def _fetch(value: str, kind: str, folder: Path, downloads: Downloads, roots: tuple[Path, ...]) -> Path:
    value = value.strip()
    if not value:
        raise InputError(f"{kind}_url is empty")
    path = downloads.fetch(value, folder, kind) if is_url(value) else local_file(value, roots, kind)
    sniff(path, kind, f"{kind}_url {value!r}")
    return path


def _submit(body: EasySubmit, service: JobService, settings: Settings, roots: tuple[Path, ...],
            downloads: Downloads, client: DesktopClient | None = None) -> Job:
    code = check_job_id(str(body.code).strip(), "code")  # before any file is fetched
    try:
        taken = service.get(code)
    except JobNotFound:
        taken = None
    if taken is not None:  # checked before copying any file
        raise InputError(f"code {code!r} is already used by a {taken.status.value} job; submit with a new code")
    for field, value in (("chaofen", body.chaofen), ("watermark_switch", body.watermark_switch)):
        if value:
            log.info("task %s: %s=%s is not supported and is ignored", code, field, value)
    with staging(settings) as folder:
        background = _background(body.background, folder, downloads, roots)  # a bad value: before any copy
        video = _fetch(body.video_url, "video", folder, downloads, roots)
        audio = _fetch(body.audio_url, "audio", folder, downloads, roots)
        options = GenerateOptions(subtitles=body.subtitles, script=body.script or None, background=background)
        deliver_to = client.result_for(video, code, options.output_suffix) if client else None
        return service.submit(JobRequest(video, audio, job_id=code, deliver_to=deliver_to, options=options))


def _background(value: str, folder: Path, downloads: Downloads, roots: tuple[Path, ...]) -> str:
    """A named background as given; a picture fetched like the other media (roots or URL)."""
    from ..render.background import IMAGE_TYPES, describe_choices, named

    value = value.strip() or "keep"
    if named(value) is not None:
        return value
    if not is_url(value) and Path(value).suffix.lower() not in IMAGE_TYPES:
        raise InputError(f"unknown background {value!r}: use {describe_choices()}")
    return str(_fetch(value, "image", folder, downloads, roots))


def _task(job: Job, client: DesktopClient | None = None) -> dict[str, Any]:
    done = job.status is JobStatus.SUCCEEDED
    status = DONE if done else FAILED if job.status in (JobStatus.FAILED, JobStatus.CANCELED) else RUNNING
    return {
        "code": job.id,
        "status": status,
        "progress": 100 if done else int(job.progress * 100),
        "msg": public_text(job.error or job.stage),
        # HeyGem.ai gives "/<name>.mp4" inside its shared data folder; ours is inside <data>/outputs
        # (.webm for a transparent background).
        "result": (client.result_name(job) if client else f"/{job.output.name}") if done and job.output else "",
        "result_url": f"{API}/jobs/{job.id}/result" if done else "",
        "subtitles_url": f"{API}/jobs/{job.id}/subtitles" if done and job.subtitles is not None else "",
    }


@router.post("/submit", response_model=EasyReply, summary="Queue a task (HeyGem.ai compatible)")
def submit(request: Request, body: EasySubmit, service: Annotated[JobService, Depends(get_service)],
           settings: Annotated[Settings, Depends(get_settings)]) -> JSONResponse:
    try:
        job = _submit(body, service, settings, request.app.state.media_roots, request.app.state.downloads,
                      desktop_client(request))
    except HeyGemError as exc:
        log.info("easy/submit refused: %s", exc)
        return error_response(exc)
    except Exception:
        log.exception("easy/submit failed")
        return reply(SYSTEM_ERROR, "system error (see the server log)")
    return reply(SUCCESS, "success", {"code": job.id})


@router.get("/query", response_model=EasyReply, summary="A task's status and progress (HeyGem.ai compatible)")
def query(request: Request, service: Annotated[JobService, Depends(get_service)],
          code: Annotated[str | None, Query(max_length=200, description="the task code given at submit")] = None,
          ) -> JSONResponse:
    if not code or not code.strip():
        return reply(BAD_PARAMETER, "code is required")
    try:
        return reply(SUCCESS, "success", _task(service.get(code.strip()), desktop_client(request)))
    except HeyGemError as exc:
        return error_response(exc)
    except Exception:
        log.exception("easy/query failed")
        return reply(SYSTEM_ERROR, "system error (see the server log)")
