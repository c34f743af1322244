"""The general speech -> mouth model: speaker- and language-independent, trained on many people.

A ridge regression from the sound around each video frame (per-utterance normalised log-mel,
loudness, the voice-activity mask, the decoder's mouth-shape classes and phones, stacked over +-5
frames) to the mouth descriptor in per-person standard units: "how far above this person's usual
opening, width, roundness ...", followed by a short gaussian smoothing over time (its width in
seconds chosen by the same validation: frame-by-frame predictions shake more than real lips).
Training adds each clip again with its voice's spectrum stretched and squeezed (vocal-tract-length
perturbation), so the model has heard more kinds of voices than the development set holds.
`training/train_mouth_model.py` fits it on the development set, validated leave one speaker out,
and writes the weights shipped next to this file (`mouth_general.npz`) with a record of the data
and the validation (`mouth_general.json`). Person calibration (calibration.py) turns its standard
units into this person's own mouths.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..types import AudioAnalysis
from . import mouth_model
from .smoothing import gaussian_smooth

log = logging.getLogger("heygem.motion")

WEIGHTS = Path(__file__).with_name("mouth_general.npz")
FEATURE_SETS = ("loudness", "mel", "mel+phones", "mel+phones+ids")
"""What a model may listen to: loudness and voice activity; + log-mel; + decoded mouth-shape
classes (visemes); + the decoded phones themselves."""
CONTEXT = tuple(range(-5, 6))
"""Video frames stacked around each frame (+-200 ms at 25 fps): speakers differ in whether the
mouth leads or lags its sound, and coarticulation spans neighbouring phones. +-5 validated
better than +-3 (leave one speaker out, mean r of opening 0.366 vs 0.350); +-7 and +-9 added
nothing (0.364, 0.357 vs 0.362)."""


def frame_features(audio: AudioAnalysis, feature_set: str, phones: np.ndarray | None = None) -> np.ndarray:
    """(frame_count, F) context-stacked features of one utterance; phones: phone_shares() of the
    audio if already decoded (else audio.phones; else it is decoded here when the feature set needs it)."""
    columns = [mouth_model.loudness_feature(audio.loudness, audio.speech)[:, None], audio.speech[:, None]]
    if feature_set != "loudness":
        # All 40 bands: trained on many speakers, unpooled bands validated better than pairs (0.375 vs 0.368).
        columns.append(mouth_model.normalise_utterance(audio.features, audio.speech, pool_bands=False))
    if feature_set.startswith("mel+phones"):
        from ..analysis.phones import phone_shares, visemes_of

        phones = audio.phones if phones is None else phones
        if phones is None:
            phones = phone_shares(audio.samples, audio.fps, audio.frame_count)
        columns.append(visemes_of(phones))
        if feature_set == "mel+phones+ids":
            columns.append(phones)
    return mouth_model.context_stack(np.concatenate(columns, axis=1).astype(np.float32), CONTEXT)


@dataclass(frozen=True)
class GeneralModel:
    feature_set: str
    weights: np.ndarray  # (F + 1, D), last row the bias; on standardised features
    feature_mean: np.ndarray  # (F,)
    feature_std: np.ndarray  # (F,)
    names: tuple[str, ...]  # descriptor columns predicted, in order (analysis.mouth.MOUTH_NAMES)
    smoothing_s: float = 0.0  # gaussian sigma over time applied to the predictions, seconds

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        """(n, D) predicted descriptors in per-person standard units, before smoothing over time."""
        x = (features - self.feature_mean) / self.feature_std
        return (np.concatenate([x, np.ones((len(x), 1), x.dtype)], axis=1) @ self.weights).astype(np.float32)

    def smooth(self, predicted: np.ndarray, fps: float) -> np.ndarray:
        """Predictions of consecutive frames at fps, smoothed over time as validated."""
        if self.smoothing_s <= 0 or len(predicted) < 2:
            return predicted
        return gaussian_smooth(predicted, self.smoothing_s * fps, axis=0).astype(np.float32)

    def predict(self, audio: AudioAnalysis) -> np.ndarray:
        return self.smooth(self.predict_features(frame_features(audio, self.feature_set)), float(audio.fps))

    def save(self, path: Path, **extra: np.ndarray) -> None:
        np.savez_compressed(path, feature_set=self.feature_set, weights=self.weights.astype(np.float32),
                            feature_mean=self.feature_mean.astype(np.float32),
                            feature_std=self.feature_std.astype(np.float32), names=np.array(self.names),
                            smoothing_s=np.float32(self.smoothing_s), **extra)


def load(path: Path | None = None) -> GeneralModel:
    """The model in `path`, by default the one shipped with the package."""
    return _load(Path(path) if path is not None else WEIGHTS)


@lru_cache(maxsize=4)
def _load(path: Path) -> GeneralModel:
    from ..errors import EngineUnavailable

    try:
        with np.load(path, allow_pickle=False) as data:
            smoothing = float(data["smoothing_s"]) if "smoothing_s" in data else 0.0  # files from before smoothing
            return GeneralModel(str(data["feature_set"]), data["weights"], data["feature_mean"],
                                data["feature_std"], tuple(str(n) for n in data["names"]), smoothing)
    except (OSError, KeyError, ValueError) as exc:
        raise EngineUnavailable(f"the general mouth model cannot be read ({exc}): {path}; "
                                "reinstall heygem or retrain it with training/train_mouth_model.py") from exc
