"""How long a template needs to be: the planned mouths from templates of a few seconds up to all.

    python training/template_length.py [CLIP ...] [--lengths 2 4 8]

Each clip of the development set (default: the six with at least 17 s of speech) is cut as
`heygem eval` cuts it: its last 40% drives the plan, and its real mouths there are the truth. The
template is the last T seconds before that (each of --lengths), and the whole first 60% ("all").
For each template the table gives the planned opening's r with the real one (nothing rendered;
the general model without the clip's speaker, from `train_mouth_model.py --held-out`) for the
template's own voice (`--speaker template`, the person-specific learner in play) and for another
voice (`other`, the general model alone), and the plan's log: the general model's r on the
template, the learner's cross-validated r and its weight.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis.phones import phone_shares  # noqa: E402
from heygem.analysis.template import load_or_analyze  # noqa: E402
from heygem.config import Settings  # noqa: E402
from heygem.evaluation.devset import read_list  # noqa: E402
from heygem.evaluation.split import first_sample, split_clip, write_wav  # noqa: E402
from heygem.media.decode import VideoSource, load_audio, load_soundtrack  # noqa: E402
from heygem.media.encode import VideoWriter  # noqa: E402
from heygem.motion.plan import mouth_targets  # noqa: E402
from heygem.types import AudioAnalysis  # noqa: E402
from template_offset import _PlanLog  # noqa: E402

CLIPS = ("en_man_60s.mp4", "en_obama_address.mp4", "fr_man.mp4", "en_woman_senator.mp4", "en_woman_may.mp4",
         "zh_man_presenter.mp4")
LENGTHS_S = (2.0, 4.0, 8.0)


def last_seconds(clip: Path, cut: int, seconds: float, folder: Path) -> Path | None:
    """The clip's `seconds` before frame `cut`, with their sound, re-encoded; None if it is shorter."""
    with VideoSource(clip) as source:
        info = source.info
        start = cut - round(seconds * float(info.fps))
        if start <= 0:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        sound = load_soundtrack(clip, SAMPLE_RATE)[first_sample(start, info.fps):first_sample(cut, info.fps)]
        path = folder / "template.mp4"
        with VideoWriter(path, info.width, info.height, info.fps, write_wav(folder / "template.wav", sound)) as writer:
            for frame in source.read(start, cut):
                writer.write(frame)
    return path


def drive_analysis(drive: Path, fps) -> AudioAnalysis:
    """The drive heard as a job hears it, at the templates' frame rate (once per clip)."""
    samples = load_audio(drive, SAMPLE_RATE)
    speech = analyze_audio(samples, fps)
    return replace(speech, phones=phone_shares(samples, fps, speech.frame_count))


def planned_r(template, speech: AudioAnalysis, truth: np.ndarray, weights: Path, speaker: str) -> float:
    opening = mouth_targets(template, speech, weights=str(weights), speaker=speaker)[:, 0]
    n = min(len(opening), len(truth))
    known = np.isfinite(truth[:n])
    return float(np.corrcoef(opening[:n][known], truth[:n][known])[0, 1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clips", nargs="*", default=list(CLIPS))
    parser.add_argument("--lengths", nargs="+", type=float, default=list(LENGTHS_S), help="template lengths, seconds")
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache")
    parser.add_argument("--held-out", type=Path, default=REPO / "training" / ".cache" / "held-out",
                        help="one model per speaker without them (train_mouth_model.py --held-out)")
    parser.add_argument("--work", type=Path, default=REPO / "training" / ".cache" / "template-length")
    args = parser.parse_args(argv)
    speakers = {entry.file: entry.speaker for entry in read_list(args.devset)}
    unknown = [c for c in args.clips if c not in speakers]
    if unknown:
        parser.error(f"not in the development set: {', '.join(unknown)}")
    settings = Settings(data_dir=args.cache)
    plan_log = _PlanLog()
    logging.getLogger("heygem.motion").addHandler(plan_log)
    logging.getLogger("heygem.motion").setLevel(logging.INFO)
    print(f"{'clip':<24} {'template':>8} {'own voice':>9} {'other':>6}   general r, learner r, weight")
    for clip in args.clips:
        weights = args.held_out / f"{speakers[clip]}.npz"
        if not weights.exists():
            parser.error(f"no held-out model {weights}: run train_mouth_model.py --held-out {args.held_out}")
        folder = args.work / Path(clip).stem
        split = split_clip(args.devset / clip, folder)
        whole = load_or_analyze(args.devset / clip, settings)
        truth = whole.mouth[split.first_truth_frame:split.first_truth_frame + split.truth_frames, 0]
        templates = [(f"{s:g} s", last_seconds(args.devset / clip, split.first_truth_frame, s, folder / f"{s:g}s"))
                     for s in args.lengths]
        templates.append((f"all {split.first_truth_frame / float(whole.video.fps):.0f} s", split.template))
        speech = drive_analysis(split.audio, whole.video.fps)  # every template keeps the clip's frame rate
        for label, path in templates:
            if path is None:
                continue
            template = load_or_analyze(path, settings)
            plan_log.scores = ()
            own = planned_r(template, speech, truth, weights, "template")
            learned = "  ".join(f"{v:.2f}" for v in plan_log.scores[:2] + plan_log.scores[3:]) or "no learner"
            other = planned_r(template, speech, truth, weights, "other")
            print(f"{clip:<24} {label:>8} {own:9.3f} {other:6.3f}   {learned}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
