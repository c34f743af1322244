"""Log-mel features: each 10 ms frame's own spectrum, whatever the blocks it is computed in."""

from __future__ import annotations

import numpy as np

from heygem.analysis import audio
from heygem.analysis.audio import HOP, N_FFT, SAMPLE_RATE, WINDOW, log_mel


def noise(seconds: float) -> np.ndarray:
    return (np.random.default_rng(0).standard_normal(int(seconds * SAMPLE_RATE)) * 0.1).astype(np.float32)


def test_a_frame_is_the_log_mel_of_its_own_window():
    samples = noise(3.3)
    features = log_mel(samples, block=120)
    padded = np.pad(samples, (WINDOW // 2, WINDOW // 2 + HOP))
    for k in (0, 119, 120, 200, len(features) - 1):
        spectrum = np.abs(np.fft.rfft(padded[k * HOP:k * HOP + WINDOW] * np.hanning(WINDOW), n=N_FFT)) ** 2
        expected = np.log(spectrum @ audio._mel_filters().T + 1e-8)
        assert np.allclose(features[k], expected, atol=1e-3)


def test_the_fft_groups_change_no_value(monkeypatch):
    samples = noise(7.01)
    features = log_mel(samples, block=300)
    for rows in (7, 250, 10_000):
        monkeypatch.setattr(audio, "FFT_ROWS", rows)
        assert np.array_equal(log_mel(samples, block=300), features)
