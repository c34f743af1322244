"""The default engine: for every output frame, a real mouth from the template itself.

The template shows this person speaking, so it holds real images of their mouth in many shapes
(teeth and lips at full resolution). Each output frame shows the template frame whose mouth best
matches what the audio needs (motion plan + donor choice), aligned to the base frame's face and
blended in below the nose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...errors import InputError, NoFaceError
from ...render.composite import Placement, composite
from ...render.geometry import lower_face_polygon
from ...render.lipwarp import effective_shift, parting_row
from ...types import Box, CancelCheck, ProgressCallback, never_cancel, no_progress
from ..base import Engine, FrameBatch, RenderJob
from .bank import load_or_build
from .donors import choose_donors

if TYPE_CHECKING:
    from ...analysis.template import TemplateAnalysis


class MouthBankEngine(Engine):
    name = "mouthbank"
    description = "real mouths from the template itself, chosen by the audio (no model weights needed)"

    def prepare(self, job: RenderJob, progress: ProgressCallback = no_progress,
                should_cancel: CancelCheck = never_cancel) -> None:
        super().prepare(job, progress, should_cancel)
        template = self.template = _template(job)
        usable = template.has_face & np.all(np.isfinite(template.mouth[:, :-1]), axis=1)
        if not usable.any():
            raise NoFaceError(f"no frame with a measurable mouth in the template: {job.video.path}")
        self.donors = choose_donors(
            job.plan.mouth_targets, template.mouth, template.pose, usable, job.plan.base_indices
        )
        # The chosen mouth is opened or closed the rest of the way to the wanted opening: a pixel
        # or two for a good match, more for a template with little mouth variety.
        self.lip_shifts = effective_shift(job.plan.mouth_targets[:, 0], template.mouth[self.donors, 0], job.plan.mouth_active)
        self.bank = load_or_build(template, progress, should_cancel)
        self.partings: dict[int, np.ndarray] = {}  # donor -> where its mouth parts: the same each time it is shown
        self.placed: dict[int, Placement] = {}  # output frame -> its placement, from changed_boxes() until render()
        self.polygons: dict[int, np.ndarray] = {}  # template frame -> its lower_face_polygon, used again and again

    def _changes(self, index: int, base_index: int) -> bool:
        """Whether output frame `index` (over template frame `base_index`) gets another mouth: not
        where there is no face, nor where the base frame already has the one wanted."""
        donor, shift = int(self.donors[index]), float(self.lip_shifts[index])
        return bool(self.template.has_face[base_index]) and (donor != base_index or shift != 0)

    def changed_boxes(self, output_indices: np.ndarray, base_indices: np.ndarray) -> list[Box | None]:
        landmarks, frame = self.template.landmarks, (0, 0, self.job.video.width, self.job.video.height)
        boxes: list[Box | None] = []
        for index, base_index in zip(output_indices, base_indices):
            box = None
            if self._changes(index, base_index):
                donor = int(self.donors[index])
                place = Placement.of(landmarks[base_index], landmarks[donor], self._polygon(int(base_index)),
                                      self._polygon(donor))
                box = place.box(frame)
                if box is not None:  # render() gets this frame and needs the placement again
                    self.placed[int(index)] = place
            boxes.append(box)
        return boxes

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        template = self.template
        out = []
        for k, (index, base_index, frame) in enumerate(zip(batch.output_indices, batch.base_indices, batch.frames)):
            if not self._changes(index, base_index):
                out.append(frame)
                continue
            donor, shift = int(self.donors[index]), float(self.lip_shifts[index])
            crop, origin = np.asarray(self.bank.crops[donor]), self.bank.origins[donor].astype(np.float64)
            if shift and donor not in self.partings:
                self.partings[donor] = parting_row(crop, template.landmarks[donor][:, :2] - origin)
            out.append(composite(
                frame, template.landmarks[base_index], crop, origin, template.landmarks[donor], shift,
                self.partings.get(donor), batch.origin(k), self.placed.pop(int(index), None),
            ))
        return out

    def _polygon(self, frame: int) -> np.ndarray:
        if frame not in self.polygons:
            self.polygons[frame] = lower_face_polygon(self.template.landmarks[frame])
        return self.polygons[frame]

    def mouth_sources(self) -> np.ndarray:
        return self.donors

    def release(self) -> None:
        self.bank = None


def _template(job: RenderJob) -> TemplateAnalysis:
    if job.template is None:
        raise InputError("the mouthbank engine needs the template's face analysis")
    return job.template
