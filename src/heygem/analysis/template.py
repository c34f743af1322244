"""Template analysis, computed once per template file and cached under <data>/templates/<sha256>/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Settings
from ..media.decode import VideoSource
from ..types import ProgressCallback, VideoInfo

ANALYSIS_VERSION = 1
"""Bump when anything that changes the cached arrays changes; stale caches are recomputed."""


@dataclass(frozen=True)
class TemplateAnalysis:
    """Per template frame: where the face is, how the head is turned, what the mouth looks like.

    Rows follow the normalised constant-rate frames of `VideoSource.read()`. Frames without a face
    have has_face False and NaN in the geometric arrays (the render passes them through unchanged).
    """

    video: VideoInfo
    sha256: str
    cache_dir: Path
    """<data>/templates/<sha256>/: engines may store their own per-template data here."""
    has_face: np.ndarray
    """(n,) bool"""
    landmarks: np.ndarray
    """(n, 478, 3) float32 MediaPipe face-mesh points (468 mesh + 10 iris): x, y in pixels of the
    normalised frames, z in the same pixel scale (towards the camera is negative, as in MediaPipe);
    temporally smoothed; NaN where no face."""
    boxes: np.ndarray
    """(n, 4) float32 x0, y0, x1, y1 face box in pixels (extent of the landmarks); NaN where no face."""
    pose: np.ndarray
    """(n, 3) float32 yaw, pitch, roll in degrees (0, 0, 0 = frontal, upright); NaN where no face."""
    mouth: np.ndarray
    """(n, D) float32 mouth descriptors, columns named by mouth_names (see analysis.mouth)."""
    mouth_names: tuple[str, ...]

    @property
    def frame_count(self) -> int:
        return len(self.has_face)


def load_or_analyze(
    source: VideoSource | str | Path,
    settings: Settings,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> TemplateAnalysis:
    """The template's analysis: from the cache when present and current, else computed and cached.

    Raises NoFaceError when no frame shows a face, JobCanceled when should_cancel() turns true.
    """
    raise NotImplementedError("template analysis is being written (issue 3)")
