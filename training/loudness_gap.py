"""How sure is a clip's gap to the loudness-only row of `heygem eval --devset`?

    python training/loudness_gap.py EVAL_OUT [--judge dlib] [clip ...]

Reads what `heygem eval --devset --out EVAL_OUT` left (each clip's mouthbank.mp4 and
loudness-only.mp4), measures their openings and those of the real clip's judged frames, and
resamples the judged frames in blocks of BLOCK_S (neighbouring frames move together) for a 95%
interval on r(mouthbank) - r(loudness-only), and the share of draws below -0.10 (the quality target:
"never more than 0.10 below"). A clip judged on a few dozen frames cannot show such a gap either way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from heygem.analysis.template import load_or_analyze  # noqa: E402
from heygem.config import Settings  # noqa: E402
from heygem.evaluation.judge import JUDGES  # noqa: E402
from heygem.evaluation.metrics import pearson  # noqa: E402
from heygem.evaluation.split import template_cut  # noqa: E402

BLOCK_S = 0.4
DRAWS = 5000
MARGIN = 0.10
ROWS = ("mouthbank", "loudness-only")


def openings(video: Path, settings: Settings, judge, start: int = 0, stop: int | None = None) -> np.ndarray:
    if judge is not None:
        return judge.openings(video, start, stop)
    return load_or_analyze(video, settings).mouth[start:stop, 0]


def gap_draws(rows: dict[str, np.ndarray], truth: np.ndarray, block: int, rng: np.random.Generator) -> np.ndarray:
    n = len(truth)
    draws = np.empty(DRAWS)
    for i in range(DRAWS):
        starts = rng.integers(0, n - block + 1, size=-(-n // block))
        idx = (starts[:, None] + np.arange(block)).ravel()[:n]
        draws[i] = pearson(rows[ROWS[0]][idx], truth[idx]) - pearson(rows[ROWS[1]][idx], truth[idx])
    return draws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the --out folder of a `heygem eval --devset` run")
    parser.add_argument("clips", nargs="*", help="clip names (default: every clip folder in OUT)")
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--judge", choices=sorted(JUDGES), help="measure with this landmarker instead of the face mesh")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache", help="face analysis cache")
    args = parser.parse_intermixed_args(argv)
    settings = Settings(data_dir=args.cache)
    judge = JUDGES[args.judge]() if args.judge else None
    names = args.clips or sorted(p.name for p in args.out.iterdir() if (p / f"{ROWS[0]}.mp4").exists())
    rng = np.random.default_rng(0)
    print(f"{'clip':<24} {'frames':>6} {'mouthbank':>9} {'loudness':>9} {'gap':>6}  95% interval   P(gap < -{MARGIN:g})")
    for name in names:
        clip = args.devset / f"{name}.mp4"
        real = load_or_analyze(clip, settings)
        start = template_cut(real.frame_count)
        truth = openings(clip, settings, judge, start, real.frame_count)
        rows = {row: openings(args.out / name / f"{row}.mp4", settings, judge) for row in ROWS}
        n = min(len(truth), *(len(v) for v in rows.values()))
        truth, rows = truth[:n], {k: v[:n] for k, v in rows.items()}
        r = {k: pearson(v, truth) for k, v in rows.items()}
        draws = gap_draws(rows, truth, max(1, round(BLOCK_S * float(real.video.fps))), rng)
        low, high = np.percentile(draws, [2.5, 97.5])
        print(f"{name:<24} {n:6d} {r[ROWS[0]]:9.2f} {r[ROWS[1]]:9.2f} {r[ROWS[0]] - r[ROWS[1]]:+6.2f}  "
              f"{low:+.2f} .. {high:+.2f}   {np.mean(draws < -MARGIN):.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
