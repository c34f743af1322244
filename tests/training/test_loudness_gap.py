"""The loudness-gap interval: wide on a few dozen frames, clear of zero where one row plainly wins."""

import numpy as np
from trainingscripts import load


def _smooth_noise(rng, n):
    return np.convolve(rng.normal(size=n + 9), np.ones(10) / 10, mode="valid")


def test_the_interval_holds_a_plain_gap_and_narrows_with_more_frames():
    gap = load("loudness_gap")
    rng = np.random.default_rng(1)
    truth = _smooth_noise(rng, 600)
    rows = {"mouthbank": truth + 0.5 * _smooth_noise(rng, 600), "loudness-only": _smooth_noise(rng, 600)}
    every = gap.gap_draws(rows, truth, 10, np.random.default_rng(0))
    few = gap.gap_draws({k: v[:50] for k, v in rows.items()}, truth[:50], 10, np.random.default_rng(0))
    assert np.percentile(every, 2.5) > 0.3  # the row that follows the mouth wins, surely
    assert np.ptp(np.percentile(few, [2.5, 97.5])) > 2 * np.ptp(np.percentile(every, [2.5, 97.5]))
