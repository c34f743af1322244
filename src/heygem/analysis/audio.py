"""Driving audio -> per-video-frame loudness and a speech/silence mask."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..types import AudioAnalysis

SAMPLE_RATE = 16000


def frame_count(samples: int, sample_rate: int, fps: Fraction) -> int:
    """Output video frames for this much audio: its duration rounded to whole frames (at least 1)."""
    return max(1, int(round(samples / sample_rate * float(fps))))


def frame_loudness(samples: np.ndarray, sample_rate: int, fps: Fraction, count: int, window_s: float = 0.04) -> np.ndarray:
    """RMS level in dBFS of a window centred on each video frame's midpoint."""
    centres = ((np.arange(count) + 0.5) / float(fps) * sample_rate).astype(np.int64)
    half = int(window_s * sample_rate / 2)
    power = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    lo = np.clip(centres - half, 0, len(samples))
    hi = np.clip(centres + half, 0, len(samples))
    mean = (power[hi] - power[lo]) / np.maximum(hi - lo, 1)
    return (10 * np.log10(mean + 1e-10)).astype(np.float32)


def energy_vad(loudness_db: np.ndarray, floor_db: float = -50.0, margin_db: float = 18.0) -> np.ndarray:
    """Speech where a frame is well above the recording's noise floor (its 10th percentile),
    with gaps shorter than 3 frames closed so words do not flicker shut."""
    noise = float(np.percentile(loudness_db, 10))
    peak = float(np.percentile(loudness_db, 95))
    threshold = max(floor_db, min(noise + margin_db, peak - 12.0))
    speech = loudness_db > threshold
    return _close_gaps(speech, 3)


def _close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    out = mask.copy()
    idx = np.flatnonzero(mask)
    for a, b in zip(idx[:-1], idx[1:]):
        if 1 < b - a <= max_gap + 1:
            out[a:b] = True
    return out


def analyze_audio(samples: np.ndarray, fps: Fraction, sample_rate: int = SAMPLE_RATE) -> AudioAnalysis:
    count = frame_count(len(samples), sample_rate, fps)
    loudness = frame_loudness(samples, sample_rate, fps, count)
    return AudioAnalysis(
        samples=samples,
        sample_rate=sample_rate,
        fps=fps,
        frame_count=count,
        loudness=loudness,
        speech=energy_vad(loudness),
    )
