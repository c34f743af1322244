"""Dark-band check: does a render add a thin dark line across the mouth that its donor lacks?

A warp that stretches or slides a real mouth can paint a sharp dark horizontal line across the
teeth or along closed lips: no real mouth looks like that, and on a large screen viewers see it at
once. Each rendered frame is compared with the donor frame whose mouth it shows. In both, the mouth
is resampled upright at full resolution (rows along the face's down axis, across its central half),
and every column's dark thin features are found with a black top-hat (darker than the rows on both
sides within BAND_HEIGHT); a row's band strength is the median over the columns of that depth
relative to the surrounding brightness, so a band reads strong only when it runs across the mouth.
A frame "adds a dark band" when its strongest band is stronger by more than TOLERANCE than the
strongest band anywhere in its donor's mouth (a real closed-lip seam or teeth gap is allowed; a
darker one that the donor does not have is not).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis.mouth import CORNERS, OUTER_LIP_RING, OUTER_LOWER, OUTER_UPPER
from ..analysis.pose import eye_centres

BAND_HEIGHT = 0.08
"""Thickest feature counted as a line (inter-ocular units): a seam, a drawn gap, not a whole open mouth."""
TOLERANCE = 0.08
"""How much stronger (relative depth, 0..1) the render's band may be than the donor's before it counts."""
PAD = 0.03
"""Rows above the upper and below the lower outer lip still inside the checked region (inter-ocular units)."""
DONOR_BAND_HEIGHT = 1.5 * BAND_HEIGHT
"""The donor's bands are found with a taller window: a closing with a longer line fills everything a
shorter one does and more, so a donor feature just too thick to count as a line still counts."""
DRIFT = 0.015
"""Rows (inter-ocular units) a band may wander up or down across the mouth and still count as one."""
DONOR_OFFSETS = (-0.1, 0.0, 0.1)
"""Sideways shifts (half mouth widths) of the donor's columns, likewise."""
WORST_KEPT = 6


@dataclass(frozen=True)
class BandReport:
    share: float  # share of checked frames with an added dark band (nan when none checked)
    checked: int  # frames with a face in both the render and its donor
    worst: list[tuple[float, int, int]]  # (excess, output frame, donor frame), strongest first


def _mouth_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """(centre, across, down, half mouth width, eye distance) in pixels."""
    right_eye, left_eye = eye_centres(points)
    across = points[CORNERS[1]] - points[CORNERS[0]]
    half_width = float(np.linalg.norm(across)) / 2
    across = across / max(2 * half_width, 1e-6)
    down = np.array([-across[1], across[0]])
    if down[1] < 0:
        down = -down
    centre = (points[CORNERS[0]] + points[CORNERS[1]]) / 2
    return centre, across, down, half_width, float(np.linalg.norm(left_eye - right_eye))


