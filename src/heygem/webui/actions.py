"""What the page's buttons do, as plain functions of the job service (no Gradio here, so tests call them).

Everything the page shows is read back from the service, so a reload or a second browser sees the
same jobs; the page itself keeps only the ids it is watching.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..config import Settings
from ..errors import InputError
from ..media.checks import written_whole
from ..options import GenerateOptions
from ..service import BatchRequest, Job, JobNotFound, JobRequest, JobService, JobStatus, SystemInfo
from ..service.naming import result_files, result_name
from ..service.request import NO_SPEECH
from ..service.zipstream import write_zip
from . import uploads
from .labels import both

PAGE_SIZE = 10
EXPORT_MAX_AGE_S = 3600
"""Zips the page made are removed after this long (the browser downloaded them long before)."""


def exports_dir(settings: Settings) -> Path:
    """<data>/exports: zips for download (served like outputs, so big zips are never copied again)."""
    return Path(settings.data_dir).resolve() / "exports"


# --- choices --------------------------------------------------------------------------------


def engine_choices(settings: Settings) -> tuple[list[tuple[str, str]], str | None]:
    """([(label, name)] of the engines that can run here, the one to preselect)."""
    from ..engines import registry

    usable = [s for s in registry.status(settings) if s.available]
    choices = [(f"{s.name} — {s.description}", s.name) for s in usable]
    names = [s.name for s in usable]
    default = registry.DEFAULT_ENGINE if registry.DEFAULT_ENGINE in names else (names[0] if names else None)
    return choices, default


def voice_choices() -> list[tuple[str, str]] | None:
    """[(label, name)] of installed TTS voices, "auto" first; None when text to speech is not available."""
    try:
        from ..tts import list_voices, missing_packages
    except ImportError:
        return None
    voices = [v for v in list_voices() if missing_packages(v) is None]
    if not voices:
        return None
    return [(both("自动（按文字语言）", "auto (by the text's language)"), "auto")] + [
        (f"{v.name} — {v.description}", v.name) for v in voices
    ]


# --- submitting -------------------------------------------------------------------------------


def _options(engine: str | None, subtitles: str | None = None, script: str | None = None,
             background: str | None = None, align_template: bool = False, other_speaker: bool = False) -> GenerateOptions:
    """The page's choices as options; a control left empty keeps the option's default."""
    chosen = {"engine": engine, "subtitles": subtitles, "script": (script or "").strip(), "background": background,
              "template_sync": "align" if align_template else None, "speaker": "other" if other_speaker else None}
    return GenerateOptions(**{key: value for key, value in chosen.items() if value})


WORDING = {NO_SPEECH: both("请上传音频或输入文字", "upload an audio file or type text")}
"""The page's own (bilingual) words for some of the request's messages."""


def subtitle_choices() -> list[tuple[str, str]]:
    return [(both("无", "none"), "none"), (both("SRT 字幕文件", "SRT file"), "srt"),
            (both("VTT 字幕文件", "VTT file"), "vtt"),
            (both("烧录到画面（另附 SRT）", "burned in (+ SRT)"), "burn")]


BACKGROUNDS = ("keep", "green", "blue", "colour", "image", "blur", "transparent")
"""The page's background choices; "colour" takes a #RRGGBB code, "image" a picture."""


def background_value(choice: str | None, colour: str | None = None, image: str | None = None) -> str:
    """The page's background controls as one option value (see GenerateOptions.background)."""
    from ..render.background import named, parse

    choice = choice or "keep"
    if choice == "colour":
        value = (colour or "").strip()
        chosen = named(value) if value else None
        if chosen is None or chosen.kind != "colour":  # a colour only: never a path to a picture on the server
            raise InputError(both("请输入颜色，例如 #1E90FF", "type a colour such as #1E90FF"))
    elif choice == "image":
        if not image:
            raise InputError(both("请上传背景图片", "upload a background picture first"))
        value = image
    else:
        value = choice
    parse(value)  # a clear message now, not a failed job later
    return value


