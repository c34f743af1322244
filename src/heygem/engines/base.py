"""The small interface every lip-sync engine implements.

Life cycle for one job: `Engine(device, options)` -> `prepare(job, progress, should_cancel)` once
-> `render(batch)` for each batch of base frames, in output order -> `release()`. The pipeline owns
decoding and encoding; an engine only turns base frames into finished frames.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Mapping

import numpy as np

from ..config import Settings
from ..types import AudioAnalysis, CancelCheck, MotionPlan, ProgressCallback, VideoInfo, never_cancel, no_progress

if TYPE_CHECKING:
    from ..analysis.template import TemplateAnalysis


@dataclass(frozen=True)
class RenderJob:
    """Everything an engine may use for one output video."""

    video: VideoInfo  # the template, as normalised frames
    template: TemplateAnalysis | None  # None for engines that need no face analysis
    audio: AudioAnalysis
    plan: MotionPlan


@dataclass(frozen=True)
class FrameBatch:
    """Consecutive output frames: their indices, the template frame under each, and its pixels."""

    output_indices: np.ndarray  # (b,) int
    base_indices: np.ndarray  # (b,) int, template frame index per output frame
    frames: list[np.ndarray]  # b RGB uint8 arrays (height, width, 3)


class Engine(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    needs_face_analysis: ClassVar[bool] = True

    @classmethod
    def unavailable_reason(cls, settings: Settings, options: Mapping[str, str]) -> str | None:
        """None when the engine can run here, else what is missing and how to provide it."""
        return None

    def __init__(self, device: str, settings: Settings, options: Mapping[str, str]):
        self.device = device
        self.settings = settings
        self.options = dict(options)

    def prepare(self, job: RenderJob, progress: ProgressCallback = no_progress,
                should_cancel: CancelCheck = never_cancel) -> None:
        """Per-job set-up (e.g. choose donor frames, load a model); called once before the first
        render(). Long set-up (a first use of a template) reports through `progress` and asks
        `should_cancel` between steps, raising JobCanceled when it says yes."""
        self.job = job

    @abstractmethod
    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        """Finished RGB frames, one per input frame, same size."""

    def mouth_sources(self) -> np.ndarray | None:
        """(frames,) the template frame whose mouth each output frame shows, for engines that reuse
        real mouths; None for others. Valid after prepare()."""
        return None

    def release(self) -> None:
        """Free models and device memory; the engine is not used again."""
