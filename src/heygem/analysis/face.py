"""Per-frame face landmarks with MediaPipe's face mesh (478 points, lips and irises in detail).

The model ships inside the mediapipe wheel (0.10.21 is the last release that does) and runs offline
on the CPU. mediapipe is installed without its declared dependencies (they pull in a GUI OpenCV and
jax), so it is imported only here, when a landmarker is made.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from ..errors import HeyGemError
from .mouth import MOUTH_NAMES, mouth_descriptor
from .pose import head_pose

# The per-frame face toolkit in one place: the evaluation describes generated frames with the very
# same landmarker, pose and mouth descriptor as the template analysis.
__all__ = ["MOUTH_NAMES", "POINTS", "FaceLandmarker", "face_box", "head_pose", "mouth_descriptor", "pick_face"]

log = logging.getLogger("heygem.analysis")

POINTS = 478


def _solutions():
    # MediaPipe's C++ side logs through glog/absl to stderr; keep its start-up chatter out of the
    # terminal unless the user asked for it.
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        from mediapipe.python.solutions import face_detection, face_mesh
    except ImportError as exc:
        raise HeyGemError(
            "face analysis needs mediapipe 0.10.21, installed without its GUI dependencies: "
            f"pip install --no-deps mediapipe==0.10.21 ({exc})"
        ) from exc
    return face_mesh, face_detection


def face_box(landmarks: np.ndarray) -> np.ndarray:
    """(..., 4) x0, y0, x1, y1: the extent of the landmarks in the image plane."""
    xy = landmarks[..., :2]
    return np.concatenate([xy.min(axis=-2), xy.max(axis=-2)], axis=-1)


def pick_face(faces: list[np.ndarray], width: int, height: int, previous: np.ndarray | None) -> int:
    """Index of the face to follow: the one overlapping the previous pick most, else the largest,
    most central one (area discounted by the distance of its centre from the frame's centre)."""
    boxes = np.array([face_box(f) for f in faces])
    if previous is not None:
        overlap = _iou(boxes, previous)
        if overlap.max() > 0.3:
            return int(overlap.argmax())
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    off = np.hypot((centre[:, 0] - width / 2) / width, (centre[:, 1] - height / 2) / height)
    return int(np.argmax(area * (1.0 - off)))


def _iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    lo = np.maximum(boxes[:, :2], box[:2])
    hi = np.minimum(boxes[:, 2:], box[2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area(boxes) + area(box) - inter, 1e-6)


class FaceLandmarker:
    """Landmarks of one face per frame, tracked from frame to frame (video mode).

    `detect(rgb)` -> (478, 3) float32 in pixels (z in the same pixel scale as x, smaller = nearer
    the camera, as in MediaPipe) or None when no face is found. When several faces are visible the
    one to follow is chosen by `pick_face`; `several_faces` says whether a second face was ever seen.
    Use as a context manager (or call close()) to free the graphs.

    Asked for two faces, the mesh runs its face detector on every frame until it tracks two, which
    costs a third of its time on the usual one-person template. So it tracks one face and a cheap
    detector looks for a second one every CHECK_EVERY frames (and whenever the tracked face jumps);
    once one is seen, the mesh follows up to two faces from there on.
    """

    CHECK_EVERY = 25

    def __init__(self, static_images: bool = False, min_confidence: float = 0.5):
        self._face_mesh, face_detection = _solutions()
        self._static = static_images
        self._confidence = min_confidence
        # Full range: it also sees a smaller face in the background, which the mesh's own short-range
        # detector misses (3.7 ms a call on a 720p frame, so only every CHECK_EVERY frames).
        self._detector = face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_confidence)
        self._max_faces = 2 if static_images else 1
        self._mesh = self._make_mesh()
        self._frames = 0
        self._previous_box: np.ndarray | None = None
        self.several_faces = False

    def _make_mesh(self):
        return self._face_mesh.FaceMesh(
            static_image_mode=self._static,
            max_num_faces=self._max_faces,
            refine_landmarks=True,  # the attention model: finer lips, plus the iris points
            min_detection_confidence=self._confidence,
            min_tracking_confidence=self._confidence,
        )

    def _follow_two_faces(self) -> None:
        self._mesh.close()
        self._max_faces = 2
        self._mesh = self._make_mesh()

    def _several_faces(self, rgb: np.ndarray) -> bool:
        if len(self._detector.process(rgb).detections or ()) > 1:
            self.several_faces = True
        return self.several_faces

    def _faces(self, rgb: np.ndarray) -> list[np.ndarray]:
        height, width = rgb.shape[:2]
        found = self._mesh.process(rgb).multi_face_landmarks or ()
        scale = np.array([width, height, width], np.float32)
        return [np.array([(p.x, p.y, p.z) for p in face.landmark], np.float32) * scale for face in found]

    def detect(self, rgb: np.ndarray) -> np.ndarray | None:
        height, width = rgb.shape[:2]
        single = self._max_faces == 1
        if single and self._frames % self.CHECK_EVERY == 0 and self._several_faces(rgb):
            self._follow_two_faces()
        self._frames += 1
        faces = self._faces(rgb)
        jumped = (
            single and self._max_faces == 1 and faces and self._previous_box is not None
            and _iou(face_box(faces[0])[None], self._previous_box)[0] < 0.3
        )
        if jumped and self._several_faces(rgb):
            self._follow_two_faces()  # the tracker may have jumped to another face: choose between them
            faces = self._faces(rgb)
        if not faces:
            self._previous_box = None
            return None
        chosen = 0
        if len(faces) > 1:
            self.several_faces = True
            chosen = pick_face(faces, width, height, self._previous_box)
        self._previous_box = face_box(faces[chosen])
        return faces[chosen]

    def close(self) -> None:
        self._mesh.close()
        self._detector.close()

    def __enter__(self) -> "FaceLandmarker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