def submit_single(service: JobService, settings: Settings, template: str | None, audio: str | None,
                  text: str | None = None, voice: str | None = None, engine: str | None = None,
                  subtitles: str | None = None, script: str | None = None, background: str | None = None,
                  align_template: bool = False, other_speaker: bool = False) -> Job:
    """One template with one audio, or with text to speak; `script` (the audio's words) times subtitles;
    `background` as from background_value(); align_template: GenerateOptions.template_sync "align";
    other_speaker: GenerateOptions.speaker "other"."""
    if not template:
        raise InputError(both("请上传模板视频", "upload a template video first"))
    text = (text or "").strip() or None
    # Typed text wins over an uploaded audio (the page shows both controls at once); `script` times an audio.
    try:
        request = JobRequest(template, None if text else audio or None, text=text,
                             voice=None if voice in (None, "", "auto") else voice,
                             options=_options(engine, subtitles, None if text else script, background, align_template,
                                              other_speaker))
    except InputError as exc:
        raise InputError(WORDING.get(str(exc), str(exc))) from None
    uploads.check(template, "video", settings)
    if request.audio is not None:
        uploads.check(audio, "audio", settings)
    return service.submit(request)


ONE_AUDIO = "one-audio"
"""Batch mode: one audio over many templates."""
ONE_TEMPLATE = "one-template"
"""Batch mode: many audios over one template."""


def many_kind(mode: str) -> str:
    """What the batch's list holds in this mode: "video" (templates) or "audio"."""
    return "video" if mode == ONE_AUDIO else "audio"


def add_to_list(staged: Sequence[str], new: Sequence[str], kind: str,
                settings: Settings) -> tuple[list[str], list[str]]:
    """(the list with the acceptable new files appended, a message per refused file).

    Each file is opened (not only its name checked), so a broken one is refused now rather than
    failing its job minutes later."""
    out, refused = list(staged), []
    for path in new:
        try:
            uploads.describe(path, kind, settings)
        except InputError as exc:
            refused.append(str(exc))
            continue
        if path not in out:
            out.append(path)
    return out, refused


def remove_from_list(staged: Sequence[str], selected: Sequence[str]) -> list[str]:
    return [p for p in staged if p not in set(selected)]


def submit_batch(service: JobService, settings: Settings, mode: str, one: str | None,
                 many: Sequence[str], engine: str | None = None, subtitles: str | None = None,
                 script: str | None = None, background: str | None = None, align_template: bool = False,
                 other_speaker: bool = False) -> list[Job]:
    """ONE_AUDIO: `one` audio over the `many` templates; ONE_TEMPLATE: the `many` audios over `one` template.
    `script` (the one audio's words) times subtitles in ONE_AUDIO mode."""
    one_kind = "audio" if mode == ONE_AUDIO else "video"
    if not one:
        raise InputError(both("请上传音频", "upload the audio first") if one_kind == "audio"
                         else both("请上传模板视频", "upload the template video first"))
    if not many:
        raise InputError(both("列表为空，请添加文件", "the list is empty: add files first"))
    uploads.check(one, one_kind, settings)
    for path in many:
        uploads.check(path, many_kind(mode), settings)
    options = _options(engine, subtitles, script if mode == ONE_AUDIO else None, background, align_template,
                       other_speaker)
    if mode == ONE_AUDIO:
        request = BatchRequest(videos=tuple(many), audio=one, options=options)
    else:
        request = BatchRequest(audios=tuple(many), video=one, options=options)
    return service.submit_batch(request)


# --- reading ----------------------------------------------------------------------------------


def get_job(service: JobService, job_id: str | None) -> Job | None:
    """The job, or None when there is no id or it was deleted meanwhile."""
    if not job_id:
        return None
    try:
        return service.get(job_id)
    except JobNotFound:
        return None


def batch_jobs(service: JobService, batch_id: str | None) -> list[Job]:
    """The batch's jobs in submission order (the service lists newest first)."""
    if not batch_id:
        return []
    jobs, _ = service.list(batch_id=batch_id, limit=10_000)
    return jobs[::-1]


@dataclass(frozen=True)
class Page:
    jobs: list[Job]
    index: int
    """0-based, clamped to the pages that exist."""
    pages: int
    total: int


