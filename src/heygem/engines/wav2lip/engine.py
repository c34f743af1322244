"""The Wav2Lip engine: the user's public checkpoint repaints the lower face of each frame to the audio.

prepare(): read and check the checkpoint, compute the mel windows (one per output frame) and a
smoothed face box per template frame. render(): crop each base frame's face to 96x96, mask its
lower half, run the generator on the whole batch at once, and blend the mouths back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ...config import Settings
from ...errors import InputError
from ...types import Box, CancelCheck, ProgressCallback, never_cancel, no_progress
from ..base import Engine, FrameBatch, RenderJob
from . import audio, blend, boxes
from .checkpoint import load_generator, locate, unavailable_reason

if TYPE_CHECKING:
    from ...analysis.template import TemplateAnalysis

log = logging.getLogger("heygem.engines.wav2lip")

FACE = 96
DEFAULT_SHARPEN = 0.3  # mild: enough to counter the upscale blur without halos


class Wav2LipEngine(Engine):
    name = "wav2lip"
    description = "Wav2Lip with your own wav2lip.pth / wav2lip_gan.pth (any face video, no speech needed in the template)"
    needs_face_analysis = True
    follows_mouth_targets = False  # it hears the audio itself

    @classmethod
    def unavailable_reason(cls, settings: Settings, options: Mapping[str, str]) -> str | None:
        return unavailable_reason(options.get("checkpoint"), settings.models_dir)

    def __init__(self, device: str, settings: Settings, options: Mapping[str, str]):
        super().__init__(device, settings, options)
        self.sharpen = _float_option(self.options, "sharpen", DEFAULT_SHARPEN)
        self.model = None

    def prepare(self, job: RenderJob, progress: ProgressCallback = no_progress,
                should_cancel: CancelCheck = never_cancel) -> None:
        import torch

        super().prepare(job, progress, should_cancel)
        if job.audio.sample_rate != audio.SAMPLE_RATE:
            raise InputError(f"Wav2Lip needs {audio.SAMPLE_RATE} Hz audio, got {job.audio.sample_rate} Hz")
        extent, valid = _face_track(job.template)
        smoothed = boxes.smooth_boxes(boxes.wav2lip_boxes(extent, valid), valid)
        self.boxes, self.valid = boxes.pixel_boxes(smoothed, valid, job.video.width, job.video.height)
        mel = audio.melspectrogram(job.audio.samples)
        self.windows = audio.mel_windows(mel, float(job.audio.fps), job.plan.frame_count)
        self.dtype = torch.float16 if self.device.startswith("cuda") else torch.float32
        path = locate(self.options.get("checkpoint"), self.settings.models_dir)
        progress(0.0, f"loading the Wav2Lip checkpoint {path.name}")
        self.model = load_generator(path, self.device, self.dtype)
        log.info("Wav2Lip checkpoint %s on %s (%s)", path, self.device, str(self.dtype).removeprefix("torch."))

    def changed_boxes(self, output_indices: np.ndarray, base_indices: np.ndarray) -> list[Box | None]:
        return [tuple(int(v) for v in self.boxes[base]) if self.valid[base] else None for base in base_indices]

    def render(self, batch: FrameBatch) -> list[np.ndarray]:
        import cv2
        import torch

        if self.model is None:
            raise RuntimeError("Wav2LipEngine.render() called before prepare()")
        out = list(batch.frames)
        todo = [k for k, base in enumerate(batch.base_indices) if self.valid[base]]
        if not todo:
            return out  # no face in any of these frames: they pass through unchanged
        # The face boxes in the pixels of each frame given (a whole frame, or the box around it)
        boxes = {k: self.boxes[batch.base_indices[k]] - np.tile(batch.origin(k), 2) for k in todo}
        # Frames are RGB; the network was trained on OpenCV's BGR crops.
        crops = np.stack([
            cv2.resize(_crop(batch.frames[k], boxes[k]), (FACE, FACE),
                       interpolation=cv2.INTER_AREA)[..., ::-1]
            for k in todo
        ])
        faces = torch.from_numpy(crops).to(self.device).permute(0, 3, 1, 2).to(self.dtype) / 255.0
        masked = faces.clone()
        masked[:, :, FACE // 2:] = 0  # the generator must invent the lower half from the audio
        mel = torch.from_numpy(self.windows[batch.output_indices[todo]]).to(self.device, self.dtype)
        with torch.inference_mode():
            generated = self.model(mel, torch.cat([masked, faces], dim=1))
        generated = (generated.float().clamp(0, 1) * 255).round().to(torch.uint8)
        generated = generated.permute(0, 2, 3, 1).cpu().numpy()[..., ::-1]  # back to RGB
        for face, k in zip(generated, todo):
            out[k] = blend.paste(batch.frames[k], np.ascontiguousarray(face), boxes[k], self.sharpen)
        return out

    def release(self) -> None:
        self.model = None


def _crop(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    return frame[y0:y1, x0:x1]


def _float_option(options: Mapping[str, str], key: str, default: float) -> float:
    value = options.get(key)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise InputError(f"Wav2Lip option {key}={value!r} is not a number") from None


def _face_track(template: TemplateAnalysis | None) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) landmark extent boxes and (N,) face-found mask per template frame, from the TemplateAnalysis."""
    if template is None:
        raise InputError("the Wav2Lip engine needs the template's face analysis")
    valid = np.asarray(template.has_face, dtype=bool)
    extent = np.asarray(template.boxes, dtype=np.float64)
    # A face frame whose box is not finite would crop garbage: treat it as face-less.
    return extent, valid & np.isfinite(extent).all(axis=1)
