"""A second judge of mouth opening: dlib's 68-point landmarks (`heygem eval --judge dlib`).

The general mouth model learns from MediaPipe's lip landmarks and `heygem eval` measures with
MediaPipe too, so a method could score by pleasing that landmarker rather than by moving the mouth.
dlib's shape predictor is another method trained on other faces (iBUG 300-W); what it measures is
how a user's own checks, with another landmarker, will see the mouth. It is an evaluation tool only
(`pip install -e '.[judge]'`): the predictor's training faces are for non-commercial research,
so the product never loads it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..media.decode import VideoSource

DETECT_SIDE = 640
"""Faces are found on a copy of the frame at most this many pixels wide or high (dlib's face
detector is slow on full HD and finds talking heads at this size); landmarks on the full frame."""

INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)


def _predictor_file() -> Path | None:
    spec = importlib.util.find_spec("face_recognition_models")  # found without importing it (it needs pkg_resources)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "shape_predictor_68_face_landmarks.dat"
    return path if path.is_file() else None


def dlib_judge() -> DlibJudge:
    """The judge, or InputError saying how to install it."""
    predictor = _predictor_file()
    if importlib.util.find_spec("dlib") is None or predictor is None:
        raise InputError("the dlib judge needs dlib and its 68-point model: pip install -e '.[judge]'")
    return DlibJudge(predictor)


class DlibJudge:
    name = "dlib"

    def __init__(self, predictor: Path):
        import dlib

        self._detect = dlib.get_frontal_face_detector()
        self._predict = dlib.shape_predictor(str(predictor))
        self._rectangle = dlib.rectangle

    def openings(self, video: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Per frame of [start, stop): the gap between the inner lips (mean of three pairs across
        the mouth) over the distance between the eye centres, as dlib sees the largest face; nan
        where it finds none."""
        with VideoSource(video) as source:
            return np.array([self.opening(frame) for frame in source.read(start, stop)], np.float64)

    def opening(self, rgb: np.ndarray) -> float:
        import cv2

        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        scale = min(1.0, DETECT_SIDE / max(gray.shape))
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        faces = self._detect(small, 1)
        if not faces:
            return float("nan")
        face = max(faces, key=lambda r: r.area())
        box = self._rectangle(*(int(round(v / scale)) for v in (face.left(), face.top(), face.right(), face.bottom())))
        points = np.array([(p.x, p.y) for p in self._predict(gray, box).parts()], np.float64)
        eyes = np.linalg.norm(points[RIGHT_EYE].mean(axis=0) - points[LEFT_EYE].mean(axis=0))
        gap = np.mean([np.linalg.norm(points[a] - points[b]) for a, b in INNER_LIP_PAIRS])
        return float(gap / eyes) if eyes > 0 else float("nan")


JUDGES = {"dlib": dlib_judge}
"""`heygem eval --judge NAME`: each makes its judge (InputError when it cannot)."""
