"""Audio -> mouth shape, learned in seconds from the template itself.

The template shows the person speaking, so its frames give free (audio features -> mouth
descriptor) pairs. Two learners share per-utterance normalised log-mel features with about
+-120 ms of context, so any new voice (another speaker, TTS, another language) maps onto this
person's own range of mouth shapes: a ridge regression (smooth, linear) and a nearest-neighbour
lookup of the template moments that sounded most alike (non-linear, robust with few seconds of
data); their weighted average beat either alone on held-out speech. With no usable template speech it
falls back to a speaker-independent mapping from loudness.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("heygem.motion")

CONTEXT = (-3, -2, -1, 0, 1, 2, 3)
"""Video-frame offsets stacked into each feature row: the mouth moves before and after its sound."""
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
NEIGHBOURS = 16
NEIGHBOUR_WEIGHT = 0.7
"""Share of the neighbour lookup in the combined estimate (the ridge regression has the rest)."""


def normalise_utterance(mel: np.ndarray, speech: np.ndarray, pool_bands: bool = True) -> np.ndarray:
    """Per-band mean/variance normalisation over speech frames, so voice and microphone drop out."""
    ref = mel[speech] if speech.sum() >= 10 else mel
    mean, std = ref.mean(axis=0), ref.std(axis=0) + 1e-3
    z = (mel - mean) / std
    if pool_bands:  # bands in pairs: 20 smoother bands generalise better from a few seconds of training data
        z = z[:, : z.shape[1] // 2 * 2].reshape(len(z), -1, 2).mean(axis=2)
    return z.astype(np.float32)


def loudness_feature(loudness: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Loudness relative to the utterance's speech level, clipped: 0 at speech median, -1 ~ silence."""
    ref = float(np.median(loudness[speech])) if speech.any() else float(np.percentile(loudness, 90))
    return np.clip((loudness - ref) / 20.0, -1.5, 0.5).astype(np.float32)


