"""Train the general speech -> mouth model on the development set, validated leave one speaker out.

    python training/train_mouth_model.py [--devset ../shared/devset]

Per clip: the project's own face analysis gives the mouth descriptor of every frame (cached under
training/.cache, git-ignored, so reruns take seconds), the clip's own soundtrack gives the audio
features at the video frame rate. Each feature set (loudness; + log-mel; + decoded phone classes; + the
phones themselves) is scored leave one speaker out: the ridge penalty and the width of the smoothing
over time are chosen by an inner leave-one-speaker-out on the training speakers only, the held-out
speaker never contributes to anything it is scored with; the opening is also scored once closed in
pauses as jobs close it (row open/p). Training speakers are also heard with
their spectrum warped by WARPS (vocal-tract-length perturbation); held-out speakers are scored on
their real voice.
The best feature set is refitted on every shippable clip and written to
src/heygem/motion/mouth_general.npz, with a record (data list with sha256, settings, validation)
in mouth_general.json beside it.

Shipped weights never see `validate only` clips (non-commercial licence) nor the clips that are
also the project's smoke-test media (../shared/testmedia/video), so the real-media quality tests
measure speakers the model has not heard. Both still count in the validation table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time

# One BLAS thread: the problems are small, and threads fighting over a busy machine cost minutes.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # train the sources beside this script, not an installed copy

from heygem.analysis.mouth import MOUTH_NAMES  # noqa: E402
from heygem.media.digest import file_sha256  # noqa: E402
from heygem.motion.general import CONTEXT, FEATURE_SETS, WEIGHTS, GeneralModel, frame_features  # noqa: E402
from heygem.motion.plan import closed_in_pauses, mouth_active, rest_shape  # noqa: E402
from heygem.motion.smoothing import gaussian_smooth  # noqa: E402
from heygem.types import AudioAnalysis  # noqa: E402

ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
SMOOTHING_S = (0.0, 0.04, 0.06, 0.08, 0.12)
"""Gaussian widths (sigma, seconds) tried for smoothing the predictions over time."""
WARPS = (0.9, 1.1)
"""Frequency-axis scales of the augmented copies of each training clip: voices with a vocal tract
about 10% longer or shorter. 0.9/1.1 and 0.85/0.92/1.08/1.15 validated alike (0.395, 0.393)."""
AUDIO_CACHE_VERSION = 5  # 5: phones decoded in ~15 s pieces; 4: noise phones apart from silence; 3: phones and warped log-mel; 2: a fresh decoder per clip
SEED = 0  # nothing here is random; kept in the record so a future stochastic learner states its seed


@dataclass
class Clip:
    file: str
    speaker: str
    language: str
    use: str
    sha256: str
    shippable: bool
    fps: float
    targets: np.ndarray  # (n, D) descriptors in per-clip standard units
    features: dict[str, np.ndarray]  # feature set -> (n, F)
    warped: dict[str, list[np.ndarray]]  # feature set -> the same features of each WARPS voice (training only)
    active: np.ndarray  # (n,) bool, where a job's mouth would follow the sound (plan.mouth_active)


def _standardise(mouth: np.ndarray) -> np.ndarray:
    """Per-clip z-scores: what the model learns is relative to each person's own range."""
    filled = np.where(np.isfinite(mouth), mouth, np.nanmean(mouth, axis=0))
    filled = np.where(np.isfinite(filled), filled, 0.0)
    return ((filled - filled.mean(axis=0)) / (filled.std(axis=0) + 1e-6)).astype(np.float32)


def _audio(clip: Path, sha256: str, fps: Fraction, cache: Path) -> tuple[AudioAnalysis, np.ndarray, list[np.ndarray]]:
    """The clip's soundtrack analysed at its frame rate, its phone shares, and its log-mel with
    the spectrum warped by each of WARPS (cached)."""
    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio, log_mel, per_video_frame
    from heygem.analysis.phones import phone_shares
    from heygem.media.decode import load_soundtrack

    path = cache / "audio" / f"{sha256}-v{AUDIO_CACHE_VERSION}.npz"
    warp_keys = [f"mel_warp_{w:g}" for w in WARPS]
    if path.exists():
        with np.load(path) as d:
            if all(k in d for k in warp_keys):
                audio = AudioAnalysis(np.zeros(0, np.float32), SAMPLE_RATE, fps, len(d["loudness"]),
                                      d["loudness"], d["speech"], d["features"])
                return audio, d["phones"], [d[k] for k in warp_keys]
    samples = load_soundtrack(clip, SAMPLE_RATE)
    audio = analyze_audio(samples, fps)
    phones = phone_shares(samples, fps, audio.frame_count)
    warped = [per_video_frame(log_mel(samples, warp=w), fps, audio.frame_count) for w in WARPS]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, loudness=audio.loudness, speech=audio.speech, features=audio.features, phones=phones,
             **dict(zip(warp_keys, warped)))
    return audio, phones, warped


