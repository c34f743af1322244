"""How the general model's held-out score grows with the number of speakers it learns from.

    python training/speaker_curve.py [--devset ../shared/devset] [--draws 30] [--share 0.5]

Every speaker of the development set is scored (open r, lag 0, mean over their clips) by models
trained on k speakers drawn at random from the shippable ones other than them (DRAWS draws per k;
the shipped features, warped voices and smoothing width; each penalty of PENALTIES), then averaged
over speakers. A power law r(k) = a - b * k^-c fitted to k >= 2 says what more speakers would bring;
the same fit from k <= 8 only is printed beside it, as a check of how far such a fit carries.
--share trains on the first part of each training clip only (fewer minutes per speaker), scoring the
held-out speakers on their whole clips as before.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "training"))

import train_mouth_model as training  # noqa: E402

FEATURES = "mel+phones+ids"
PENALTIES = (10.0, 30.0, 100.0, 300.0)
SMOOTHING_S = 0.08  # the shipped model's width (mouth_general.json)
SIZES = (1, 2, 3, 4, 6, 8, 10, 11)
DRAWS = 30
EXTRAPOLATE = (16, 24, 48, 100)


def held_out_curve(pool: training.Pool, clips: list[training.Clip], train: list[str], sizes, draws: int,
                   rng: np.random.Generator) -> dict[int, dict[float, float]]:
    """k -> penalty -> mean over speakers of their open r, each by models trained on k other
    shippable speakers (the mean over up to `draws` random sets of them)."""
    curve = {}
    for k in sizes:
        per_penalty = {alpha: [] for alpha in PENALTIES}
        for speaker in pool.speakers:
            others = [t for t in train if t != speaker]
            if k > len(others):
                continue
            sets = list(itertools.combinations(others, k))
            picked = [sets[i] for i in rng.choice(len(sets), size=min(draws, len(sets)), replace=False)]
            mine = [c for c in clips if c.speaker == speaker]
            for alpha in PENALTIES:
                per_penalty[alpha].append(np.mean([_score(pool.fit(list(s), alpha), mine) for s in picked]))
        if per_penalty[PENALTIES[0]]:
            curve[k] = {alpha: float(np.mean(scores)) for alpha, scores in per_penalty.items()}
    return curve


def _score(fitted, mine: list[training.Clip]) -> float:
    return float(np.mean([training._r(training._smoothed(training._predict(fitted, c.features[FEATURES]),
                                                         SMOOTHING_S, c.fps)[:, 0], c.targets[:, 0]) for c in mine]))


def first_part(clip: training.Clip, share: float) -> training.Clip:
    """The clip cut to its first `share` of frames (at least one second), to learn from."""
    n = max(round(clip.fps), round(len(clip.targets) * share))
    return replace(clip, targets=clip.targets[:n], features={k: v[:n] for k, v in clip.features.items()},
                   warped={k: [w[:n] for w in v] for k, v in clip.warped.items()}, active=clip.active[:n])


def power_law(sizes, scores) -> tuple[float, float, float]:
    """(a, b, c) of r(k) = a - b * k^-c, least squares."""
    from scipy.optimize import curve_fit

    params, _ = curve_fit(_power, np.asarray(sizes, float), np.asarray(scores, float), p0=(0.5, 0.3, 0.5), maxfev=20000)
    return tuple(float(p) for p in params)


def _power(k, a, b, c):
    return a - b * k ** (-c)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache")
    parser.add_argument("--draws", type=int, default=DRAWS, help="random sets of training speakers per size")
    parser.add_argument("--share", type=float, default=1.0, help="learn from this first share of each clip (0-1]")
    parser.add_argument("--clips", nargs="*", help="only these files of LIST.tsv (a quick check)")
    args = parser.parse_args(argv)
    if not (args.devset / "LIST.tsv").exists():
        parser.error(f"no development set here (LIST.tsv missing): {args.devset}")
    if not 0 < args.share <= 1:
        parser.error(f"--share must lie in (0, 1], not {args.share}")
    clips = training.load_clips(args.devset, args.cache, set(args.clips) if args.clips else None)
    train = sorted({c.speaker for c in clips if c.shippable})
    pool = training.Pool([first_part(c, args.share) for c in clips], FEATURES)
    curve = held_out_curve(pool, clips, train, SIZES, args.draws, np.random.default_rng(0))
    print(f"\nheld-out open r by the number of training speakers ({len(train)} shippable, learning from "
          f"{args.share:.0%} of each clip; {len({c.speaker for c in clips})} speakers scored)")
    print("speakers  " + "  ".join(f"penalty {alpha:>5g}" for alpha in PENALTIES) + "    best")
    best = {k: max(row.values()) for k, row in curve.items()}
    for k, row in curve.items():
        print(f"{k:8d}  " + "  ".join(f"{row[alpha]:13.4f}" for alpha in PENALTIES) + f"  {best[k]:6.4f}")
    fitted = [k for k in best if k >= 2]
    if len(fitted) < 4:
        return 0
    for label, sizes in (("k >= 2", fitted), ("k <= 8", [k for k in fitted if k <= 8])):
        if len(sizes) < 4:
            continue
        a, b, c = power_law(sizes, [best[k] for k in sizes])
        beyond = ", ".join(f"{k}: {_power(k, a, b, c):.3f}" for k in (max(best), *EXTRAPOLATE))
        print(f"power law from {label}: r(k) = {a:.3f} - {b:.3f} k^-{c:.2f}; {beyond}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
