"""Head pose and the face's own frontal frame, from face-mesh landmarks.

MediaPipe's wheel does not ship its canonical face model, so instead of a fit against a 3D model the
frame is built from stable points that neither the mouth nor the eyelids move: the eye corners (x
axis) and the midline from the forehead to the nose (y axis). Everything works on (..., 478, 3)
arrays, one frame or a whole template at once.
"""

from __future__ import annotations

import numpy as np

RIGHT_EYE = (33, 133)  # the person's right eye: outer, inner corner (image left on a frontal face)
LEFT_EYE = (362, 263)
UPPER_MIDLINE = (10, 151, 9, 8)  # forehead down to between the brows
LOWER_MIDLINE = (197, 195, 5, 4)  # nose bridge down to just above the tip

PITCH_OFFSET_DEG = 16.0
"""The forehead-to-nose line leans towards the camera on an upright face; this removes that lean so a
frontal face reads pitch 0 (measured on frontal photos)."""


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(right, left) eye centres: the midpoints of each eye's corners, (..., 3) each."""
    right = points[..., RIGHT_EYE, :].mean(axis=-2)
    left = points[..., LEFT_EYE, :].mean(axis=-2)
    return right, left


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def face_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face's frontal frame in image coordinates (x right, y down, z away from the camera).

    Returns origin (..., 3) between the eyes, rotation (..., 3, 3) whose columns are the face's
    x (towards its left eye), y (up) and z (out of the face, towards the camera) axes, and scale
    (...,) the inter-ocular distance (between eye centres) in pixels.
    """
    right, left = eye_centres(points)
    across = left - right
    scale = np.linalg.norm(across, axis=-1)
    x = across / scale[..., None]
    up = points[..., UPPER_MIDLINE, :].mean(axis=-2) - points[..., LOWER_MIDLINE, :].mean(axis=-2)
    y = _unit(up - np.sum(up * x, axis=-1, keepdims=True) * x)
    z = np.cross(x, y)
    return (right + left) / 2, np.stack([x, y, z], axis=-1), scale


def align(points: np.ndarray) -> np.ndarray:
    """Landmarks in the face's frontal frame: x to its left eye, y up, z towards the camera, in
    inter-ocular units, origin between the eyes. Removes position, size and head rotation."""
    origin, rotation, scale = face_frame(points)
    return np.einsum("...pi,...ij->...pj", points - origin[..., None, :], rotation) / scale[..., None, None]


def head_pose(points: np.ndarray) -> np.ndarray:
    """(..., 3) yaw, pitch, roll in degrees.

    yaw > 0: the face turns towards the image's right; pitch > 0: chin up; roll > 0: the head tilts
    counter-clockwise in the image. (0, 0, 0) is a frontal, upright face.
    """
    _, rotation, _ = face_frame(points)
    flip = np.array([1.0, -1.0, -1.0])  # image axes -> x right, y up, z towards the camera
    x_axis = rotation[..., :, 0] * flip
    forward = rotation[..., :, 2] * flip
    yaw = np.degrees(np.arctan2(forward[..., 0], forward[..., 2]))
    pitch = np.degrees(np.arctan2(forward[..., 1], np.hypot(forward[..., 0], forward[..., 2]))) - PITCH_OFFSET_DEG
    roll = np.degrees(np.arctan2(x_axis[..., 1], x_axis[..., 0]))
    return np.stack([yaw, pitch, roll], axis=-1)
