"""Measures of a generated video against the real one, with the project's own landmarker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.pose import align
from ..render.geometry import UNDER_NOSE_CHAIN

LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
        78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
"""Outer and inner lip contours (MediaPipe face mesh)."""


@dataclass(frozen=True)
class Scores:
    open_r: float  # Pearson r of mouth opening, generated vs real
    lip_distance: float  # mean lip landmark distance, inter-ocular units
    closed_in_silence: float  # share of silent frames with the mouth closed (nan without silence)
    above_nose_psnr: float  # dB, generated vs base frames above the nostrils
    jitter_ratio: float  # mouth landmark jerkiness, generated / real
    av_offset: int  # frames; lag of best agreement between generated and real opening
    dark_bands: float = float("nan")  # share of frames with a thin dark band the donor mouth lacks (darkband.py)
    open_r_dlib: float = float("nan")  # open_r as dlib's landmarks see both videos (judge.py; eval --judge dlib)
    frozen_in_speech: float = float("nan")  # share of speech frames where the mouth stands still (run.frozen_in_speech)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) < 1e-9 or np.std(b[ok]) < 1e-9:
        return 0.0
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def lip_distance(generated: np.ndarray, real: np.ndarray) -> float:
    """Mean distance of lip points after each face is aligned to its own frontal frame
    (unit: inter-ocular distance), centred on the lips so head position drops out."""
    g, r = align(generated)[:, LIPS, :2], align(real)[:, LIPS, :2]
    g = g - g.mean(axis=1, keepdims=True)
    r = r - r.mean(axis=1, keepdims=True)
    return float(np.nanmean(np.linalg.norm(g - r, axis=-1)))


def jitter(landmarks: np.ndarray) -> float:
    """Mean size of the second temporal difference of aligned lip points (frame-to-frame shake)."""
    lips = align(landmarks)[:, LIPS, :2]
    return float(np.nanmean(np.linalg.norm(np.diff(lips, n=2, axis=0), axis=-1)))


def av_offset(generated_open: np.ndarray, real_open: np.ndarray, max_lag: int = 5) -> int:
    """Lag (frames) where generated opening agrees best with the real one; + means generated is late."""
    lags = range(-max_lag, max_lag + 1)
    scores = [pearson(generated_open[max(0, lag): len(generated_open) + min(0, lag)],
                      real_open[max(0, -lag): len(real_open) + min(0, -lag)]) for lag in lags]
    return int(list(lags)[int(np.argmax(scores))])


def above_nose_psnr(generated: np.ndarray, base: np.ndarray, base_landmarks: np.ndarray) -> tuple[float, int]:
    """(sum of squared error, pixel count) of the rows above the nostrils in one frame."""
    top = int(np.floor(np.nanmin(base_landmarks[list(UNDER_NOSE_CHAIN), 1]))) - 1
    if top <= 0:
        return 0.0, 0
    diff = generated[:top].astype(np.float64) - base[:top].astype(np.float64)
    return float((diff**2).sum()), diff.size


def psnr(sse: float, count: int) -> float:
    if count == 0:
        return float("nan")
    mse = sse / count
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))
