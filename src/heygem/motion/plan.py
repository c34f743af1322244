"""Audio analysis (+ template analysis) -> the per-frame motion plan."""

from __future__ import annotations

import numpy as np

from ..types import AudioAnalysis, MotionPlan


def make_plan(template, audio: AudioAnalysis, base_indices: np.ndarray) -> MotionPlan:
    """The base frame under each output frame and the speech mask; mouth targets are added by
    the motion model when a template analysis is available."""
    return MotionPlan(base_indices=base_indices, speech=audio.speech)
