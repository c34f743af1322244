"""Do videos keep in sync with new speech? Templates driven by other people's speech, judged by
the real mouth of the person who spoke it.

    python training/sync_eval.py --held-out DIR [--devset ../shared/devset]

`heygem eval` drives each template with the rest of its own recording and compares with that
recording's video, so a recording whose picture and sound are apart scores best when the video
made from it repeats the offset. Users drive templates with new speech instead. Here the first
60% of every clip (the evaluation's template) is driven by the last 40% of five recordings that
are in sync (DRIVES, other speakers only), and each video's mouth opening is compared with the
real opening of the person who spoke the drive: r at lag 0, the lag where they agree best
(positive: the video's mouth comes late), and how often the mouth stands still in speech (`heygem
eval`'s frozen%; the drives' own real mouths are the reference). Each video's mouthbank uses a
general model trained without the template's speaker and without the drive's (as a user's template
and speech are new to the shipped model; written once into DIR/pairs, ~12 minutes), once with each
of SETTINGS. Only templates at the drives' frame rate take part, so that frames pair one to one.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # score the sources beside this script, not an installed copy

from heygem import pipeline  # noqa: E402
from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis.template import load_or_analyze  # noqa: E402
from heygem.config import Settings  # noqa: E402
from heygem.evaluation.devset import read_list  # noqa: E402
from heygem.evaluation.metrics import pearson  # noqa: E402
from heygem.evaluation.run import frozen_in_speech  # noqa: E402
from heygem.evaluation.split import split_clip  # noqa: E402
from heygem.media.decode import load_audio  # noqa: E402
from heygem.media.encode import reproducible_files  # noqa: E402
from heygem.options import GenerateOptions  # noqa: E402

DRIVES = ("en_man_60s.mp4", "es_woman.mp4", "en_woman_may.mp4", "en_woman_lesson_720p.mp4", "fr_man.mp4")
"""Recordings in sync, at 25 fps and at least 10 s long (so each drive, their last 40%, lasts 4 s or
more): a general model that never heard their speaker agrees best with their real mouth at lag 0
or one frame off, by less than 0.03 of r more than at lag 0 (README, "Templates out of sync")."""
REACH = 6
"""Lags searched either way, frames."""
SETTINGS = (("keep", "template"), ("align", "template"), ("keep", "other"))
"""(template_sync, speaker) compared: the defaults, the template's soundtrack aligned first, and the
speech taken as another person's voice (as it is here)."""


