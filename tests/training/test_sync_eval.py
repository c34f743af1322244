"""The sync evaluation's lag: positive when the video's mouth comes after the real one."""

import numpy as np
from trainingscripts import load


def _script():
    return load("sync_eval")


def test_the_lag_says_how_late_the_videos_mouth_comes():
    real = np.convolve(np.random.default_rng(0).normal(size=300), np.ones(4) / 4, mode="same")
    late = np.concatenate([np.zeros(3), real[:-3]])  # the same mouth, 3 frames later
    r, lag = _script().agreement(late, real)
    assert lag == 3 and r < 0.5
    r, lag = _script().agreement(real[2:], real)  # 2 frames early
    assert lag == -2
    r, lag = _script().agreement(real, real)
    assert lag == 0 and r > 0.999
