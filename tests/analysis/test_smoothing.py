"""Zero-lag One Euro smoothing on synthetic tracks with a known truth."""

import numpy as np
import pytest

from heygem.analysis.smoothing import RIGID, one_euro, smooth_landmarks

FPS = 25.0


def test_still_face_stops_shimmering(portrait_points):
    rng = np.random.default_rng(0)
    iod = np.linalg.norm(portrait_points[263] - portrait_points[33]) * 0.85
    frames = portrait_points[None] + 0.005 * iod * rng.standard_normal((200, 478, 3))  # 0.5% noise
    smoothed = smooth_landmarks(frames.astype(np.float32), np.ones(200, bool), FPS)
    rigid = [10, 151, 33, 133, 362, 263, 1, 168, 234, 454]
    assert smoothed[10:-10, rigid].std(axis=0).mean() < 0.42 * frames[:, rigid].std(axis=0).mean()
    # each pass alone (causal) already halves it
    causal = one_euro(frames[:, rigid] / iod, FPS, np.full(len(rigid), RIGID.min_cutoff), np.full(len(rigid), RIGID.beta))
    assert causal[10:].std(axis=0).mean() < 0.5 * (frames[:, rigid] / iod).std(axis=0).mean()


def test_fast_mouth_motion_keeps_amplitude_and_timing(portrait_points):
    # A mouth opening and closing 4 times a second (fast syllables) plus landmark noise.
    n = 150
    t = np.arange(n) / FPS
    opening = 0.15 * (1 - np.cos(2 * np.pi * 4 * t)) / 2
    rng = np.random.default_rng(1)
    frames = np.repeat(portrait_points[None], n, axis=0)
    iod = np.linalg.norm(portrait_points[263] - portrait_points[33]) * 0.85
    for index in (14, 87, 317, 17, 84, 314):  # lower lip moves down
        frames[:, index, 1] += opening * iod
    frames += 0.003 * iod * rng.standard_normal(frames.shape)
    smoothed = smooth_landmarks(frames.astype(np.float32), np.ones(n, bool), FPS)
    moved = smoothed[:, 14, 1] - portrait_points[14, 1]
    truth = opening * iod
    lags = {k: np.corrcoef(np.roll(moved, k)[5:-5], truth[5:-5])[0, 1] for k in range(-3, 4)}
    assert max(lags, key=lags.get) == 0
    assert lags[0] > 0.97
    assert np.ptp(moved[10:-10]) == pytest.approx(np.ptp(truth), rel=0.15)
    # while the forehead, which did not move, is held steady
    assert smoothed[5:-5, 10, :2].std(axis=0).max() < 0.5 * frames[:, 10, :2].std(axis=0).max()


def test_frames_without_face_stay_nan_and_split_runs(portrait_points):
    frames = np.repeat(portrait_points[None], 10, axis=0).astype(np.float32)
    frames[4:6] = np.nan
    frames[6:] += 50  # the face reappears elsewhere: no smoothing across the gap
    has_face = np.isfinite(frames[:, 0, 0])
    smoothed = smooth_landmarks(frames, has_face, FPS)
    assert np.isnan(smoothed[4:6]).all()
    np.testing.assert_allclose(smoothed[6:], frames[6:], atol=1e-3)
    np.testing.assert_allclose(smoothed[:4], frames[:4], atol=1e-3)