def load_clips(devset: Path, cache: Path, only: set[str] | None = None) -> list[Clip]:
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings

    settings = Settings(data_dir=cache)
    smoke = {file_sha256(p) for p in (devset.parent / "testmedia" / "video").glob("*.mp4")}
    rows = list(csv.DictReader(open(devset / "LIST.tsv", encoding="utf-8"), delimiter="\t"))
    clips = []
    for row in rows:
        if only and row["file"] not in only:
            continue
        path = devset / row["file"]
        started = time.perf_counter()
        face = load_or_analyze(path, settings)
        audio, phones, warped_mels = _audio(path, face.sha256, face.video.fps, cache)
        n = min(face.frame_count, audio.frame_count)
        valid = face.has_face[:n] & np.all(np.isfinite(face.mouth[:n, :-1]), axis=1)
        features = {name: frame_features(audio, name, phones)[:n][valid] for name in FEATURE_SETS}
        warped = {name: [frame_features(replace(audio, features=mel), name, phones)[:n][valid] for mel in warped_mels]
                  for name in FEATURE_SETS}
        clips.append(Clip(row["file"], row["speaker"], row["language"], row["use"], face.sha256,
                          shippable=row["use"] == "train+validate" and face.sha256 not in smoke,
                          fps=float(face.video.fps), targets=_standardise(face.mouth[:n][valid]),
                          features=features, warped=warped, active=mouth_active(audio)[:n][valid]))
        print(f"  {row['file']:<28} {valid.sum():5d} frames  {time.perf_counter() - started:5.1f} s", flush=True)
    return clips


