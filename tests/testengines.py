"""Engines for tests: real Engine subclasses that need no face, so the pipeline and queue can be
tested on tiny synthetic media."""

from __future__ import annotations

import os
import time
from collections import Counter

import cv2
import numpy as np

from heygem.engines.base import Engine, FrameBatch
from heygem.engines.mouthbank.engine import MouthBankEngine


class MarkEngine(Engine):
    """Paints a square whose brightness follows the audio loudness (proves audio reaches frames)."""

    name = "test-mark"
    description = "test engine: loudness square"
    needs_face_analysis = False

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        out = []
        for index, frame in zip(batch.output_indices, batch.frames):
            level = np.clip((self.job.audio.loudness[index] + 60) / 60, 0, 1)
            frame = frame.copy()
            frame[:16, :16] = int(level * 255)
            out.append(frame)
        return out


class SlowEngine(MarkEngine):
    """MarkEngine that takes `delay` seconds per batch, for cancel and crash tests."""

    name = "test-slow"
    delay = 0.2

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        time.sleep(float(self.options.get("delay", self.delay)))
        return super().render(batch)


class FailingEngine(MarkEngine):
    name = "test-fail"

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        raise RuntimeError("engine exploded on purpose")


class WrongSizeEngine(MarkEngine):
    """Returns frames half the template's size: the encoder must refuse them."""

    name = "test-wrong-size"

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        return [np.ascontiguousarray(frame[::2, ::2]) for frame in batch.frames]


class WholeFrameMouthBank(MouthBankEngine):
    """The default engine without saying where it changes frames: the pipeline gives it whole frames."""

    name = "test-mouthbank-whole"

    def changed_boxes(self, output_indices, base_indices):
        return None


class BoxCountingMouthBank(MouthBankEngine):
    """The default engine, counting the frames it is given as boxes and as whole frames (in `given`,
    shared by all instances: the pipeline makes its own), and noting OpenCV's threads meanwhile."""

    name = "test-mouthbank-counting"
    given: Counter = Counter()
    opencv_threads: set[int] = set()  # cv2.getNumThreads() while rendering
    niceness: set[int] = set()  # the rendering thread's scheduling priority (Linux: per thread)

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        self.given["whole" if batch.origins is None else "boxes"] += len(batch.frames)
        self.opencv_threads.add(cv2.getNumThreads())
        self.niceness.add(os.getpriority(os.PRIO_PROCESS, 0))  # Linux: of the calling thread
        return super().render(batch)


class AudioDrivenEngine(Engine):
    """Like Wav2Lip: needs the face analysis, hears the audio itself, never the plan's target mouths.
    Keeps the job it was prepared with (in `jobs`) and leaves frames as they are."""

    name = "test-audio-driven"
    description = "test engine: face analysis without target mouths"
    follows_mouth_targets = False
    jobs: list = []

    def prepare(self, job, progress=None, should_cancel=None) -> None:
        super().prepare(job)
        self.jobs.append(job)

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        return batch.frames
