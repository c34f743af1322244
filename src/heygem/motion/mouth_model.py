"""Audio -> mouth shape, learned in seconds from the template itself.

The template shows the person speaking, so its frames give free (audio features -> mouth
descriptor) pairs. A ridge regression on per-utterance normalised log-mel features with about
+-120 ms of context maps any new voice (another speaker, TTS, another language) onto this
person's own range of mouth shapes. With no usable template speech it falls back to a
speaker-independent mapping from loudness.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("heygem.motion")

CONTEXT = (-3, -2, -1, 0, 1, 2, 3)
"""Video-frame offsets stacked into each feature row: the mouth moves before and after its sound."""
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)


def normalise_utterance(mel: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Per-band mean/variance normalisation over speech frames, so voice and microphone drop out."""
    ref = mel[speech] if speech.sum() >= 10 else mel
    mean, std = ref.mean(axis=0), ref.std(axis=0) + 1e-3
    # Pool bands in pairs: 20 smoother bands generalise better from a few seconds of training data.
    z = (mel - mean) / std
    z = z[:, : z.shape[1] // 2 * 2].reshape(len(z), -1, 2).mean(axis=2)
    return z.astype(np.float32)


def loudness_feature(loudness: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Loudness relative to the utterance's speech level, clipped: 0 at speech median, -1 ~ silence."""
    ref = float(np.median(loudness[speech])) if speech.any() else float(np.percentile(loudness, 90))
    return np.clip((loudness - ref) / 20.0, -1.5, 0.5).astype(np.float32)


def context_stack(rows: np.ndarray) -> np.ndarray:
    """(n, F) -> (n, F * len(CONTEXT)) with edge padding."""
    n = len(rows)
    idx = np.clip(np.arange(n)[:, None] + np.array(CONTEXT)[None, :], 0, n - 1)
    return rows[idx].reshape(n, -1)


def audio_features(mel: np.ndarray, loudness: np.ndarray, speech: np.ndarray) -> np.ndarray:
    frame = np.concatenate([normalise_utterance(mel, speech), loudness_feature(loudness, speech)[:, None]], axis=1)
    return context_stack(frame)


@dataclass(frozen=True)
class MouthModel:
    weights: np.ndarray  # (F + 1, D), last row the bias
    target_mean: np.ndarray  # (D,)
    target_std: np.ndarray  # (D,)
    gain: np.ndarray  # (D,) restores the range ridge shrinks away
    score: float  # cross-validated mean correlation of the "open" column (diagnostic)

    def predict(self, features: np.ndarray) -> np.ndarray:
        x = np.concatenate([features, np.ones((len(features), 1), np.float32)], axis=1)
        z = x @ self.weights
        z = (z - z.mean(axis=0)) * self.gain + z.mean(axis=0)
        return (z * self.target_std + self.target_mean).astype(np.float32)


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    x1 = np.concatenate([x, np.ones((len(x), 1), x.dtype)], axis=1)
    reg = alpha * np.eye(x1.shape[1])
    reg[-1, -1] = 0.0  # do not shrink the bias
    return np.linalg.solve(x1.T @ x1 + reg, x1.T @ y)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation, 0 for a constant series (a column the template never varies)."""
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _blocked_folds(n: int, k: int = 5) -> list[np.ndarray]:
    """Contiguous blocks: neighbouring frames are near copies, so random folds would overfit."""
    return [b for b in np.array_split(np.arange(n), k) if len(b)]


def fit(features: np.ndarray, targets: np.ndarray, valid: np.ndarray) -> MouthModel | None:
    """Learn audio features -> mouth descriptors on the template frames where valid (face seen).
    None when there is too little data to learn from."""
    x, y = features[valid].astype(np.float64), targets[valid].astype(np.float64)
    y = np.where(np.isfinite(y), y, np.nanmean(y, axis=0))
    if len(x) < 40:
        return None
    mean, std = y.mean(axis=0), y.std(axis=0) + 1e-6
    z = (y - mean) / std
    folds = _blocked_folds(len(x))
    best = (-np.inf, ALPHAS[0], None)
    for alpha in ALPHAS:
        predicted = np.zeros_like(z)
        for fold in folds:
            train = np.setdiff1d(np.arange(len(x)), fold)
            w = _ridge(x[train], z[train], alpha)
            predicted[fold] = np.concatenate([x[fold], np.ones((len(fold), 1))], axis=1) @ w
        scores = [_pearson(predicted[:, d], z[:, d]) for d in range(z.shape[1])]
        score = float(np.nanmean(scores))
        if score > best[0]:
            best = (score, alpha, predicted)
    score, alpha, predicted = best
    weights = _ridge(x, z, alpha)
    fitted = np.concatenate([x, np.ones((len(x), 1))], axis=1) @ weights
    gain = np.clip(z.std(axis=0) / (fitted.std(axis=0) + 1e-6), 1.0, 2.0)
    open_score = _pearson(predicted[:, 0], z[:, 0])
    log.info("mouth model: ridge alpha %g, cross-validated r(open) %.2f, mean r %.2f", alpha, open_score, score)
    return MouthModel(weights.astype(np.float32), mean.astype(np.float32), std.astype(np.float32),
                      gain.astype(np.float32), open_score)


def loudness_targets(loudness: np.ndarray, speech: np.ndarray, descriptors: np.ndarray) -> np.ndarray:
    """Speaker-independent fallback (and evaluation baseline): the template's mouth shape at the
    same loudness rank, i.e. louder -> more open, using the template's own descriptor range."""
    order = np.argsort(descriptors[:, 0])
    level = loudness_feature(loudness, speech)
    rank = np.clip((level + 1.0) / 1.5, 0.0, 1.0) * speech
    return descriptors[order[np.round(rank * (len(order) - 1)).astype(int)]]
