"""The mouth descriptor: a small vector saying what a mouth looks like, comparable across frames.

Geometry is measured on landmarks aligned to the face's own frontal frame (see `pose.face_frame`):
origin between the eyes, x towards the person's left eye, y up, z towards the camera, unit = the
distance between the eye centres. So head turns, tilts and the distance to the camera drop out, and
two frames with the same descriptor show the same mouth shape. The same function describes one frame
(the evaluation describes generated frames with it) or a whole template at once.

Columns (MOUTH_NAMES), all in inter-ocular units except `teeth`:
  open        inner-lip gap: vertical distance between the inner lips at the centre (13/14), with its
              neighbours (82/87, 312/317) averaged in; 0 when the lips touch
  width       mouth corner to corner (61-291) in the face plane
  upper_lip   upper-lip thickness: outer to inner contour at the centre and its neighbours
  lower_lip   lower-lip thickness, likewise
  round       outer-lip height / width: high for "oo", low for a wide "ee"
  protrusion  how far the lip centres stand in front of the mouth corners (lips pushed out for "oo", "u")
  smile       height of the mouth corners above the lip centre line (negative: corners down)
  jaw         nose tip (1) to chin (152): grows as the jaw drops
  teeth       share of the area between the inner lips covered by tooth-coloured pixels (less saturated
              than the person's lips and not darker), 0..1; NaN when no frame pixels are given
"""

from __future__ import annotations

import numpy as np

MOUTH_NAMES: tuple[str, ...] = (
    "open", "width", "upper_lip", "lower_lip", "round", "protrusion", "smile", "jaw", "teeth",
)

from .pose import align

# Landmark indices (MediaPipe face mesh), left to right across the face where it matters.
INNER_UPPER = (82, 13, 312)
INNER_LOWER = (87, 14, 317)
OUTER_UPPER = (37, 0, 267)
OUTER_LOWER = (84, 17, 314)
CENTRE_WEIGHTS = np.array([0.25, 0.5, 0.25])  # the centre pair counts most; neighbours steady it
CORNERS = (61, 291)
NOSE_TIP, CHIN = 1, 152
INNER_LIP_RING = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)

OUTER_LIP_RING = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)

# A tooth pixel, judged against the person's own lips (the ring between the outer and inner lip
# contours) so that pale lips, dim light or a colour cast do not count as teeth: clearly less
# saturated than the lips, and not darker than them (the mouth's shadow and the tongue are).
TEETH_SATURATION_VS_LIPS = 0.75
TEETH_BRIGHTNESS_VS_LIPS = 0.9


def _gap(aligned: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...]) -> np.ndarray:
    """Weighted vertical distance (face frame, y up) from the lower to the upper points."""
    dy = aligned[..., upper, 1] - aligned[..., lower, 1]
    return dy @ CENTRE_WEIGHTS


def mouth_geometry(landmarks: np.ndarray) -> np.ndarray:
    """The geometric columns (all but teeth) for (..., 478, 3) landmarks -> (..., 8)."""
    a = align(np.asarray(landmarks, dtype=np.float64))
    open_ = np.maximum(_gap(a, INNER_UPPER, INNER_LOWER), 0.0)
    left, right = a[..., CORNERS[1], :], a[..., CORNERS[0], :]
    width = np.linalg.norm((left - right)[..., :2], axis=-1)
    upper_lip = _gap(a, OUTER_UPPER, INNER_UPPER)
    lower_lip = _gap(a, INNER_LOWER, OUTER_LOWER)
    outer_height = a[..., 0, 1] - a[..., 17, 1]
    round_ = outer_height / np.maximum(width, 1e-6)
    corners = (left + right) / 2
    lip_centre = a[..., (0, 17, 13, 14), :].mean(axis=-2)
    protrusion = lip_centre[..., 2] - corners[..., 2]
    smile = corners[..., 1] - (a[..., 13, 1] + a[..., 14, 1]) / 2
    jaw = np.linalg.norm((a[..., NOSE_TIP, :] - a[..., CHIN, :])[..., :2], axis=-1)
    return np.stack([open_, width, upper_lip, lower_lip, round_, protrusion, smile, jaw], axis=-1)


def _polygon_mask(points: np.ndarray, ring: tuple[int, ...], origin: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(ring), :2] - origin).astype(np.int32)], 1)
    return mask.astype(bool)


def teeth_share(landmarks: np.ndarray, frame: np.ndarray) -> float:
    """Share of the inner-lip polygon covered by tooth-coloured pixels in an RGB uint8 frame."""
    import cv2

    points = np.asarray(landmarks, dtype=np.float64)
    outer = points[list(OUTER_LIP_RING), :2]
    if not np.all(np.isfinite(outer)):
        return float("nan")
    height, width = frame.shape[:2]
    x0, y0 = np.maximum(np.floor(outer.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(outer.max(axis=0)).astype(int) + 3, (width, height))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return 0.0
    crop = frame[y0:y1, x0:x1]
    origin = np.array([x0, y0])
    inside = _polygon_mask(points, INNER_LIP_RING, origin, crop.shape[:2])
    lips = _polygon_mask(points, OUTER_LIP_RING, origin, crop.shape[:2]) & ~inside
    if inside.sum() < 4 or lips.sum() < 4:
        return 0.0  # lips closed: nothing to see between them
    hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV)
    saturation, value = hsv[..., 1].astype(np.float32), hsv[..., 2].astype(np.float32)
    teeth = (
        inside
        & (saturation <= TEETH_SATURATION_VS_LIPS * np.median(saturation[lips]))
        & (value >= TEETH_BRIGHTNESS_VS_LIPS * np.median(value[lips]))
    )
    return float(teeth.sum() / inside.sum())


def mouth_descriptor(landmarks: np.ndarray, frame: np.ndarray | None = None) -> np.ndarray:
    """Descriptor (len(MOUTH_NAMES),) float32 of one face: (478, 3) landmarks in pixels, and the RGB
    frame they came from for the teeth column (NaN without it)."""
    landmarks = np.asarray(landmarks)
    teeth = teeth_share(landmarks, frame) if frame is not None else float("nan")
    return np.append(mouth_geometry(landmarks), teeth).astype(np.float32)