class _Apart(logging.Handler):
    """Whether the plan found the template's picture and sound apart."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen |= "picture seems" in record.getMessage()


def agreement(video: np.ndarray, real: np.ndarray) -> tuple[float, int]:
    """(r at lag 0, the lag with the best r): video[t + lag] against real[t]."""
    n = min(len(video), len(real))
    video, real = video[:n], real[:n]
    r = {lag: pearson(video[max(0, lag): n + min(0, lag)], real[max(0, -lag): n - max(0, lag)])
         for lag in range(-REACH, REACH + 1)}
    return r[0], max(r, key=r.get)


@functools.cache
def _training_clips(devset: Path, cache: Path) -> list:
    import train_mouth_model as training  # beside this script

    return training.load_clips(devset, cache)


def pair_model(folder: Path, devset: Path, cache: Path, template_speaker: str, drive_speaker: str) -> Path:
    """The general model trained as train_mouth_model.py trains it, without both speakers (kept in folder)."""
    import train_mouth_model as training
    from heygem.motion import general

    path = folder / f"{template_speaker}+{drive_speaker}.npz"
    if not path.exists():
        clips = _training_clips(devset, cache)
        shippable = sorted({c.speaker for c in clips if c.shippable} - {template_speaker, drive_speaker})
        folder.mkdir(parents=True, exist_ok=True)
        training.fit_final(clips, general.load().feature_set, shippable)[0].save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--held-out", type=Path, required=True,
                        help="folder for the models trained without two speakers (the training's held-out folder)")
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache",
                        help="data folder for the analyses (the training's own cache)")
    args = parser.parse_args(argv)
    reproducible_files()  # as `heygem eval`: a rerun prints the same numbers
    settings = Settings(data_dir=args.cache)
    entries = read_list(args.devset)
    speaker = {e.file: e.speaker for e in entries}
    apart = _Apart()
    logging.getLogger("heygem.motion").addHandler(apart)
    with tempfile.TemporaryDirectory(prefix="heygem-sync-") as tmp:
        work = Path(tmp)
        splits = {e.file: split_clip(args.devset / e.file, work / Path(e.file).stem) for e in entries}
        drives, speech, real_frozen = {}, {}, []
        for name in DRIVES:
            real = load_or_analyze(args.devset / name, settings)
            first = splits[name].first_truth_frame
            drives[name] = (real.video.fps, real.mouth[first:first + splits[name].truth_frames, 0])
            speech[name] = analyze_audio(load_audio(splits[name].audio, SAMPLE_RATE), real.video.fps)
            own_template = load_or_analyze(splits[name].template, settings)
            real_frozen.append(frozen_in_speech(drives[name][1], speech[name], own_template))
        fps = {f for f, _ in drives.values()}
        (work / "out").mkdir()
        print(f"{'template <- drive':<44} {'apart':>5} " + " ".join(f"{'/'.join(s) + ' r, lag':>22}" for s in SETTINGS))
        rows = []
        for entry in entries:
            split = splits[entry.file]
            template = load_or_analyze(split.template, settings)
            if template.video.fps not in fps:
                continue
            for name, (_, real) in drives.items():
                if speaker[name] == entry.speaker:
                    continue
                weights = str(pair_model(args.held_out / "pairs", args.devset, args.cache, entry.speaker, speaker[name]))
                scores, frozen, apart.seen = [], [], False
                for sync, speech_by in SETTINGS:
                    output = work / "out" / f"{Path(entry.file).stem}-{Path(name).stem}-{sync}-{speech_by}.mp4"
                    options = GenerateOptions(engine="mouthbank", mouth_weights=weights, template_sync=sync,
                                              speaker=speech_by)
                    pipeline.run(split.template, splits[name].audio, output, options, settings)
                    opening = load_or_analyze(output, settings).mouth[:, 0]
                    scores.append(agreement(opening, real))
                    frozen.append(frozen_in_speech(opening, speech[name], template))
                rows.append((entry.file, apart.seen, scores, frozen))
                pair = f"{Path(entry.file).stem[:20]} <- {Path(name).stem[:20]}"
                print(f"{pair:<44} {'yes' if apart.seen else '':>5} " + " ".join(f"{r:16.2f} {lag:+5d}" for r, lag in scores),
                      flush=True)
    for label, chosen in (("all pairs", rows), ("templates apart", [r for r in rows if r[1]])):
        if chosen:
            r = np.mean([[s[0] for s in scores] for _, _, scores, _ in chosen], axis=0)
            lag = np.mean([[abs(s[1]) for s in scores] for _, _, scores, _ in chosen], axis=0)
            frozen = np.nanmean([f for _, _, _, f in chosen], axis=0)
            print(f"{label} ({len(chosen)}): " + ", ".join(
                f"{s} r {a:.3f}, mean |lag| {b:.2f} frames, frozen {c:.1%}"
                for s, a, b, c in zip(map("/".join, SETTINGS), r, lag, frozen)))
    print(f"the drives' real mouths: frozen {np.nanmean(real_frozen):.1%}")
    print("r: the video's mouth opening against the real opening of the drive's speaker at lag 0; lag: where they "
          "agree best (positive: the video's mouth late); apart: the plan found the template's picture and sound "
          "apart; frozen: the share of speech frames where the mouth stands still (heygem eval's frozen%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