def loudness_rank(loudness: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """0 (near silence) .. 1 (well above the speech median): how open loudness alone would say."""
    return np.clip((loudness_feature(loudness, speech) + 1.0) / 1.5, 0.0, 1.0)


def context_stack(rows: np.ndarray, offsets: tuple[int, ...] = CONTEXT) -> np.ndarray:
    """(n, F) -> (n, F * len(offsets)) with edge padding."""
    n = len(rows)
    idx = np.clip(np.arange(n)[:, None] + np.array(offsets)[None, :], 0, n - 1)
    return rows[idx].reshape(n, -1)


def audio_features(mel: np.ndarray, loudness: np.ndarray, speech: np.ndarray) -> np.ndarray:
    frame = np.concatenate([normalise_utterance(mel, speech), loudness_feature(loudness, speech)[:, None]], axis=1)
    return context_stack(frame)


@dataclass(frozen=True)
class MouthModel:
    weights: np.ndarray  # (F + 1, D), last row the bias
    train_features: np.ndarray  # (N, F) standardised template features, for the neighbour lookup
    train_targets: np.ndarray  # (N, D) standardised template descriptors
    feature_mean: np.ndarray
    feature_std: np.ndarray
    target_mean: np.ndarray  # (D,)
    target_std: np.ndarray  # (D,)
    score: float  # cross-validated correlation of the "open" column (diagnostic)

    def predict(self, features: np.ndarray) -> np.ndarray:
        z = _combine(_ridge_predict(self.weights, features),
                     _neighbours(self.train_features, self.train_targets, (features - self.feature_mean) / self.feature_std))
        # Averaging two estimates shrinks the motion; restore the template's own range.
        centre = z.mean(axis=0)
        z = (z - centre) * np.clip(1.0 / (z.std(axis=0) + 1e-6), 1.0, 2.5) + centre
        return (z * self.target_std + self.target_mean).astype(np.float32)


def _combine(ridge: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    return (1 - NEIGHBOUR_WEIGHT) * ridge + NEIGHBOUR_WEIGHT * neighbours


def _ridge_predict(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, np.ones((len(x), 1), x.dtype)], axis=1) @ weights


def _neighbours(train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Inverse-distance weighted mean of the targets of the k most similar training rows."""
    k = min(k, len(train_x))
    out = np.empty((len(x), train_y.shape[1]))
    sq_train = (train_x**2).sum(axis=1)
    for start in range(0, len(x), 1024):  # chunks keep memory flat for long audio
        rows = x[start : start + 1024]
        d = np.maximum((rows**2).sum(axis=1)[:, None] + sq_train[None, :] - 2 * rows @ train_x.T, 0)
        idx = np.argpartition(d, k - 1, axis=1)[:, :k]
        w = 1.0 / (np.take_along_axis(d, idx, axis=1) / x.shape[1] + 1e-3)
        out[start : start + 1024] = (train_y[idx] * w[..., None]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    return out


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge weights with an unpenalised bias (last row). Centring x and y takes the bias out;
    with fewer rows than features (a short template) the n x n form gives the same solution at a
    fraction of the cost (125 rows by ~500 features: ~1 ms instead of ~70)."""
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    if len(x) < x.shape[1]:
        w = xc.T @ np.linalg.solve(xc @ xc.T + alpha * np.eye(len(x)), yc)
    else:
        w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
    return np.concatenate([w, (y_mean - x_mean @ w)[np.newaxis]])


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
    from threadpoolctl import threadpool_limits

    x, y = features[valid].astype(np.float64), targets[valid].astype(np.float64)
    y = np.where(np.isfinite(y), y, np.nanmean(y, axis=0))
    if len(x) < 40:
        return None
    mean, std = y.mean(axis=0), y.std(axis=0) + 1e-6
    z = (y - mean) / std
    x_mean, x_std = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = (x - x_mean) / x_std
    folds = _blocked_folds(len(x))
    # Many small solves: BLAS threads cost more than they give, and where the other core is busy
    # (the pipeline decodes phones meanwhile) they wait on each other, ~0.5 ms -> ~60 ms a solve.
    with threadpool_limits(limits=1, user_api="blas"):
        # Cross-validated predictions for every alpha; each column keeps the alpha it predicts best with.
        predicted = np.zeros((len(ALPHAS),) + z.shape)
        for a, alpha in enumerate(ALPHAS):
            for fold in folds:
                train = np.setdiff1d(np.arange(len(x)), fold)
                predicted[a, fold] = _ridge_predict(_ridge(x[train], z[train], alpha), x[fold])
        scores = np.array([[_pearson(p[:, d], z[:, d]) for d in range(z.shape[1])] for p in predicted])
        best = np.argmax(scores, axis=0)
        weights = np.stack([_ridge(x, z[:, d], ALPHAS[best[d]]) for d in range(z.shape[1])], axis=1)
    combined = predicted[best[0], :, 0].copy()  # the diagnostic score is that of the combined "open"
    for fold in folds:
        train = np.setdiff1d(np.arange(len(x)), fold)
        combined[fold] = _combine(combined[fold], _neighbours(xs[train], z[train, :1], xs[fold])[:, 0])
    score = _pearson(combined, z[:, 0])
    log.info("mouth model: %d template frames, ridge alpha %g for opening, cross-validated r(open) %.2f",
             len(x), ALPHAS[best[0]], score)
    return MouthModel(weights.astype(np.float32), xs.astype(np.float32), z.astype(np.float32),
                      x_mean.astype(np.float32), x_std.astype(np.float32),
                      mean.astype(np.float32), std.astype(np.float32), score)


def loudness_targets(loudness: np.ndarray, speech: np.ndarray, descriptors: np.ndarray) -> np.ndarray:
    """Speaker-independent fallback (and evaluation baseline): the template's mouth shape at the
    same loudness rank, i.e. louder -> more open, using the template's own descriptor range."""
    order = np.argsort(descriptors[:, 0])
    rank = loudness_rank(loudness, speech) * speech
    return descriptors[order[np.round(rank * (len(order) - 1)).astype(int)]]
