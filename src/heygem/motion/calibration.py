"""Person calibration: the general model's standard units -> this person's own mouth descriptors.

The general model says "more open than usual, rounder than usual" in units shared by all people.
Quantile matching turns that into this person's numbers: the q-th quantile of the model's output
over the template's own speech becomes the q-th quantile of the template's real mouths, column
by column. The mapping is monotone (more open stays more open) and never leaves the range of
mouths the template really shows, so the engine always finds real mouths to show. Speech in
another voice than the template's is matched from its own output instead (plan._another_voice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS = np.linspace(0.0, 1.0, 51)
"""Quantiles matched: every 2%, enough for a smooth curve from a few seconds of template."""


@dataclass(frozen=True)
class Calibration:
    predicted: np.ndarray  # (len(LEVELS), D) quantiles of the model's output, increasing per column
    person: np.ndarray  # (len(LEVELS), D) the same quantiles of the person's real descriptors

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
