"""heygem eval [CLIP ...]: lip-sync quality on real clips (first 60% template, last 40% truth)."""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import asdict
from pathlib import Path

from ..config import Settings

MEDIA_ENV = "HEYGEM_TESTMEDIA"


CHECKOUT = Path(__file__).resolve().parents[3]
"""The project checkout this heygem is imported from."""


def default_media(checkout: Path = CHECKOUT) -> Path:
    """$HEYGEM_TESTMEDIA, else the shared test media folder beside `checkout` (the benchmarks pass
    their own: they may import another checkout's heygem, e.g. one in a temporary folder)."""
    if os.environ.get(MEDIA_ENV):
        return Path(os.environ[MEDIA_ENV])
    return checkout.parent / "shared" / "testmedia"


def default_devset() -> Path:
    """The development set beside the project checkout (../shared/devset)."""
    return default_media().parent / "devset"


def _decibels(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a level in dB, e.g. 20, not {text!r}")
    return value


def _judge_legend(judge) -> str:
    return f"; {judge.name} r: open r as {judge.name}'s landmarks see both videos" if judge else ""


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure lip-sync quality on real talking-head clips")
    p.add_argument("clips", nargs="*", help=f"clips to evaluate (default: video/*.mp4 of ${MEDIA_ENV})")
    p.add_argument("--out", default="eval-out", help="folder for generated videos, contact sheets, results.json")
    p.add_argument("--cross", action="store_true", help="also drive each clip with every audio/*.wav of the test media")
    p.add_argument("--devset", nargs="?", const="", metavar="PATH",
                   help="evaluate every clip of a development set (folder with LIST.tsv; default ../shared/devset) "
                        "and summarise per speaker and language")
    p.add_argument("--held-out", metavar="DIR",
                   help="with --devset: per-speaker general mouth models trained without that speaker "
                        "(training/train_mouth_model.py --held-out DIR), so no clip is scored by a model that heard it")
    p.add_argument("--noise", type=_decibels, metavar="DB",
                   help="add white noise DB below the speech to each driving audio (the template keeps its own "
                        "soundtrack): how the mouth holds up when the new speech is noisy")
    p.add_argument("--judge", choices=["dlib"],
                   help="also score the opening with another landmarker (column 'dlib r'; needs "
                        "pip install -e '.[judge]'): whether the mouth moves as other landmarkers see it")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..errors import InputError
    from ..evaluation.judge import JUDGES
    from ..evaluation.run import STILL_S, cross_drive, evaluate_clip, format_table, mean_rows
    from ..media.encode import reproducible_files

    reproducible_files()  # a rerun scores the same (its re-encoded templates are analysed alike)
    judge = JUDGES[args.judge]() if args.judge else None
    if args.devset is not None:
        return _run_devset(args, settings, judge)
    media = default_media()
    clips = [Path(c) for c in args.clips] or sorted((media / "video").glob("*.mp4"))
    if not clips:
        raise InputError(f"no clips given and none found in {media / 'video'}")
    out = Path(args.out)
    rows = []
    for clip in clips:
        print(f"evaluating {clip.name} ...", flush=True)
        rows += evaluate_clip(clip, out, settings, noise_db=args.noise, judge=judge)
    table = rows + mean_rows(rows)
    if args.cross:
        audios = sorted((media / "audio").glob("*.wav"))
        cross = []
        for clip in clips:
            print(f"cross-driving {clip.name} ...", flush=True)
            cross += cross_drive(clip, audios, out, settings)
        table += cross + mean_rows(cross)
    print(format_table(table))
    print("open r: mouth-opening correlation with the real video (cross rows: with the audio loudness); "
          "lip dist: inter-ocular units; closed%: silent frames with a closed mouth; frozen%: speech frames "
          f"where the mouth stands still for {STILL_S:g} s; jitter: generated/real"
          + _judge_legend(judge))
    (out / "results.json").write_text(json.dumps([asdict(r) for r in table], indent=1, default=float))
    print(f"contact sheets: {out}/*/contact_sheet.png")
    return 0


def _run_devset(args: argparse.Namespace, settings: Settings, judge) -> int:
    from ..evaluation.devset import evaluate_devset, summary_rows
    from ..evaluation.run import format_table

    devset = Path(args.devset) if args.devset else default_devset()
    out = Path(args.out)
    held_out = Path(args.held_out) if args.held_out else None
    entries, rows = evaluate_devset(devset, out, settings, held_out, [Path(c).name for c in args.clips] or None,
                                    report=lambda line: print(line, flush=True), noise_db=args.noise, judge=judge)
    table = rows + summary_rows(entries, rows)
    print(format_table(table))
    print("mean (n): mean over n speakers (a speaker's clips averaged first); other summary rows: per language. "
          "mouthbank rows use " + (f"models trained without the clip's speaker ({held_out})" if held_out
                                   else "the shipped general mouth model")
          + _judge_legend(judge))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps([asdict(r) for r in table], indent=1, default=float))
    return 0
