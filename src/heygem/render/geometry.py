"""Landmark geometry shared by engines: alignment transforms and the lower-face region."""

from __future__ import annotations

import numpy as np

STABLE_POINTS = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 2, 98, 327, 129, 358)
"""Eye corners and nose: they do not move when the person speaks, so they align two frames."""

JAW_CHAIN = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)
"""Face outline from the left cheek at nostril height, round the chin, to the right cheek."""
UNDER_NOSE_CHAIN = (425, 327, 2, 98, 205)
"""Right cheek, right nostril, under the nose, left nostril, left cheek: the region's top edge,
so nothing above the nostrils is ever replaced."""
MOUTH_CORNERS = (61, 291)


def fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares 2x3 affine mapping src points (k, 2) onto dst points (k, 2)."""
    a = np.concatenate([src, np.ones((len(src), 1))], axis=1)
    solution, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return solution.T.astype(np.float64)


def invert_affine(m: np.ndarray) -> np.ndarray:
    full = np.vstack([m, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def apply_affine(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ m[:, :2].T + m[:, 2]


def face_width(landmarks: np.ndarray) -> float:
    """Cheek to cheek at nostril height, in pixels: the scale for margins and feathering."""
    return float(np.linalg.norm(landmarks[JAW_CHAIN[0], :2] - landmarks[JAW_CHAIN[-1], :2]))


def lower_face_polygon(landmarks: np.ndarray, inset: float = 0.85, below_chin: float = 0.10) -> np.ndarray:
    """The region an engine may replace: from under the nose down past the chin, (k, 2) pixels.

    The sides are pulled towards the mouth (`inset`) so the jaw's outline against the background
    stays the base frame's; the bottom reaches `below_chin` face widths under the chin so a
    dropped or raised chin is covered whichever frame has the lower one.
    """
    pts = landmarks[:, :2]
    centre = pts[list(MOUTH_CORNERS)].mean(axis=0)
    down = pts[152] - pts[2]
    down = down / (np.linalg.norm(down) + 1e-6)
    jaw = pts[list(JAW_CHAIN)]
    jaw = centre + (jaw - centre) * inset
    drop = np.linspace(0, 1, len(jaw))
    drop = np.minimum(drop, 1 - drop) * 2  # 0 at the cheeks, 1 at the chin
    jaw = jaw + down[None, :] * (below_chin * face_width(landmarks) * drop[:, None])
    top = pts[list(UNDER_NOSE_CHAIN)]
    top[[0, -1]] = centre + (top[[0, -1]] - centre) * inset
    return np.concatenate([jaw, top]).astype(np.float32)
