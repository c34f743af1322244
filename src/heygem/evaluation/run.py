"""`heygem eval`: per clip, generate the held-out part from its own audio and score it.

The first 60% of a real clip is the template; the last 40% is ground truth: its audio drives the
generation and its frames say how the mouth really moved. Baselines in the same table: the
template looped with no mouth change, and the mouth driven by loudness alone.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .. import pipeline
from ..analysis.audio import SAMPLE_RATE, analyze_audio
from ..analysis.template import load_or_analyze
from ..config import Settings
from ..media.decode import VideoSource, load_audio
from ..motion.plan import mouth_active
from ..motion.timeline import ping_pong
from ..options import GenerateOptions
from . import darkband, metrics
from .sheet import contact_sheet
from .split import split_clip

log = logging.getLogger("heygem.evaluation")

METHODS = {
    "mouthbank": GenerateOptions(engine="mouthbank"),
    "loudness-only": GenerateOptions(engine="mouthbank", motion="loudness"),
    "looped template": GenerateOptions(engine="loop"),
}


@dataclass(frozen=True)
class Row:
    clip: str
    method: str
    scores: metrics.Scores


def _psnr_above_nose(output: Path, template: Path, template_analysis, count: int) -> float:
    base_order = ping_pong(template_analysis.frame_count, count)
    sse, pixels = 0.0, 0
    with VideoSource(output) as generated, VideoSource(template) as base:
        for i, (g, b) in enumerate(zip(generated.read(0, count), base.read_indices(base_order))):
            if template_analysis.has_face[base_order[i]]:
                s, n = metrics.above_nose_psnr(g, b, template_analysis.landmarks[base_order[i]])
                sse, pixels = sse + s, pixels + n
    return metrics.psnr(sse, pixels)


CLOSED_PERCENTILE = 25
"""A mouth counts as closed below this percentile of the person's own openings."""


def closed_in_silence(opening: np.ndarray, drive, template_analysis, min_pause_s: float = 0.2) -> float:
    """Share of silent frames (no speech, no breath, not just before a phrase; in pauses of at
    least min_pause_s) whose opening is below the template's CLOSED_PERCENTILE; nan without any."""
    silent = ~mouth_active(drive)[: len(opening)]
    runs = np.split(np.arange(len(silent)), np.flatnonzero(np.diff(silent)) + 1)
    shortest = max(1, int(round(min_pause_s * float(drive.fps))))
    pauses = np.concatenate([r for r in runs if silent[r[0]] and len(r) >= shortest] or [np.array([], int)])
    closed_below = np.nanpercentile(template_analysis.mouth[:, 0], CLOSED_PERCENTILE)
    return float(np.mean(opening[pauses] < closed_below)) if len(pauses) else float("nan")


STILL_S = 0.4
"""A mouth that keeps the same opening this long while the voice goes on looks frozen: speech moves
the lips several times in that span (4-5 syllables a second)."""
STILL_SHARE = 0.1
"""Openings this close, as a share of the person's range (the template's 5th-95th percentile), count
as the same."""


def frozen_in_speech(opening: np.ndarray, drive, template_analysis) -> float:
    """Share of speech frames that lie in a stretch of STILL_S of unbroken speech over which the
    opening stays within STILL_SHARE of the person's range; nan without such a stretch of speech."""
    speech = drive.speech[: len(opening)]
    width = max(2, int(round(STILL_S * float(drive.fps))))
    if len(speech) < width:
        return float("nan")
    windows = np.lib.stride_tricks.sliding_window_view(opening[: len(speech)], width)
    spoken = np.lib.stride_tricks.sliding_window_view(speech, width).all(axis=1)
    if not spoken.any():
        return float("nan")
    spread = np.subtract(*np.nanpercentile(template_analysis.mouth[:, 0], [95, 5]))
    still = spoken & (np.ptp(windows, axis=1) < STILL_SHARE * spread)  # a frame without a face is never still
    frozen = np.convolve(still, np.ones(width), "full")[: len(speech)] > 0  # frames inside any still window
    covered = np.convolve(spoken, np.ones(width), "full")[: len(speech)] > 0
    return float(frozen[covered].mean())


def score_output(output: Path, template: Path, settings: Settings, drive, truth=None, judge=None) -> metrics.Scores:
    """Scores of one generated video; truth: the real frames' rows (Truth), if known; judge: a
    second landmarker (judge.py) that scores the opening too, where truth has its openings."""
    template_analysis = load_or_analyze(template, settings)
    generated = load_or_analyze(output, settings)
    count = generated.frame_count if truth is None else min(generated.frame_count, len(truth.mouth))
    g_open = generated.mouth[:count, 0]
    closed = closed_in_silence(g_open, drive, template_analysis)
    frozen = frozen_in_speech(g_open, drive, template_analysis)
    judged = float("nan")
    if truth is not None:
        r_open = metrics.pearson(g_open, truth.mouth[:count, 0])
        distance = metrics.lip_distance(generated.landmarks[:count], truth.landmarks[:count])
        jitter = metrics.jitter(generated.landmarks[:count]) / metrics.jitter(truth.landmarks[:count])
        offset = metrics.av_offset(g_open, truth.mouth[:count, 0])
        if judge is not None and truth.judged is not None:
            judged = metrics.pearson(judge.openings(output, 0, count), truth.judged[:count])
    else:  # cross-driving: no real video of these words; compare with the audio and the template
        r_open = metrics.pearson(g_open, drive.loudness[:count])
        distance = float("nan")
        jitter = metrics.jitter(generated.landmarks[:count]) / metrics.jitter(template_analysis.landmarks)
        offset = 0
    return metrics.Scores(
        open_r=r_open,
        lip_distance=distance,
        closed_in_silence=closed,
        above_nose_psnr=_psnr_above_nose(output, template, template_analysis, count),
        jitter_ratio=jitter,
        av_offset=offset,
        open_r_dlib=judged,
        frozen_in_speech=frozen,
    )


