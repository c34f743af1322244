"""heygem batch --audio A --videos V1 V2 ... --out DIR   (or --audios A1 A2 ... --video V)

Runs through the job queue (so jobs survive a crash and show in the web UI's history) and copies
each finished video to DIR under its download name (service/naming.py), subtitles beside it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from .generate import add_render_args, add_subtitle_args

if TYPE_CHECKING:
    from ..options import GenerateOptions
    from ..service import BatchRequest


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="many videos through the job queue: one audio x N templates, or N audios x one")
    speech = p.add_mutually_exclusive_group(required=True)
    speech.add_argument("--audio", help="one driving audio for every template")
    speech.add_argument("--audios", nargs="+", metavar="AUDIO", help="several audios, each over the one --video")
    speech.add_argument("--text", help="words to speak (TTS) over every template, instead of --audio")
    templates = p.add_mutually_exclusive_group(required=True)
    templates.add_argument("--videos", nargs="+", metavar="VIDEO", help="template videos (with --audio or --text)")
    templates.add_argument("--video", help="one template video (with --audios)")
    p.add_argument("--out", required=True, help="folder for the finished videos (made if missing)")
    p.add_argument("--voice", help="TTS voice for --text (see `heygem voices`)")
    add_subtitle_args(p)
    add_render_args(p)


def target_stems(jobs, out_dir: Path) -> dict[str, str]:
    """{job id: file stem} by the service's naming rule ("anchor + news", "anchor + news (2)"), never
    a stem already in `out_dir`."""
    from ..service.naming import result_stems

    return result_stems(jobs, taken=[path.stem for path in out_dir.iterdir()])


def copy_results(job, stem: str, out_dir: Path) -> Path:
    """The job's video (and subtitles beside it) copied into `out_dir` as `stem`, or as the next free
    stem if such a file appeared there since the batch started: nothing in DIR is overwritten, and
    DIR never shows half a video."""
    from ..media.checks import written_whole
    from ..service.naming import unique

    sources = [job.output] + ([job.subtitles] if job.subtitles is not None and job.subtitles.is_file() else [])
    while True:
        taken = {path.stem.casefold() for path in out_dir.iterdir()}
        free = unique(stem, taken)
        written: list[Path] = []
        try:
            for source in sources:
                with written_whole(out_dir / f"{free}{source.suffix}", overwrite=False) as part:
                    shutil.copyfile(source, part)
                written.append(out_dir / f"{free}{source.suffix}")
            return written[0]
        except FileExistsError:  # a file of that name appeared since the listing: take the next name
            for path in written:
                path.unlink()


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..service import JobService
    from .generate import render_options

    request = _request(args, render_options(args))
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    service = JobService(settings, device=args.device)
    print(service.device_message)
    try:
        jobs = service.submit_batch(request)
        print(f"batch {jobs[0].batch_id}: {len(jobs)} job(s) queued")
        service.start()
        try:
            failed = _follow(service, jobs, out_dir)
        except KeyboardInterrupt:
            for job in jobs:
                service.cancel(job.id)
            print("interrupted: the batch's jobs were canceled", file=sys.stderr)
            return 130
    finally:
        service.close()
    print(f"{len(jobs) - failed}/{len(jobs)} video(s) in {out_dir}")
    return 1 if failed else 0


def _request(args: argparse.Namespace, options: GenerateOptions) -> BatchRequest:
    """The flags as a BatchRequest; its batch-shape message in the flags' words."""
    from ..errors import InputError
    from ..service.request import BATCH_SHAPE, BatchRequest

    try:
        return BatchRequest(videos=tuple(args.videos or ()), audio=args.audio, text=args.text, voice=args.voice,
                            audios=tuple(args.audios or ()), video=args.video, options=options)
    except InputError as exc:
        if str(exc) == BATCH_SHAPE:
            raise InputError("--audio/--text goes with --videos (several templates); "
                             "--audios goes with --video (one template)") from None
        raise


def _follow(service, jobs, out_dir: Path) -> int:
    """Show progress until every job is done, copying each result as it lands; returns the number not succeeded."""
    from tqdm import tqdm

    from ..service import JobStatus

    pending = {job.id: i for i, job in enumerate(jobs, 1)}
    stems = target_stems(jobs, out_dir)
    failed = 0
    total = len(jobs)
    with tqdm(total=total * 1000, bar_format="{desc:<48} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
              file=sys.stderr, disable=None) as bar:  # disable=None: no bar when stderr is not a terminal
        while pending:
            current = [service.get(job_id) for job_id in pending]
            for job in current:
                if not job.done:
                    continue
                index = pending.pop(job.id)
                if job.status is JobStatus.SUCCEEDED and job.output is not None:
                    target = copy_results(job, stems[job.id], out_dir)
                    bar.write(f"[{index}/{total}] done: {job.name} -> {target}")
                else:
                    failed += 1
                    bar.write(f"[{index}/{total}] {job.status.value}: {job.name}: {job.error or job.stage}")
            running = [j for j in current if not j.done and j.status is JobStatus.RUNNING]
            shown = running[0] if running else next((j for j in current if not j.done), None)
            if shown is not None:
                bar.set_description_str(f"{shown.name[:24]} ({pending.get(shown.id, 0)}/{total}) {shown.stage}"[:48])
            bar.n = int(1000 * (total - len(pending) + sum(j.progress for j in current if not j.done)))
            bar.refresh()
            if pending:
                service.wait(list(pending), timeout=0.25)
    return failed
