"""Person matte per template frame (MediaPipe selfie segmentation), cached beside the face analysis.

Made only when a job asks for a new background, once per template file: <data>/templates/<sha256>/
matte.npz + matte.json, versioned apart from the face analysis. Stored small (long side MATTE_SIDE,
the model's own resolution, uint8, compressed) and already smoothed over time; the background step
scales it up to the frame and feathers it (render/background.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Settings
from ..errors import HeyGemError, JobCanceled
from ..media.decode import VideoSource
from ..media.digest import content_sha256
from ..types import ProgressCallback
from . import cache

log = logging.getLogger("heygem.analysis")

MATTE_VERSION = 1
"""Bump when the stored matte changes; stale mattes are recomputed, the face analysis is kept."""
MATTE_SIDE = 256
"""Long side of the stored matte: the segmentation model works at 256 x 256, finer adds nothing."""
ARRAYS_FILE = "matte.npz"
META_FILE = "matte.json"
TIME_TAPS = np.array([1, 6, 15, 20, 15, 6, 1], np.uint16)
"""Binomial filter over 7 frames (sigma ~1.2 frames): the raw matte's edge jitters by a pixel or
two from frame to frame; averaging over time steadies it and, being centred, adds no lag."""


@dataclass(frozen=True)
class PersonMatte:
    alpha: np.ndarray
    """(n, h, w) uint8, 255 = person, one per template frame, at matte resolution."""
    width: int
    """Size of the video frames it describes (the matte is scaled up to this)."""
    height: int

    @property
    def frame_count(self) -> int:
        return len(self.alpha)


def matte_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of the stored matte for frames of width x height: long side MATTE_SIDE, aspect kept."""
    scale = MATTE_SIDE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_or_compute(
    source: VideoSource,
    settings: Settings,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
    sha256: str | None = None,
) -> PersonMatte:
    """The template's person matte: from the cache when current, else computed and cached."""
    report = progress or (lambda fraction, message: None)
    info = source.info
    folder = settings.templates_dir / (sha256 or content_sha256(source.path, settings.uploads_dir))
    if found := _cached(folder, info.frame_count, info.width, info.height):
        return found
    with cache.locked(folder):
        if found := _cached(folder, info.frame_count, info.width, info.height):
            return found
        started = time.perf_counter()
        alpha = smooth_in_time(segment(source, report, should_cancel))
        meta = {"analysis_version": MATTE_VERSION,  # the key cache.read checks
                "video": cache.video_info_fields(info),
                "seconds": round(time.perf_counter() - started, 3)}
        cache.write(folder, {"alpha": alpha}, meta, ARRAYS_FILE, META_FILE, compress=True)
        log.info("%s: person matte for %d frames in %.1f s", info.path.name, len(alpha), meta["seconds"])
        return PersonMatte(alpha, info.width, info.height)


def _cached(folder: Path, frames: int, width: int, height: int) -> PersonMatte | None:
    entry = cache.read(folder, MATTE_VERSION, ("alpha",), ARRAYS_FILE, META_FILE)
    if entry is None:
        return None
    alpha = entry[0]["alpha"]
    if len(alpha) != frames or alpha.shape[1:] != matte_size(width, height)[::-1]:
        log.warning("person matte in %s does not fit the video: recomputing", folder)
        return None
    return PersonMatte(alpha, width, height)


def _segmenter():
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's start-up chatter quiet
    try:
        from mediapipe.python.solutions import selfie_segmentation
    except ImportError as exc:
        raise HeyGemError(
            "background replacement needs mediapipe 0.10.21 (its selfie segmentation model): "
            f"pip install --no-deps mediapipe==0.10.21 ({exc})"
        ) from exc
    # model 0, the general (square) model: it keeps hair and shoulders better than the landscape one.
    return selfie_segmentation.SelfieSegmentation(model_selection=0)


def segment(
    source: VideoSource,
    progress: ProgressCallback,
    should_cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    """(n, h, w) uint8 raw person probability per frame, at matte resolution."""
    import cv2

    from .template import _prefetch

    info = source.info
    n = info.frame_count
    size = matte_size(info.width, info.height)
    out = np.zeros((n, size[1], size[0]), np.uint8)
    step = max(10, n // 100)
    with _segmenter() as segmenter, contextlib.closing(_prefetch(source.read())) as frames:
        for i, frame in enumerate(frames):
            if should_cancel is not None and i % 10 == 0 and should_cancel():
                raise JobCanceled(f"canceled while matting template frame {i} of {n}")
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            mask = segmenter.process(small).segmentation_mask
            out[i] = np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)
            if i % step == 0 or i == n - 1:
                progress((i + 1) / n, f"finding the person {i + 1}/{n}")
    return out


def smooth_in_time(raw: np.ndarray) -> np.ndarray:
    """Centred binomial average over TIME_TAPS frames (edges repeat the end frames)."""
    if len(raw) < 2:
        return raw.copy()
    half = len(TIME_TAPS) // 2
    padded = np.concatenate([np.repeat(raw[:1], half, 0), raw, np.repeat(raw[-1:], half, 0)])
    total = np.zeros(raw.shape, np.uint16)  # 64 * 255 fits
    for k, weight in enumerate(TIME_TAPS):
        total += padded[k:k + len(raw)].astype(np.uint16) * weight
    return ((total + int(TIME_TAPS.sum()) // 2) // int(TIME_TAPS.sum())).astype(np.uint8)