def band_strengths(frame: np.ndarray, landmarks: np.ndarray, pad: float = PAD, offset: float = 0.0,
                   height: float = BAND_HEIGHT) -> np.ndarray:
    """Per row of the upright mouth (top to bottom, one pixel apart), how strong a thin dark band
    runs across its central half (0: none, 1: black line on a bright mouth); empty without a face."""
    import cv2

    points = np.asarray(landmarks, np.float64)[:, :2]
    if not np.all(np.isfinite(points)):
        return np.zeros(0)
    centre, across, down, half_width, eyes = _mouth_axes(points)
    pad, k = pad * eyes, max(1, int(round(height * eyes / 2)))
    top = float(np.min((points[list(OUTER_UPPER)] - centre) @ down)) - pad
    bottom = float(np.max((points[list(OUTER_LOWER)] - centre) @ down)) + pad
    rows = np.arange(np.floor(top) - k, np.ceil(bottom) + k + 1)
    cols = np.arange(-np.floor(half_width / 2), np.floor(half_width / 2) + 1) + round(offset * half_width)
    if len(cols) < 3 or len(rows) < 2 * k + 3:
        return np.zeros(0)
    grid = centre + cols[None, :, None] * across + rows[:, None, None] * down
    grid = grid.astype(np.float32)
    strip = cv2.remap(frame, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    luma = strip.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    kernel = np.ones((2 * k + 1, 1), np.uint8)
    closed = cv2.morphologyEx(luma, cv2.MORPH_CLOSE, kernel)  # each column with its thin dark lines filled
    depth = (closed - luma) / np.maximum(closed, 16.0)
    # A band drifting a row or two across the mouth (a slight tilt, a curved seam) still runs across it.
    drift = np.ones((2 * max(1, int(round(DRIFT * eyes))) + 1, 1), np.uint8)
    depth = cv2.dilate(depth, drift)
    return np.median(depth, axis=1)[k:-k]


def strongest_band(frame: np.ndarray, landmarks: np.ndarray) -> float:
    """The strongest band in a rendered mouth."""
    strengths = band_strengths(frame, landmarks)
    return float(strengths.max()) if len(strengths) else float("nan")


def strongest_donor_band(frame: np.ndarray, landmarks: np.ndarray) -> float:
    """The strongest band anywhere in a donor mouth: a region a little larger than the render's in
    every direction, so that landmarks found a few pixels apart in the two frames never make a
    band the donor has look new."""
    strengths = [band_strengths(frame, landmarks, 2 * PAD, offset, DONOR_BAND_HEIGHT) for offset in DONOR_OFFSETS]
    return max((float(s.max()) for s in strengths if len(s)), default=float("nan"))


def mouth_crop(frame: np.ndarray, landmarks: np.ndarray, margin: float = 0.25) -> np.ndarray:
    """The lips with a margin (inter-ocular units) around them, at full resolution."""
    points = np.asarray(landmarks, np.float64)[:, :2]
    right_eye, left_eye = eye_centres(points)
    pad = margin * float(np.linalg.norm(left_eye - right_eye))
    lips = points[list(OUTER_LIP_RING)]
    x0, y0 = np.maximum(np.floor(lips.min(axis=0) - pad).astype(int), 0)
    x1, y1 = np.ceil(lips.max(axis=0) + pad).astype(int)
    return frame[y0:y1, x0:x1]


def check_render(output: Path, rendered, template: Path, template_analysis, donors: np.ndarray,
                 crops_dir: Path | None = None) -> BandReport:
    """Compare every frame of output (analysed as `rendered`) with its donor template frame; with
    crops_dir, write the worst frames as (donor | render) mouth crops there."""
    import cv2

    from ..media.decode import VideoSource

    count = min(rendered.frame_count, len(donors))
    donors = np.asarray(donors[:count])
    used = set(int(d) for d in donors if template_analysis.has_face[d])
    donor_strength, donor_crops = {}, {}
    with VideoSource(template) as source:
        for i, frame in enumerate(source.read(0, max(used) + 1 if used else 0)):
            if i in used:
                donor_strength[i] = strongest_donor_band(frame, template_analysis.landmarks[i])
                if crops_dir is not None:
                    donor_crops[i] = mouth_crop(frame, template_analysis.landmarks[i])
    excess = np.full(count, np.nan)
    worst: list[tuple[float, int, int, np.ndarray]] = []  # min-heap of the strongest excesses
    with VideoSource(output) as source:
        for i, frame in enumerate(source.read(0, count)):
            donor = int(donors[i])
            if donor not in donor_strength or not rendered.has_face[i]:
                continue
            excess[i] = strongest_band(frame, rendered.landmarks[i]) - donor_strength[donor]
            if np.isfinite(excess[i]):
                entry = (float(excess[i]), i, donor, mouth_crop(frame, rendered.landmarks[i]))
                if len(worst) < WORST_KEPT:
                    heapq.heappush(worst, entry)
                elif entry[0] > worst[0][0]:
                    heapq.heapreplace(worst, entry)
    worst.sort(key=lambda e: -e[0])
    if crops_dir is not None:
        crops_dir.mkdir(parents=True, exist_ok=True)
        for old in crops_dir.glob("*.png"):
            old.unlink()
        for rank, (value, i, donor, render_crop) in enumerate(worst):
            pair = _side_by_side(donor_crops[donor], render_crop)
            name = f"{rank + 1}-frame{i:05d}-donor{donor:05d}-excess{value:+.2f}.png"
            cv2.imwrite(str(crops_dir / name), cv2.cvtColor(pair, cv2.COLOR_RGB2BGR))
    checked = np.isfinite(excess)
    share = float(np.mean(excess[checked] > TOLERANCE)) if checked.any() else float("nan")
    return BandReport(share, int(checked.sum()), [(v, i, d) for v, i, d, _ in worst])


def _side_by_side(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    h = max(a.shape[0], b.shape[0])
    pad = lambda c: np.pad(c, ((0, h - c.shape[0]), (0, 0), (0, 0)), constant_values=255)  # noqa: E731
    return np.concatenate([pad(a), np.full((h, 4, 3), 255, np.uint8), pad(b)], axis=1)