@dataclass(frozen=True)
class Truth:
    landmarks: np.ndarray
    mouth: np.ndarray
    judged: np.ndarray | None = None  # the judge's openings of the same frames


def evaluate_clip(clip: Path, work: Path, settings: Settings, methods=METHODS, noise_db: float | None = None,
                  judge=None) -> list[Row]:
    """noise_db: white noise this far below the speech added to the driving audio (see split_clip);
    judge: a second landmarker (judge.py) that also scores every row's opening."""
    folder = work / clip.stem
    split = split_clip(clip, folder, noise_db=noise_db)
    real = load_or_analyze(clip, settings)
    rows = slice(split.first_truth_frame, split.first_truth_frame + split.truth_frames)
    truth = Truth(real.landmarks[rows], real.mouth[rows])
    if judge is not None:
        truth = replace(truth, judged=judge.openings(clip, rows.start, rows.stop))
        log.info("%s: %s and the face mesh agree on the real opening, r=%.2f", clip.stem, judge.name,
                 metrics.pearson(truth.judged, truth.mouth[:, 0]))
    drive = analyze_audio(load_audio(split.audio, SAMPLE_RATE), real.video.fps)
    template = load_or_analyze(split.template, settings)
    # The real frames as a reference row: how closed this person's mouth really is in silence.
    out = [Row(clip.stem, "real video (reference)", metrics.Scores(
        open_r=1.0, lip_distance=0.0, closed_in_silence=closed_in_silence(truth.mouth[:, 0], drive, template),
        above_nose_psnr=float("nan"), jitter_ratio=1.0, av_offset=0,
        open_r_dlib=1.0 if judge is not None else float("nan"),
        frozen_in_speech=frozen_in_speech(truth.mouth[:, 0], drive, template)))]
    for method, options in methods.items():
        output = folder / f"{method.replace(' ', '-')}.mp4"
        result = pipeline.run(split.template, split.audio, output, options, settings)
        scores = score_output(output, split.template, settings, drive, truth, judge)
        if result.mouth_sources is not None:
            bands = darkband.check_render(output, load_or_analyze(output, settings), split.template, template,
                                          result.mouth_sources, folder / f"dark-bands-{method.replace(' ', '-')}")
            scores = replace(scores, dark_bands=bands.share)
            log.info("%s %s: worst dark bands (excess, frame, donor): %s", clip.stem, method,
                     [(round(v, 2), i, d) for v, i, d in bands.worst])
        out.append(Row(clip.stem, method, scores))
        log.info("%s %s: %s", clip.stem, method, out[-1].scores)
    contact_sheet(clip, split.first_truth_frame, folder / "mouthbank.mp4", truth.landmarks, folder / "contact_sheet.png")
    return out


def cross_drive(clip: Path, audios: list[Path], work: Path, settings: Settings) -> list[Row]:
    """The whole clip as template, driven by other speech (other languages, other voices: told so,
    as a user would)."""
    rows = []
    for audio in audios:
        output = work / clip.stem / f"cross-{audio.stem}.mp4"
        output.parent.mkdir(parents=True, exist_ok=True)
        pipeline.run(clip, audio, output, replace(METHODS["mouthbank"], speaker="other"), settings)
        drive = analyze_audio(load_audio(audio, SAMPLE_RATE), load_or_analyze(clip, settings).video.fps)
        rows.append(Row(clip.stem, f"driven by {audio.stem}", score_output(output, clip, settings, drive)))
    return rows


def mean_rows(rows: list[Row]) -> list[Row]:
    methods = dict.fromkeys(r.method for r in rows)
    out = []
    for method in methods:
        group = [asdict(r.scores) for r in rows if r.method == method]
        with warnings.catch_warnings():  # a column no clip has (e.g. dark bands of the looped template) stays nan
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = {k: float(np.nanmean([g[k] for g in group])) for k in group[0]}
        mean["av_offset"] = int(round(mean["av_offset"]))
        out.append(Row("mean", method, metrics.Scores(**mean)))
    return out


def format_table(rows: list[Row]) -> str:
    """One line per row; the dlib column only when a judge scored some row."""
    judged = any(np.isfinite(r.scores.open_r_dlib) for r in rows)
    head = (f"{'clip':<26} {'method':<26} {'open r':>7} {'lip dist':>8} {'closed%':>8} {'frozen%':>8} {'PSNR>nose':>9} "
            f"{'jitter':>7} {'offset':>6} {'dark%':>6}")
    head += f" {'dlib r':>7}" if judged else ""
    lines = [head, "-" * len(head)]
    for r in rows:
        s = r.scores
        lines.append(
            f"{r.clip:<26} {r.method:<26} {s.open_r:7.2f} {s.lip_distance:8.3f} {100 * s.closed_in_silence:7.0f}% "
            f"{100 * s.frozen_in_speech:7.0f}% "
            f"{s.above_nose_psnr:9.1f} {s.jitter_ratio:7.2f} {s.av_offset:6d} {100 * s.dark_bands:5.1f}%"
            + (f" {s.open_r_dlib:7.2f}" if judged else "")
        )
    return "\n".join(lines)
