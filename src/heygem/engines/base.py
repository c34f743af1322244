"""The small interface every lip-sync engine implements.

Life cycle for one job: `Engine(device, options)` -> `prepare(job, progress, should_cancel)` once
-> `render(batch)` for each batch of base frames, in output order -> `release()`. The pipeline owns
decoding and encoding; an engine only turns base frames into finished frames.

An engine that knows in advance where it changes a frame (a lip-sync engine: the lower face) says
so in `changed_boxes`; the pipeline then converts only those boxes of the decoded pictures to RGB
and back, and hands `render` just the boxes (`FrameBatch.origins` says where each lies), skipping
frames it leaves as they are. Whole frames are rendered when a later step needs them (a new
background, burned subtitles), for pictures the encoder cannot take as decoded, and for engines
that cannot tell; render() serves both with the same code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Mapping

import numpy as np

from ..config import Settings
from ..types import AudioAnalysis, Box, CancelCheck, MotionPlan, ProgressCallback, VideoInfo, never_cancel, no_progress

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
    """Output frames in order: their indices, the template frame under each, and its pixels: whole
    frames, or (with `origins`) the box of each that changed_boxes named, on even coordinates."""

    output_indices: np.ndarray  # (b,) int
    base_indices: np.ndarray  # (b,) int, template frame index per output frame
    frames: list[np.ndarray]  # b RGB uint8 arrays (height, width, 3), read-only
    origins: np.ndarray | None = None  # (b, 2) int: where each of `frames` starts (x, y) in its whole frame; None: whole frames

    def origin(self, k: int) -> tuple[int, int]:
        """Where frames[k] starts in its whole frame (x, y): coordinates from the template analysis
        (whole-frame pixels) minus this are pixels of frames[k]."""
        return (0, 0) if self.origins is None else (int(self.origins[k, 0]), int(self.origins[k, 1]))


class Engine(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    needs_face_analysis: ClassVar[bool] = True
    follows_mouth_targets: ClassVar[bool] = True
    """Whether render() shows the motion plan's target mouths (the general mouth model's output). An
    engine that hears the audio itself (Wav2Lip) says no, and the pipeline skips that model and its
    phone decoding (~3 s of CPU per minute of speech)."""

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

    def changed_boxes(self, output_indices: np.ndarray, base_indices: np.ndarray) -> list[Box | None] | None:
        """Per output frame, a box (whole-frame pixels) holding every pixel render() may change in
        it, or None where it leaves the frame as it is; None instead of a list (the default) when
        the engine cannot tell before rendering. Asked right before render() is given the frames
        with a box, so an engine may keep what it worked out here for render()."""
        return None

    @abstractmethod
    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        """Finished RGB frames (or boxes), one per input, same size; an input left unchanged may
        come back as the same array, which saves converting it back."""

    def mouth_sources(self) -> np.ndarray | None:
        """(frames,) the template frame whose mouth each output frame shows, for engines that reuse
        real mouths; None for others. Valid after prepare()."""
        return None

    def release(self) -> None:
        """Free models and device memory; the engine is not used again."""
