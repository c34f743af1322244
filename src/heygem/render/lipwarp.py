"""Open or close a donor mouth a little further than the donor shows.

No template has a donor for every opening the audio asks for (one with little mouth variety has
few). So the chosen donor's lower lip (with the skin down to the chin) is moved along the face's
down axis by the missing amount: opening stretches the line between the lips into a gap, shaded
dark like the inside of a mouth; closing slides the lower lip up over it. The chin and the mouth
corners stay where they are, so nothing tears at the blend edge. A real mouth image is still what
viewers see; the warp only covers the difference.
"""

from __future__ import annotations

import numpy as np

from ..analysis.mouth import CHIN, CORNERS, INNER_LOWER, INNER_UPPER, OUTER_LOWER
from ..analysis.pose import eye_centres

INNER_LIPS = (INNER_UPPER[1], INNER_LOWER[1])  # the lip centres, where they meet
LOWER_LIP_BOTTOM = OUTER_LOWER[1]
MAX_OPENING = 0.12
"""The most a mouth is opened beyond its donor (inter-ocular units): larger stretches look false."""
CAVITY_SHADE = 0.35
"""Brightness of the opened gap relative to the lip line it stretches (the inside of a mouth)."""


def effective_shift(target_open: np.ndarray, donor_open: np.ndarray, active: np.ndarray) -> np.ndarray:
    """How much to open (+) or close (-) each donor mouth, inter-ocular units: the difference to
    the target, never closing past shut nor opening past MAX_OPENING, and opening only where the
    mouth is active (a resting mouth is only ever closed further). A well-matched donor moves by
    a pixel or two; the mouth's opening then follows the target and not the donor's near miss."""
    target_open, donor_open = np.asarray(target_open, np.float64), np.asarray(donor_open, np.float64)
    shift = target_open - donor_open
    shift = np.where(active, shift, np.minimum(shift, 0.0))
    return np.clip(shift, -np.maximum(donor_open, 0.0), MAX_OPENING).astype(np.float32)


def lip_warp(xs: np.ndarray, ys: np.ndarray, landmarks: np.ndarray, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """(displacement (..., 2), shade (...)) in pixels for the pixel grid xs, ys: the pixel at
    (x, y) shows what was at (x, y) - displacement, times shade. landmarks are the donor's,
    already in these pixel coordinates."""
    pts = landmarks[:, :2].astype(np.float64)
    right_eye, left_eye = eye_centres(pts)
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    centre = pts[list(INNER_LIPS)].mean(axis=0)
    down = pts[CHIN] - (right_eye + left_eye) / 2
    down /= np.linalg.norm(down) + 1e-9
    across = np.array([-down[1], down[0]])
    half_width = max(np.linalg.norm(pts[CORNERS[1]] - pts[CORNERS[0]]) / 2, 1.0)
    lip = max(float((pts[LOWER_LIP_BOTTOM] - centre) @ down), 1.0)
    chin = max(float((pts[CHIN] - centre) @ down), lip + 2.0)

    dx, dy = xs - np.float32(centre[0]), ys - np.float32(centre[1])
    s = dx * np.float32(down[0]) + dy * np.float32(down[1])
    u = (dx * np.float32(across[0]) + dy * np.float32(across[1])) / np.float32(half_width)
    amount = np.float32(shift * eye_distance) * np.clip(1 - u * u, 0, 1)  # 0 at the corners
    if shift > 0:  # the gap samples the line between the lips; the lower lip moves down whole
        moved = np.minimum(np.maximum(s, 0), amount)
        lip_end = lip + amount
    else:  # the lower lip slides up by |amount|
        moved = np.where(s > 0, amount, np.float32(0))
        lip_end = np.full_like(s, lip)
    fade = np.clip((chin - s) / np.maximum(chin - lip_end, 1.0), 0, 1)  # back to 0 at the chin
    moved = np.where(s > lip_end, amount * fade, moved)
    soft = np.maximum(1.5, 0.35 * amount)  # darkest in the middle of the gap, like a shadowed cavity
    gap = np.clip(np.minimum(s, amount - s) / soft, 0, 1) if shift > 0 else np.zeros_like(s)
    return moved[..., None] * down.astype(np.float32), 1 - np.float32(1 - CAVITY_SHADE) * gap
