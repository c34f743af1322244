"""The subtitles step of one generation: cues made before rendering, captions burned into each
rendered batch, the subtitle file written once the video is complete."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..options import SUBTITLE_MODES
from . import formats
from .cues import Cue, build_cues
from .timing import phrases_for

log = logging.getLogger("heygem.subtitles")


class SubtitleStep:
    """One job's subtitles: its cues, and the burner that draws them when they are burned in."""

    def __init__(self, mode: str, cues: list[Cue], burner=None):
        self.mode, self.cues, self.burner = mode, cues, burner

    @classmethod
    def prepare(cls, mode: str, script: str | None, audio: str | os.PathLike[str], samples: np.ndarray,
                width: int, height: int, fps: float) -> SubtitleStep | None:
        """None for mode "none"; else the job's cues (and, for "burn", a font that can draw them).

        Raises InputError for an unknown mode or audio whose words cannot be timed without a script.
        """
        if mode not in SUBTITLE_MODES:
            raise InputError(f"subtitles must be one of {', '.join(SUBTITLE_MODES)}, got {mode!r}")
        if mode == "none":
            return None
        cues = build_cues(phrases_for(audio, samples, script))
        log.info("subtitles: %d cues", len(cues))
        burner = None
        if mode == "burn":
            from .burn import CaptionBurner

            burner = CaptionBurner(cues, width, height, fps)
        return cls(mode, cues, burner)

    def burn(self, frames: list[np.ndarray], output_indices: np.ndarray) -> list[np.ndarray]:
        """Rendered frames with their captions drawn in ("burn"), else unchanged."""
        return frames if self.burner is None else self.burner.burn(frames, output_indices)

    def write(self, video: str | os.PathLike[str]) -> Path:
        """Write the subtitle file beside the finished video."""
        path = formats.sidecar_path(video, self.mode)
        assert path is not None
        fmt = formats.sidecar_format(self.mode)
        assert fmt is not None
        return formats.write(self.cues, path, fmt)