def history_page(service: JobService, index: int, size: int = PAGE_SIZE) -> Page:
    """Page `index` of every job, newest first; a page past the end (after deletes) shows the last one."""
    _, total = service.list(limit=0)
    pages = max(1, -(-total // size))
    index = min(max(0, index), pages - 1)
    jobs, total = service.list(offset=index * size, limit=size)
    return Page(jobs, index, pages, total)


def all_job_ids(service: JobService) -> list[str]:
    ids: list[str] = []
    while True:
        jobs, total = service.list(offset=len(ids), limit=500)
        ids += [job.id for job in jobs]
        if not jobs or len(ids) >= total:
            return ids


@dataclass(frozen=True)
class Snapshot:
    """What the System tab shows."""

    system: SystemInfo
    disk_free: int
    disk_total: int
    data_dir: Path
    engines: list[tuple[str, bool, str | None]]
    """(name, available, why not)."""


def snapshot(service: JobService, settings: Settings) -> Snapshot:
    from ..engines import registry

    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(data_dir)
    engines = [(s.name, s.available, s.reason) for s in registry.status(settings)]
    return Snapshot(service.system(), usage.free, usage.total, data_dir, engines)


# --- downloading and deleting -------------------------------------------------------------------


def output_name(job: Job) -> str:
    """The video's download name by the service's rule (service/naming.py): "anchor + news.mp4"."""
    return result_name(job, job.output.suffix if job.output is not None else job.options.output_suffix)


def named_output(settings: Settings, job: Job) -> Path | None:
    """The finished video under its readable name, for downloads: a browser saves a file under the
    name the server gives, and outputs are named by job id.

    A hard link in <data>/exports/videos/<job-id>/ costs no copy; prune_named() removes it once the
    job's own output is gone. Where hard links are not possible the id-named output is returned.
    """
    if job.status is not JobStatus.SUCCEEDED or job.output is None or not job.output.is_file():
        return None
    link = exports_dir(settings) / "videos" / job.id / output_name(job)
    try:
        if link.exists() and os.stat(link).st_ino == os.stat(job.output).st_ino:
            return link
        link.parent.mkdir(parents=True, exist_ok=True)
        with written_whole(link) as part:  # atomic, also over a link to an older output of the same job
            os.link(job.output, part)
        _link_subtitles(job, link)
        return link
    except OSError:
        return job.output


def _link_subtitles(job: Job, video_link: Path) -> None:
    """The job's subtitle file beside its readable-name video link, same stem."""
    if job.subtitles is None or not job.subtitles.is_file():
        return
    with written_whole(video_link.with_suffix(job.subtitles.suffix)) as part:
        os.link(job.subtitles, part)


def named_subtitles(video_link: Path | None, job: Job) -> Path | None:
    """The readable-name subtitle link beside `video_link` (from named_output), when there is one."""
    if video_link is None or job.subtitles is None:
        return None
    link = video_link.with_suffix(job.subtitles.suffix)
    return link if link.is_file() else None


def prune_named(settings: Settings) -> None:
    """Remove readable-name links whose job output was deleted (the link is then the file's only name)."""
    for link in (exports_dir(settings) / "videos").glob("*/*"):
        try:
            if link.stat().st_nlink == 1:
                link.unlink()
                link.parent.rmdir()
        except OSError:
            pass  # gone already, or the folder holds another link


def zip_jobs(service: JobService, settings: Settings, job_ids: Sequence[str]) -> Path:
    """A zip of the finished videos among `job_ids` under readable names; InputError when there are none."""
    jobs = [job for job in (get_job(service, i) for i in job_ids)
            if job is not None and job.status is JobStatus.SUCCEEDED and job.output and job.output.is_file()]
    if not jobs:
        raise InputError(both("没有可下载的完成视频", "no finished videos to download"))
    folder = exports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    prune_named(settings)
    target = folder / f"heygem-{time.strftime('%Y%m%d-%H%M%S')}-{len(jobs)}-videos-{jobs[0].id[:6]}.zip"
    return write_zip(result_files(jobs), target)  # the same names as the API's batch zip


def _prune(folder: Path) -> None:
    cutoff = time.time() - EXPORT_MAX_AGE_S
    for old in folder.glob("heygem-*.zip"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:
            pass  # another request pruned it first


def delete_jobs(service: JobService, settings: Settings, job_ids: Sequence[str]) -> int:
    """Delete these jobs (running ones are canceled first); returns how many existed."""
    deleted = 0
    for job_id in job_ids:
        try:
            service.delete(job_id)
            deleted += 1
        except JobNotFound:
            pass  # already gone: another tab or the API deleted it
    prune_named(settings)
    return deleted
