"""Speech with white noise a given level below it: a hissy microphone, a fan, a quiet room.

Used by `heygem eval --noise DB`: how the mouth holds up when the new speech is noisy.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..analysis.audio import SAMPLE_RATE, analyze_audio


def with_noise(samples: np.ndarray, snr_db: float, fps: Fraction, seed: int = 0) -> np.ndarray:
    """16 kHz samples plus white noise snr_db below their level while someone speaks (the voice
    activity of analyze_audio at fps), the same noise for the same seed."""
    speech = analyze_audio(samples, fps).speech
    frame = np.minimum((np.arange(len(samples)) * float(fps) / SAMPLE_RATE).astype(np.int64), len(speech) - 1)
    voiced = samples[speech[frame]] if speech.any() else samples
    level = float(np.sqrt(np.mean(voiced.astype(np.float64) ** 2)))
    noise = np.random.default_rng(seed).standard_normal(len(samples))
    return (samples + noise * level * 10 ** (-snr_db / 20)).astype(np.float32)
