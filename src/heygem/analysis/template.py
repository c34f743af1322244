"""Template analysis, computed once per template file and cached under <data>/templates/<sha256>/."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..config import Settings
from ..errors import JobCanceled, NoFaceError
from ..media.decode import VideoSource
from ..media.digest import content_sha256
from ..types import ProgressCallback, VideoInfo
from . import cache
from .mouth import MOUTH_NAMES, mouth_geometry, teeth_share

log = logging.getLogger("heygem.analysis")

ANALYSIS_VERSION = 2
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
    report = progress or (lambda fraction, message: None)
    with contextlib.ExitStack() as stack:
        opened = not isinstance(source, VideoSource)
        path = Path(source) if opened else source.path
        sha256 = content_sha256(path, settings.uploads_dir)  # a stored upload's name is its hash
        folder = settings.templates_dir / sha256
        if found := _cached(folder, sha256, path, None if opened else source.info):
            return found
        with cache.locked(folder):
            # Another job may have finished this template while we waited for the lock.
            if found := _cached(folder, sha256, path, None if opened else source.info):
                return found
            if opened:
                source = stack.enter_context(VideoSource(path))
            started = time.perf_counter()
            analysis = analyze(source, sha256, folder, report, should_cancel)
            arrays = {name: getattr(analysis, name) for name in ARRAYS}
            cache.write(folder, arrays, _meta(analysis, time.perf_counter() - started))
            return analysis


ARRAYS = ("has_face", "landmarks", "boxes", "pose", "mouth")


def _meta(analysis: TemplateAnalysis, seconds: float) -> dict:
    return {
        "analysis_version": ANALYSIS_VERSION,
        "sha256": analysis.sha256,
        "video": cache.video_info_fields(analysis.video),
        "mouth_names": list(analysis.mouth_names),
        "face_frames": int(analysis.has_face.sum()),
        "seconds": round(seconds, 3),
    }


def _cached(folder: Path, sha256: str, path: Path, info: VideoInfo | None) -> TemplateAnalysis | None:
    entry = cache.read(folder, ANALYSIS_VERSION, ARRAYS)
    if entry is None:
        return None
    arrays, meta = entry
    if info is not None and info.frame_count != len(arrays["has_face"]):
        log.warning("template cache %s has %d frames, the video %d: recomputing",
                    folder, len(arrays["has_face"]), info.frame_count)
        return None
    log.debug("template analysis from cache %s", folder)
    return TemplateAnalysis(
        video=info or cache.video_info_from(meta["video"], path),
        sha256=sha256,
        cache_dir=folder,
        mouth_names=tuple(meta["mouth_names"]),
        **arrays,
    )


def analyze(
    source: VideoSource,
    sha256: str,
    cache_dir: Path,
    progress: ProgressCallback,
    should_cancel: Callable[[], bool] | None = None,
) -> TemplateAnalysis:
    """Run the landmarker over every frame, then smooth and describe (no cache involved)."""
    from .face import POINTS, FaceLandmarker, face_box, head_pose
    from .smoothing import smooth_landmarks

    info = source.info
    n = info.frame_count
    raw = np.full((n, POINTS, 3), np.nan, np.float32)
    teeth = np.full(n, np.nan, np.float32)
    step = max(10, n // 100)  # progress every 10 frames or 1%, whichever is rarer
    # closing(): the decode thread must have stopped before anyone uses or closes the source again,
    # also when this loop ends early (cancel, error).
    with FaceLandmarker() as landmarker, contextlib.closing(_prefetch(source.read())) as frames:
        for i, frame in enumerate(frames):
            if should_cancel is not None and i % 10 == 0 and should_cancel():
                raise JobCanceled(f"canceled while analysing template frame {i} of {n}")
            points = landmarker.detect(frame)
            if points is not None:
                raw[i] = points
                # Teeth need the pixels, which are gone after this pass, so they are measured on the
                # unsmoothed landmarks (the inner-lip polygon moves by a pixel at most).
                teeth[i] = teeth_share(points, frame)
            if i % step == 0 or i == n - 1:
                progress((i + 1) / n, f"analysing template {i + 1}/{n}")
        several = landmarker.several_faces
    has_face = np.isfinite(raw[:, 0, 0])
    if not has_face.any():
        raise NoFaceError(f"no face found in any of the {n} frames of the template: {info.path}")
    if several:
        log.warning("%s: several faces are visible; following the largest, most central one", info.path.name)
    landmarks = smooth_landmarks(raw, has_face, float(info.fps))
    mouth = np.full((n, len(MOUTH_NAMES)), np.nan, np.float32)
    mouth[has_face, :-1] = mouth_geometry(landmarks[has_face])
    mouth[:, -1] = teeth
    pose = np.full((n, 3), np.nan, np.float32)
    pose[has_face] = head_pose(landmarks[has_face].astype(np.float64))
    boxes = np.full((n, 4), np.nan, np.float32)
    boxes[has_face] = face_box(landmarks[has_face])
    log.info("%s: face in %d of %d frames", info.path.name, int(has_face.sum()), n)
    return TemplateAnalysis(
        video=info, sha256=sha256, cache_dir=cache_dir, has_face=has_face, landmarks=landmarks,
        boxes=boxes, pose=pose, mouth=mouth, mouth_names=MOUTH_NAMES,
    )


def _prefetch(frames: Iterator[np.ndarray], depth: int = 8) -> Iterator[np.ndarray]:
    """The same frames, decoded ahead in a thread: decoding (PyAV) and the landmark model both
    release the GIL, so on two cores they overlap instead of adding up. The thread has stopped
    when this generator is closed, so the caller may use the source again afterwards."""
    done = object()
    buffer: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        buffer.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put(exc)

    thread = threading.Thread(target=produce, name="heygem-decode", daemon=True)
    thread.start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full buffer
            with contextlib.suppress(queue.Empty):
                buffer.get(timeout=0.05)
        thread.join()
