"""Plain data passed between stages: frozen dataclasses, numpy arrays, no magic keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in 0..1, stage message such as "rendering 120/300")."""
CancelCheck = Callable[[], bool]
"""Asked between units of long work; True means stop now (by raising errors.JobCanceled)."""
Box = tuple[int, int, int, int]
"""A rectangle of a frame: x0, y0, x1, y1 in pixels of the whole frame (x1 and y1 exclusive)."""


def no_progress(fraction: float, message: str) -> None:
    """The ProgressCallback of a caller that does not follow progress."""


def never_cancel() -> bool:
    """The CancelCheck of a caller that never cancels."""
    return False


@dataclass(frozen=True)
class VideoInfo:
    """A video as the pipeline sees it: size after normalisation, constant frame rate."""

    path: Path
    width: int  # after rotation, downscaling to 1080p and rounding to even
    height: int
    fps: Fraction  # constant output rate (a variable-rate input is resampled to its average)
    frame_count: int  # frames at that constant rate
    codec: str
    source_width: int  # as stored in the file, before rotation
    source_height: int
    rotation: int  # degrees counter-clockwise applied to display the stored frames
    has_audio: bool

    @property
    def duration(self) -> float:
        return self.frame_count / float(self.fps)


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    duration: float
    sample_rate: int
    channels: int
    codec: str


@dataclass(frozen=True)
class AudioAnalysis:
    """Driving audio reduced to what the motion stage needs, one row per output video frame."""

    samples: np.ndarray  # float32 mono at sample_rate
    sample_rate: int
    fps: Fraction
    frame_count: int  # output video frames: the audio's duration rounded to whole frames
    loudness: np.ndarray  # (frame_count,) RMS in dBFS
    speech: np.ndarray  # (frame_count,) bool, voice activity
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # (frame_count, F)
    phones: np.ndarray | None = None  # (frame_count, phones) phones.phone_shares, when decoded ahead


@dataclass(frozen=True)
class MotionPlan:
    """Per output frame: which template frame is the base, and what the mouth should look like."""

    base_indices: np.ndarray  # (n,) int, template frame shown under each output frame
    mouth_targets: np.ndarray | None = None  # (n, D) target mouth descriptors, None when the engine decides
    mouth_active: np.ndarray | None = None  # (n,) bool, the mouth follows the audio (else rests closed)

    @property
    def frame_count(self) -> int:
        return len(self.base_indices)


@dataclass(frozen=True)
class GenerateResult:
    output: Path
    frames: int
    fps: Fraction
    seconds: float  # wall time of the whole run
    device: str
    engine: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Seconds per stage that ran (names in pipeline.py's doc); decode, the render thread's steps
    and encode run at the same time, so their sum can exceed `seconds`."""
    subtitles: Path | None = None
    """The .srt/.vtt written beside the output, when subtitles were asked for."""
    mouth_sources: np.ndarray | None = None
    """(frames,) int: the template frame whose mouth each output frame shows (engines that reuse
    real mouths; None for others): checks compare a render with the mouth it came from."""

    @property
    def render_fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0
