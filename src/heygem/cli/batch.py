"""heygem batch --audio A --videos V1 V2 ... --out DIR   (or --audios A1 A2 ... --video V)

Runs through the job queue (so jobs survive a crash and show in the web UI's history) and copies
each finished video to DIR under its download name (service/naming.py), subtitles beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import uuid
from pathlib import Path

from ..config import Settings
from .generate import add_background, add_subtitle_args


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
    p.add_argument("--engine", default="default", help="lip-sync engine (see `heygem engines`)")
    p.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--batch-size", type=int, default=16, help="frames per engine call")
    p.add_argument("--crf", type=int, default=18, help="x264 quality (lower is better, 18 visually lossless)")
    p.add_argument("--preset", default="veryfast", help="x264 preset (ultrafast ... veryslow)")
    p.add_argument("--engine-option", action="append", default=[], metavar="KEY=VALUE",
                   help="engine-specific setting, e.g. checkpoint=/models/wav2lip_gan.pth")
    add_background(p)


def target_stems(jobs, out_dir: Path) -> dict[str, str]:
    """{job id: file stem} by the service's naming rule ("anchor + news", "anchor + news (2)"), never
    a stem already in `out_dir`, so no file there is overwritten."""
    from ..service.naming import result_stems

    return result_stems(jobs, taken=[path.stem for path in out_dir.iterdir()])


def copy_result(source: Path, target: Path) -> None:
    # Temp name + rename: DIR never shows half a video either.
    part = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copyfile(source, part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..options import EncodeOptions, GenerateOptions
    from ..service import JobService
    from .generate import engine_options, read_script

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    options = GenerateOptions(engine=args.engine, batch_size=args.batch_size,
                              encode=EncodeOptions(crf=args.crf, preset=args.preset),
                              engine_options=engine_options(args.engine_option), background=args.background,
                              subtitles=args.subtitles, script=read_script(args))
    service = JobService(settings, device=args.device)
    print(service.device_message)
    try:
        if args.audios:
            if not args.video:
                raise _usage("--audios goes with --video (one template)")
            jobs = service.submit_batch(audios=args.audios, video=args.video, options=options)
        else:
            if not args.videos:
                raise _usage("--audio/--text goes with --videos")
            jobs = service.submit_batch(args.audio, args.videos, text=args.text, voice=args.voice, options=options)
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


def _usage(message: str) -> Exception:
    from ..errors import InputError

    return InputError(message)


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
                    target = out_dir / f"{stems[job.id]}{job.output.suffix}"
                    copy_result(job.output, target)
                    if job.subtitles is not None and job.subtitles.is_file():
                        copy_result(job.subtitles, target.with_suffix(job.subtitles.suffix))
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