class Pool:
    """Per-speaker sufficient statistics of [x, 1] (weighted), so any set of training speakers
    gives its standardised ridge problem without touching the frames again. A speaker's statistics
    hold their real voice and its warped copies."""

    def __init__(self, clips: list[Clip], feature_set: str):
        self.speakers = sorted({c.speaker for c in clips})
        self.gram, self.cross = {}, {}
        for s in self.speakers:
            mine = [c for c in clips if c.speaker == s]
            x = np.concatenate([x for c in mine for x in [c.features[feature_set], *c.warped[feature_set]]]).astype(np.float64)
            y = np.concatenate([c.targets for c in mine for _ in range(1 + len(WARPS))]).astype(np.float64)
            x1 = np.concatenate([x, np.ones((len(x), 1))], axis=1) / np.sqrt(len(x))  # each speaker weighs the same
            self.gram[s], self.cross[s] = x1.T @ x1, x1.T @ (y / np.sqrt(len(x)))

    def fit(self, speakers: list[str], alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights (F+1, D) on standardised features, feature mean, feature std)."""
        a = sum(self.gram[s] for s in speakers)
        b = sum(self.cross[s] for s in speakers)
        total = a[-1, -1]
        mean = a[-1, :-1] / total
        std = np.sqrt(np.maximum(np.diag(a)[:-1] / total - mean**2, 0)) + 1e-6
        t = np.eye(len(a))  # maps [x, 1] to [(x - mean) / std, 1]
        t[:-1, :-1] /= std[:, None]
        t[:-1, -1] = -mean / std
        a, b = t @ a @ t.T, t @ b
        penalty = alpha * total / len(speakers) * np.eye(len(a))  # alpha per speaker-equivalent of data
        penalty[-1, -1] = 0.0
        return np.linalg.solve(a + penalty, b), mean, std


def _predict(fitted, x: np.ndarray) -> np.ndarray:
    weights, mean, std = fitted
    xs = (x - mean) / std
    return np.concatenate([xs, np.ones((len(xs), 1))], axis=1) @ weights


def _r(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _smoothed(predicted: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    return gaussian_smooth(predicted, seconds * fps, axis=0) if seconds > 0 else predicted


def _column_rs(predicted: np.ndarray, targets: np.ndarray) -> list[float]:
    """r of each descriptor column."""
    return [_r(predicted[:, d], targets[:, d]) for d in range(targets.shape[1])]


def _speaker_scores(pool: Pool, clips: list[Clip], feature_set: str, train: list[str], held: list[str], alpha: float) -> dict[str, np.ndarray]:
    """Held-out speaker -> (len(SMOOTHING_S), D) r per smoothing width and descriptor column
    (mean over the speaker's clips)."""
    out = {}
    for s in held:
        fitted = pool.fit([t for t in train if t != s], alpha)
        per_clip = []
        for c in clips:
            if c.speaker == s:
                predicted = _predict(fitted, c.features[feature_set])
                per_clip.append([_column_rs(_smoothed(predicted, w, c.fps), c.targets) for w in SMOOTHING_S])
        out[s] = np.mean(per_clip, axis=0)
    return out


def choose_settings(pool: Pool, clips: list[Clip], feature_set: str, train: list[str]) -> tuple[float, float]:
    """(penalty, smoothing width) with the best mean opening r, leave one speaker out among `train` only."""
    scores = np.array([np.mean([r[:, 0] for r in _speaker_scores(pool, clips, feature_set, train, train, a).values()], axis=0)
                       for a in ALPHAS])  # (alphas, widths)
    a, w = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return ALPHAS[a], SMOOTHING_S[w]


def leave_one_speaker_out(clips: list[Clip], feature_set: str) -> dict:
    """Every speaker scored by a model that never saw them, its settings chosen without them too;
    the opening also once closed in pauses as jobs close it (the rest shape from the predictions'
    own least open fifth: a job's calibration to the person keeps their order)."""
    pool = Pool(clips, feature_set)
    train = sorted({c.speaker for c in clips if c.shippable})
    scores, paused, settings = {}, {}, {}
    for s in pool.speakers:
        inner = [t for t in train if t != s]
        settings[s] = choose_settings(pool, clips, feature_set, inner)
        alpha, width = settings[s]
        fitted = pool.fit(inner, alpha)
        mine = [(c, _smoothed(_predict(fitted, c.features[feature_set]), width, c.fps)) for c in clips if c.speaker == s]
        scores[s] = np.mean([_column_rs(p, c.targets) for c, p in mine], axis=0)
        paused[s] = np.array([np.mean([_r(closed_in_pauses(p, c.active, rest_shape(p))[:, 0], c.targets[:, 0])
                                       for c, p in mine])])
    return {"scores": scores, "closed_in_pauses": paused, "settings": settings}


def summary(clips: list[Clip], scores: dict[str, np.ndarray], column: int = 0) -> dict[str, float]:
    language = {c.speaker: c.language for c in clips}
    out = {"mean": float(np.mean([v[column] for v in scores.values()]))}
    for lang in sorted(set(language.values())):
        out[lang] = float(np.mean([v[column] for s, v in scores.items() if language[s] == lang]))
    return out


def print_table(clips: list[Clip], results: dict[str, dict]) -> None:
    languages = sorted({c.language for c in clips})
    counts = {lang: len({c.speaker for c in clips if c.language == lang}) for lang in languages}
    head = f"{'features':<15} {'column':<7} {'mean':>6} " + " ".join(f"{f'{lang}({counts[lang]})':>7}" for lang in languages)
    print(head)
    print("-" * len(head))
    for name, result in results.items():
        for column in ("open", "width", "round"):
            s = summary(clips, result["scores"], MOUTH_NAMES.index(column))
            print(f"{name:<15} {column:<7} {s['mean']:6.3f} " + " ".join(f"{s[lang]:7.3f}" for lang in languages))
        s = summary(clips, result["closed_in_pauses"])
        print(f"{name:<15} {'open/p':<7} {s['mean']:6.3f} " + " ".join(f"{s[lang]:7.3f}" for lang in languages))
    print("r: Pearson correlation with the real video's descriptor, lag 0, mean over speakers "
          "(each held out of training and of the penalty choice); (n) speakers per language; "
          "open/p: the opening once closed in pauses as jobs close it (motion/plan.py)")


def fit_final(clips: list[Clip], feature_set: str, speakers: list[str]) -> tuple[GeneralModel, float]:
    pool = Pool(clips, feature_set)
    alpha, width = choose_settings(pool, clips, feature_set, speakers)
    weights, mean, std = pool.fit(speakers, alpha)
    model = GeneralModel(feature_set, weights.astype(np.float32), mean.astype(np.float32),
                         std.astype(np.float32), MOUTH_NAMES, width)
    return model, alpha


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache",
                        help="face and audio analysis of the clips (reruns read it)")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="weights file to write (the record goes beside it)")
    parser.add_argument("--clips", nargs="*", help="only these files of LIST.tsv (a quick check)")
    parser.add_argument("--held-out", type=Path,
                        help="also write one model per speaker, trained without that speaker, into this folder "
                             "(for `heygem eval --devset --held-out`)")
    args = parser.parse_args(argv)
    if not (args.devset / "LIST.tsv").exists():
        parser.error(f"no development set here (LIST.tsv missing): {args.devset}")
    np.random.seed(SEED)
    started = time.perf_counter()
    print(f"analysing clips of {args.devset} (cache {args.cache}) ...", flush=True)
    clips = load_clips(args.devset, args.cache, set(args.clips) if args.clips else None)
    shippable = sorted({c.speaker for c in clips if c.shippable})
    if len(shippable) < 3:
        parser.error(f"need at least 3 shippable speakers to validate, found {len(shippable)}")
    results = {name: leave_one_speaker_out(clips, name) for name in FEATURE_SETS}
    print()
    print_table(clips, results)
    best = max(FEATURE_SETS, key=lambda name: summary(clips, results[name]["scores"])["mean"])
    model, alpha = fit_final(clips, best, shippable)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    if args.held_out:
        args.held_out.mkdir(parents=True, exist_ok=True)
        for s in sorted({c.speaker for c in clips}):
            fit_final(clips, best, [t for t in shippable if t != s])[0].save(args.held_out / f"{s}.npz")
    record = {
        "command": "python training/train_mouth_model.py" + (" --clips " + " ".join(args.clips) if args.clips else ""),
        "model": {"kind": "ridge", "feature_set": best, "alpha": alpha, "smoothing_s": model.smoothing_s,
                  "context_frames": list(CONTEXT), "smoothing_grid_s": list(SMOOTHING_S),
                  "augmentation": f"each training clip also with its log-mel filterbank warped by {list(WARPS)}",
                  "targets": list(MOUTH_NAMES), "target_units": "per-clip standard units",
                  "speaker_weighting": "every speaker weighs the same", "seed": SEED,
                  "penalty_grid": list(ALPHAS), "weights_file": args.out.name,
                  "weights_bytes": args.out.stat().st_size},
        "validation": {
            "protocol": "leave one speaker out; penalty and smoothing width chosen by an inner "
                        "leave-one-speaker-out over the training speakers; r of each descriptor column, lag 0, "
                        "mean over the speaker's clips, then over speakers; open_closed_in_pauses: the opening once "
                        "closed in pauses as jobs close it (motion/plan.py closed_in_pauses)",
            "results": {name: {column: summary(clips, res["scores"], MOUTH_NAMES.index(column))
                               for column in ("open", "width", "round")}
                        | {"open_closed_in_pauses": summary(clips, res["closed_in_pauses"])}
                        for name, res in results.items()},
            "per_speaker_open_r": {name: {s: round(float(v[0]), 3) for s, v in res["scores"].items()}
                                   for name, res in results.items()},
            "per_speaker_open_r_closed_in_pauses": {name: {s: round(float(v[0]), 3) for s, v in res["closed_in_pauses"].items()}
                                                    for name, res in results.items()},
        },
        "data": [{"file": c.file, "speaker": c.speaker, "language": c.language, "use": c.use, "sha256": c.sha256,
                  "frames": len(c.targets), "in_shipped_weights": c.shippable} for c in clips],
        "environment": {"python": platform.python_version(), "numpy": np.__version__},
    }
    record_path = args.out.with_suffix(".json")
    record_path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"\nshipped: {best}, alpha {alpha:g}, smoothing {model.smoothing_s:g} s, trained on {len(shippable)} speakers -> {args.out} "
          f"({args.out.stat().st_size / 1024:.0f} KiB), record {record_path.name}; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
