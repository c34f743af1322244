"""Audio analysis + template analysis -> the per-frame motion plan (base frame, target mouth)."""

from __future__ import annotations

import logging

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..errors import InputError
from ..types import AudioAnalysis, MotionPlan
from . import mouth_model

log = logging.getLogger("heygem.motion")

MOTIONS = ("learned", "loudness")

LEAD_S = 0.12
"""Lips part this long before a phrase's first sound (anticipation)."""
RELEASE_S = 0.12
"""...and relax for this long after its last sound, instead of snapping shut."""
INHALE_S = 0.6
"""An audible breath this close before a phrase opens the mouth early: people inhale through it."""
BREATH_DB = (12.0, 30.0)
"""An audible (non-speech) sound: this much above the recording's noise floor, and no more than
this much below its speech (digital silence between TTS sentences makes any faint tail "loud")."""
LITTLE_VARIETY = 0.05
"""A template whose mouth opening varies less than this (5th to 95th percentile, inter-ocular
units) barely speaks: its own range cannot show speech."""
SPEAKING_OPENING = 0.12
"""How far above rest a typical mouth opens in loud speech (inter-ocular units), used then."""


def _template_audio(template, fps) -> AudioAnalysis | None:
    """The template's own soundtrack, analysed like the driving audio; None without speech."""
    from ..analysis.audio import SAMPLE_RATE, analyze_audio
    from ..media.decode import load_soundtrack

    if not template.video.has_audio:
        return None
    try:
        return analyze_audio(load_soundtrack(template.video.path, SAMPLE_RATE), fps)
    except InputError as exc:
        log.info("template soundtrack unusable for learning (%s)", exc)
        return None


def _aligned(rows: np.ndarray, count: int) -> np.ndarray:
    """Rows cut or edge-padded to count (audio and video lengths differ by a frame or two)."""
    if len(rows) >= count:
        return rows[:count]
    return np.concatenate([rows, np.repeat(rows[-1:], count - len(rows), axis=0)])


def rest_shape(descriptors: np.ndarray) -> np.ndarray:
    """The closed, relaxed mouth of this person: median of their least open fifth of frames."""
    open_ = descriptors[:, 0]
    return np.nanmedian(descriptors[open_ <= np.nanpercentile(open_, 20)], axis=0)


def mouth_active(audio: AudioAnalysis) -> np.ndarray:
    """Frames where the mouth follows the audio: speech, the moments before and after each phrase,
    and an audible in-breath just before a phrase. Elsewhere it rests closed."""
    speech = audio.speech
    fps = float(audio.fps)
    above_floor, below_speech = BREATH_DB
    speech_level = np.median(audio.loudness[speech]) if speech.any() else np.inf
    audible = audio.loudness > max(np.percentile(audio.loudness, 10) + above_floor, speech_level - below_speech)
    lead, release, inhale = (int(round(seconds * fps)) for seconds in (LEAD_S, RELEASE_S, INHALE_S))
    active = speech.copy()
    starts = np.flatnonzero(speech & ~np.r_[False, speech[:-1]])
    ends = np.flatnonzero(speech & ~np.r_[speech[1:], False]) + 1
    for start, previous_end in zip(starts, np.r_[0, ends[:-1]]):
        earliest = max(previous_end, start - inhale)
        breath = np.flatnonzero(audible[earliest:start])
        opens = earliest + breath[0] if len(breath) else start
        active[max(previous_end, min(opens, start - lead)) : start] = True
    for end in ends:
        active[end : end + release] = True
    return active


def mouth_targets(template, audio: AudioAnalysis, motion: str = "learned", active: np.ndarray | None = None) -> np.ndarray:
    """Target mouth descriptor per output frame; active: mouth_active(audio), if already known."""
    valid = template.has_face & np.all(np.isfinite(template.mouth[:, :-1]), axis=1)
    descriptors = template.mouth[valid]
    descriptors = np.where(np.isfinite(descriptors), descriptors, np.nanmean(descriptors, axis=0))
    model = None
    if motion == "learned":
        own = _template_audio(template, audio.fps)
        if own is not None:
            n = template.frame_count
            features = _aligned(mouth_model.audio_features(own.features, own.loudness, own.speech), n)
            model = mouth_model.fit(features, template.mouth, valid)  # fit fills missing teeth values
        if model is None:
            log.warning("template has too little visible speech to learn from; mouth follows loudness")
    if model is not None:
        targets = model.predict(mouth_model.audio_features(audio.features, audio.loudness, audio.speech))
    else:
        targets = mouth_model.loudness_targets(audio.loudness, audio.speech, descriptors)
    low, high = np.percentile(descriptors, 1, axis=0), np.percentile(descriptors, 99, axis=0)
    targets = np.clip(targets, low, high)
    rest = rest_shape(descriptors)
    if np.ptp(np.percentile(descriptors[:, 0], [5, 95])) < LITTLE_VARIETY:
        log.info("the template barely moves its mouth: the closest real mouths are opened by warping, following loudness")
        targets[:, 0] = rest[0] + SPEAKING_OPENING * mouth_model.loudness_rank(audio.loudness, audio.speech)
    # Close the mouth in pauses: fully where it is not active, easing over the neighbouring
    # active frames instead of snapping.
    active = (mouth_active(audio) if active is None else active).astype(np.float32)
    speaking = np.minimum(active, gaussian_filter1d(active, 1.0))[:, None]
    targets = speaking * targets + (1 - speaking) * rest
    return gaussian_filter1d(targets, 0.7, axis=0).astype(np.float32)


def make_plan(template, audio: AudioAnalysis, base_indices: np.ndarray, motion: str = "learned") -> MotionPlan:
    """The base frame under each output frame, where the mouth follows the audio, and (with a
    template analysis) the target mouth descriptor of each output frame."""
    if motion not in MOTIONS:
        raise InputError(f"unknown motion model {motion!r}; choose from {', '.join(MOTIONS)}")
    active = mouth_active(audio)
    targets = None if template is None else mouth_targets(template, audio, motion, active)
    return MotionPlan(base_indices=base_indices, mouth_targets=targets, mouth_active=active)
