"""The template looped under the new audio, mouth unchanged: the baseline every engine must beat."""

from __future__ import annotations

import numpy as np

from ..types import Box
from .base import Engine, FrameBatch


class LoopEngine(Engine):
    name = "loop"
    description = "template looped with no lip change (baseline for evaluation)"
    needs_face_analysis = False

    def changed_boxes(self, output_indices: np.ndarray, base_indices: np.ndarray) -> list[Box | None]:
        return [None] * len(output_indices)  # nothing changes: every picture goes to the encoder as decoded

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        return batch.frames
