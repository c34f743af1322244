"""The mouth bank: every template frame's lower face as a crop, cached beside the template analysis.

Donor frames are picked out of order, and seeking in a compressed video is slow, so one
sequential decode pass stores the crops in a memory-mapped array that renders read at random.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...analysis.cache import locked
from ...errors import JobCanceled
from ...media.decode import VideoSource
from ...render.geometry import face_width, lower_face_polygon
from ...types import CancelCheck, ProgressCallback

if TYPE_CHECKING:
    from ...analysis.template import TemplateAnalysis

log = logging.getLogger("heygem.engines")

BANK_VERSION = 1
MARGIN = 0.15
"""Extra crop around the lower face, in face widths: room for warping onto another frame."""
CHECK_EVERY = 25
"""Frames between progress reports and cancel checks while building (one second of 25 fps video)."""


@dataclass(frozen=True)
class MouthBank:
    crops: np.ndarray  # (n, h, w, 3) uint8, memory-mapped; zeros where the frame has no face
    origins: np.ndarray  # (n, 2) int, (x, y) of each crop's top-left corner in its frame


def _crop_boxes(template: TemplateAnalysis) -> tuple[np.ndarray, int, int]:
    """Top-left corners and the common crop size covering every face frame's lower face."""
    width, height = template.video.width, template.video.height
    centres = np.zeros((template.frame_count, 2))
    extent = np.zeros(2)
    for i in np.flatnonzero(template.has_face):
        poly = lower_face_polygon(template.landmarks[i])
        lo, hi = poly.min(axis=0), poly.max(axis=0)
        centres[i] = (lo + hi) / 2
        extent = np.maximum(extent, hi - lo + 2 * MARGIN * face_width(template.landmarks[i]))
    w, h = int(min(np.ceil(extent[0]), width)), int(min(np.ceil(extent[1]), height))
    origins = np.round(centres - (w / 2, h / 2)).astype(np.int64)
    origins[:, 0] = np.clip(origins[:, 0], 0, width - w)
    origins[:, 1] = np.clip(origins[:, 1], 0, height - h)
    return origins, w, h


def _paths(template: TemplateAnalysis) -> tuple[Path, Path]:
    stem = template.cache_dir / f"mouthbank-v{BANK_VERSION}"
    return stem.with_suffix(".npy"), stem.with_suffix(".origins.npy")


def load_or_build(template: TemplateAnalysis, progress: ProgressCallback,
                  should_cancel: CancelCheck) -> MouthBank:
    """The template's mouth bank: from its cache, else built (one decode pass) and cached.
    Raises JobCanceled when should_cancel() turns true while building."""
    crops_path, origins_path = _paths(template)
    with locked(template.cache_dir):
        if crops_path.exists() and origins_path.exists():
            try:
                crops = np.load(crops_path, mmap_mode="r")
                origins = np.load(origins_path)
                if len(crops) == len(origins) == template.frame_count:
                    return MouthBank(crops, origins)
            except (ValueError, OSError) as exc:
                log.warning("mouth bank cache unreadable (%s); rebuilding", exc)
        _build(template, crops_path, origins_path, progress, should_cancel)
        return MouthBank(np.load(crops_path, mmap_mode="r"), np.load(origins_path))


def _build(template: TemplateAnalysis, crops_path: Path, origins_path: Path, progress: ProgressCallback,
           should_cancel: CancelCheck) -> None:
    origins, w, h = _crop_boxes(template)
    n = template.frame_count
    temp = crops_path.with_name(f".{crops_path.name}.{os.getpid()}.partial")
    crops = np.lib.format.open_memmap(temp, mode="w+", dtype=np.uint8, shape=(n, h, w, 3))
    try:
        with VideoSource(template.video.path) as source:
            for i, frame in enumerate(source.read()):
                if i % CHECK_EVERY == 0:
                    progress(i / n, f"building the mouth bank {i}/{n}")
                    if should_cancel():
                        raise JobCanceled(f"canceled while building the mouth bank, at frame {i} of {n}")
                if template.has_face[i]:
                    x, y = origins[i]
                    crops[i] = frame[y : y + h, x : x + w]
        crops.flush()
        del crops
        np.save(origins_path, origins)
        os.replace(temp, crops_path)
    finally:
        temp.unlink(missing_ok=True)
    log.info("mouth bank built: %d crops of %dx%d", n, w, h)
