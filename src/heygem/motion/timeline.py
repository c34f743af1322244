"""Which template frame lies under each output frame."""

from __future__ import annotations

import numpy as np


def ping_pong(template_frames: int, output_frames: int) -> np.ndarray:
    """Template frame index per output frame: forward, then backward, then forward ... so a
    template shorter than the audio loops without a jump cut; a longer one is cut."""
    if template_frames <= 0:
        raise ValueError("template has no frames")
    if template_frames == 1:
        return np.zeros(output_frames, dtype=np.int64)
    period = 2 * (template_frames - 1)
    phase = np.arange(output_frames) % period
    return np.where(phase < template_frames, phase, period - phase).astype(np.int64)
