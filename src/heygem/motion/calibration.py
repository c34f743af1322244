"""Person calibration: the general model's standard units -> this person's own mouth descriptors.

The general model says "more open than usual, rounder than usual" in units shared by all people.
Quantile matching turns that into this person's numbers: the q-th quantile of the model's output
over the template's own speech becomes the q-th quantile of the template's real mouths, column
by column. The mapping is monotone (more open stays more open) and never leaves the range of
mouths the template really shows, so the engine always finds real mouths to show. Speech in
another voice than the template's is calibrated from its own output instead, by mean and spread
(linear_match, plan._another_voice).
The model's output is an average over what the sound may mean, so it also moves more smoothly than
a real mouth; match_motion gives its syllable-rate movement back the size this person's has.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from .smoothing import gaussian_smooth

log = logging.getLogger("heygem.motion")

LEVELS = np.linspace(0.0, 1.0, 51)
"""Quantiles matched: every 2%, enough for a smooth curve from a few seconds of template."""


@dataclass(frozen=True)
class Calibration:
    predicted: np.ndarray  # (k, D) model outputs, increasing per column (quantile_match: its quantiles)
    person: np.ndarray  # (k, D) the person's descriptors they map onto (quantile_match: the same quantiles)

    def apply(self, predicted: np.ndarray) -> np.ndarray:
        """(n, D) model output -> (n, D) descriptors in this person's range."""
        return np.stack([np.interp(predicted[:, d], self.predicted[:, d], self.person[:, d])
                         for d in range(predicted.shape[1])], axis=1).astype(np.float32)


def quantile_match(predicted: np.ndarray, descriptors: np.ndarray) -> Calibration:
    """Calibration from model outputs and real descriptors of the same person (rows need not pair:
    only the two distributions are matched). NaN descriptors (e.g. teeth unseen) are ignored."""
    model_q = np.quantile(predicted, LEVELS, axis=0)
    person_q = np.stack([np.nanquantile(descriptors[:, d], LEVELS) if np.isfinite(descriptors[:, d]).any()
                         else np.zeros(len(LEVELS)) for d in range(descriptors.shape[1])], axis=1)
    # np.interp needs strictly increasing x: ties (a flat stretch of outputs) get a tiny slope.
    model_q = np.maximum.accumulate(model_q + 1e-6 * np.arange(len(LEVELS))[:, None], axis=0)
    return Calibration(model_q.astype(np.float64), person_q.astype(np.float64))


def linear_match(predicted: np.ndarray, descriptors: np.ndarray) -> Calibration:
    """Calibration that moves and scales the model's output onto the person's mean and spread,
    column by column, held within the range of their real mouths (np.interp holds the ends). For
    speech in another voice: a few seconds of template often hold clumps of near-equal mouths, and
    the quantile map sends every "more open than usual" onto such a clump, so the mouth stands still
    through a phrase (README, "Another voice"). Same arguments as quantile_match."""
    with warnings.catch_warnings():  # a column the template never shows (all NaN) maps onto 0
        warnings.simplefilter("ignore", RuntimeWarning)
        person_mean, person_spread = np.nanmean(descriptors, axis=0), np.nanstd(descriptors, axis=0)
        low, high = np.nanmin(descriptors, axis=0), np.nanmax(descriptors, axis=0)
    person_mean, person_spread, low, high = (np.nan_to_num(v) for v in (person_mean, person_spread, low, high))
    mean, spread = predicted.mean(axis=0), predicted.std(axis=0)
    # the model's outputs that land on the person's lowest and highest mouth
    scale = spread / np.maximum(person_spread, 1e-9)
    ends = np.stack([mean + (low - person_mean) * scale, mean + (high - person_mean) * scale])
    ends = np.stack([np.minimum(ends[0], mean - 1e-6), np.maximum(ends[1], mean + 1e-6)])  # np.interp: increasing
    return Calibration(ends.astype(np.float64), np.stack([low, high]).astype(np.float64))


FAST_S = 0.08
"""Movement faster than a Gaussian of this width (in seconds) smooths away, about 2 Hz and up:
syllables rather than phrases."""
MAX_MOTION_GAIN = 3.0
"""The planned fast movement is at most tripled: part of it is the model's guessing."""


def _fast(values: np.ndarray, fps: float) -> np.ndarray:
    return values - gaussian_smooth(values, FAST_S * fps, axis=0)


def match_motion(targets: np.ndarray, active: np.ndarray, opening: np.ndarray, speaking: np.ndarray,
                 fps: float) -> np.ndarray:
    """targets (n, D) with their fast movement scaled so that the opening's moves, over the active
    frames, as much as this person's real opening (the template's, NaN where unseen) moves while
    they speak (speaking: those template frames); never scaled down. Measured on the development
    set's planned mouths, the shipped model's output moved a third as much from frame to frame as
    the real mouths, and stood still for 0.4 s or more in 8% of the speech (the real mouths in
    6%)."""
    seen = np.isfinite(opening)
    if not active.any() or (speaking & seen).sum() < 3:
        return targets
    frames = np.arange(len(opening))
    real = _fast(np.interp(frames, frames[seen], opening[seen]), fps)[speaking & seen].std()
    fast = _fast(targets.astype(np.float64), fps)
    planned = fast[active[:len(targets)], 0].std()
    if planned == 0 or real <= planned:
        return targets
    gain = min(real / planned, MAX_MOTION_GAIN)
    log.info("syllable-rate mouth movement scaled by %.2f to match this person's", gain)
    return (targets + (gain - 1.0) * fast).astype(np.float32)
