"""Open or close a donor mouth a little further than the donor shows.

No template has a donor for every opening the audio asks for, so the chosen donor's lower lip (with
the skin down to the chin) is moved along the face's down axis by the missing amount. The mouth
parts where the donor's own mouth parts: at its darkest row between the inner lips (the seam of
closed lips, or the shadow between the upper and the lower teeth). Everything above that row
(upper lip, upper teeth) stays; everything below (lower teeth, lower lip) moves. Opening stretches
that darkest row into the gap, so the gap is the donor's own seam or cavity, never darker than
anything the donor shows, and it narrows to nothing at the mouth corners. Closing removes rows of
the donor's gap around that row, so the lips meet without a seam left between them. The chin and
the mouth corners stay where they are, so nothing tears at the blend edge.

The warp covers small differences: the donor choice pays for every opening the warp must add
beyond `DonorCosts.warp_free` (see engines/mouthbank/donors.py), so a closer real mouth wins over
a large stretch.
"""

from __future__ import annotations

import numpy as np

from ..analysis.mouth import CHIN, CORNERS, INNER_LIP_RING, INNER_LOWER, INNER_UPPER, OUTER_LOWER
from ..analysis.pose import eye_centres

INNER_LIPS = (INNER_UPPER[1], INNER_LOWER[1])  # the lip centres, where they meet
LOWER_LIP_BOTTOM = OUTER_LOWER[1]
MAX_OPENING = 0.12
"""The most a mouth is opened beyond its donor (inter-ocular units): larger stretches look false."""
PARTED = 0.03
"""A donor mouth opened less than this (inter-ocular units: lips touching, or all but) has no gap
to stretch: opening it stretches the seam between its lips, which reads as lip, not as an open
mouth. On the development set's renders the face mesh saw 0.2-0.3 of the opening the warp added to
such mouths and 0.7-0.8 of it on mouths opened wider (README, "Closed mouths are not warped open")."""
PARTING_SEARCH = 0.02
"""How far beyond the inner-lip contours the parting row is looked for (inter-ocular units): on
closed lips the two contours sit on the seam only to within a pixel or two."""
PARTING_COLUMNS = np.linspace(-0.7, 0.7, 15)
"""Where across the mouth (in half mouth widths from its centre) the parting row is found; it is
interpolated in between, so the split follows a curved seam."""
GAP_SMOOTHING = 0.06
"""Width (inter-ocular units) of the sideways blur over the stretched gap; it is also 3 px tall and
reaches a row beyond the gap, so a gap of a pixel or two blends into the lips and teeth around it
instead of standing out as a sharp line (on small faces a 1-px stretch is already a line)."""
INNER_UPPER_CONTOUR = INNER_LIP_RING[:11]  # corner to corner along the upper inner lip
INNER_LOWER_CONTOUR = (INNER_LIP_RING[0], *INNER_LIP_RING[:10:-1], INNER_LIP_RING[10])  # same corners, lower lip


def effective_shift(target_open: np.ndarray, donor_open: np.ndarray, active: np.ndarray) -> np.ndarray:
    """How much to open (+) or close (-) each donor mouth, inter-ocular units: the difference to
    the target, never closing past shut nor opening past MAX_OPENING, and opening only where the
    mouth is active (a resting mouth is only ever closed further). A well-matched donor moves by
    a pixel or two; the mouth's opening then follows the target and not the donor's near miss."""
    target_open, donor_open = np.asarray(target_open, np.float64), np.asarray(donor_open, np.float64)
    shift = target_open - donor_open
    shift = np.where(active, shift, np.minimum(shift, 0.0))
    return np.clip(shift, -np.maximum(donor_open, 0.0), MAX_OPENING).astype(np.float32)


def _mouth_frame(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """(centre between the inner lips, down, across, half mouth width, eye distance), pixels."""
    right_eye, left_eye = eye_centres(pts)
    centre = pts[list(INNER_LIPS)].mean(axis=0)
    down = pts[CHIN] - (right_eye + left_eye) / 2
    down /= np.linalg.norm(down) + 1e-9
    across = np.array([-down[1], down[0]])
    half_width = max(float(np.linalg.norm(pts[CORNERS[1]] - pts[CORNERS[0]])) / 2, 1.0)
    return centre, down, across, half_width, float(np.linalg.norm(left_eye - right_eye))


def _contour(pts: np.ndarray, ring: tuple[int, ...], centre, down, across, half_width, u: np.ndarray) -> np.ndarray:
    """The inner-lip contour's position along down (pixels from centre) at across positions u."""
    rel = pts[list(ring)] - centre
    cu, cs = rel @ across / half_width, rel @ down
    order = np.argsort(cu)
    return np.interp(u, cu[order], cs[order]).astype(np.float32)


def parting_row(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Where this mouth parts, at each of PARTING_COLUMNS: pixels along the face's down axis from
    the inner-lip centre to the darkest row between the inner lips (the seam of closed lips, the
    shadow between the teeth). landmarks are in the pixel coordinates of image (RGB)."""
    import cv2

    pts = np.asarray(landmarks, np.float64)[:, :2]
    frame = _mouth_frame(pts)
    centre, down, across, half_width, eyes = frame
    upper = _contour(pts, INNER_UPPER_CONTOUR, *frame[:4], PARTING_COLUMNS)
    lower = np.maximum(_contour(pts, INNER_LOWER_CONTOUR, *frame[:4], PARTING_COLUMNS), upper)
    margin = max(1.0, PARTING_SEARCH * eyes)
    rows = np.arange(upper.min() - margin, lower.max() + margin + 0.25, 0.5)
    cols = (PARTING_COLUMNS * half_width)[None, :, None] + np.array([-1.0, 0.0, 1.0])[None, None, :]
    grid = centre + cols[..., None] * across + rows[:, None, None, None] * down
    grid = grid.reshape(len(rows), -1, 2).astype(np.float32)
    strip = cv2.remap(image, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    luma = (strip.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).reshape(len(rows), -1, 3).mean(-1)
    outside = (rows[:, None] < upper - margin) | (rows[:, None] > lower + margin)
    luma = np.where(outside, np.inf, luma)
    parting = np.empty(len(PARTING_COLUMNS))
    for j, column in enumerate(luma.T):  # the middle of the darkest run of rows (a cavity, a seam)
        darkest = int(np.argmin(column))
        dark = column <= column[darkest] + 2.0
        top, bottom = darkest, darkest
        while top > 0 and dark[top - 1]:
            top -= 1
        while bottom + 1 < len(column) and dark[bottom + 1]:
            bottom += 1
        parting[j] = (rows[top] + rows[bottom]) / 2
    # a single noisy column must not kink the split line
    padded = np.concatenate([parting[:1], parting, parting[-1:]])
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


class LipWarp:
    """The warp that opens (+shift) or closes (-shift) one mouth further, inter-ocular units.
    landmarks: the donor's, in the pixel coordinates the warp is evaluated in; parting (see
    parting_row, in these pixels): the donor row where its mouth parts. The mouth's axes are
    worked out once, for the extent and for the field over its pixels."""

    def __init__(self, landmarks: np.ndarray, shift: float, parting: np.ndarray | float = 0.0):
        self.pts = pts = landmarks[:, :2].astype(np.float64)
        self.axes = _mouth_frame(pts)  # centre, down, across, half mouth width, eye distance
        centre, self.down, _, _, self.eyes = self.axes
        self.lip = float((pts[LOWER_LIP_BOTTOM] - centre) @ self.down)
        self.chin = max(float((pts[CHIN] - centre) @ self.down), self.lip + 2.0)
        self.shift, self.parting = shift, parting

    def extent(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in pixels: the warp moves nothing outside this box, so it needs to be
        evaluated only inside it. Across, the warp ends at the mouth corners; down, it starts at
        the parting row or the upper inner lip, whichever is higher, and fades out at the chin (or
        the opened lower lip, if that ends lower)."""
        centre, down, across, half_width = self.axes[:4]
        upper = _contour(self.pts, INNER_UPPER_CONTOUR, *self.axes[:4], PARTING_COLUMNS)
        rel = self.pts[list(INNER_UPPER_CONTOUR)] - centre
        top = min(float(np.min(self.parting)), self.lip - 1.0, float((rel @ down).min()), float(upper.min())) - 1.0
        bottom = max(self.chin, self.lip + abs(self.shift) * self.eyes) + 1.0
        corners = np.array([centre + u * half_width * across + v * down for u in (-1.0, 1.0) for v in (top, bottom)])
        (x0, y0), (x1, y1) = corners.min(axis=0) - 1.0, corners.max(axis=0) + 1.0
        return float(x0), float(y0), float(x1), float(y1)

    def along_down(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(how far each pixel of the grid xs, ys moves along the face's down axis, gap) in
        pixels: the pixel at p shows what was at p - moved * down; gap is 1 where a pixel is the
        stretched parting row (to be smoothed sideways: stretching one row also stretches its
        grain into streaks), else 0."""
        centre, down, across, half_width = self.axes[:4]
        lip, chin, shift = self.lip, self.chin, self.shift
        dx, dy = xs - np.float32(centre[0]), ys - np.float32(centre[1])
        s = dx * np.float32(down[0]) + dy * np.float32(down[1])
        u = (dx * np.float32(across[0]) + dy * np.float32(across[1])) / np.float32(half_width)
        part = np.interp(u, PARTING_COLUMNS, np.broadcast_to(np.asarray(self.parting, np.float32), PARTING_COLUMNS.shape))
        part = np.minimum(part.astype(np.float32), np.float32(lip - 1.0))
        amount = np.float32(abs(shift) * self.eyes) * np.clip(1 - u * u, 0, 1)  # 0 at the corners
        gap = np.zeros_like(s)
        if shift > 0:  # the parting row stretches into the gap; everything below it moves down whole
            moved = np.clip(s - part, 0, amount)
            gap = ((s > part) & (s < part + amount)).astype(np.float32)
            lip_end = lip + amount
        else:  # rows of the donor's gap around the parting row drop out; the lower lip slides up
            upper = _contour(self.pts, INNER_UPPER_CONTOUR, *self.axes[:4], u)
            lower = np.maximum(_contour(self.pts, INNER_LOWER_CONTOUR, *self.axes[:4], u), upper)
            start = np.clip(part - amount / 2, upper, np.maximum(lower - amount, upper))
            moved = np.where(s > start - 0.5, -amount, np.float32(0))  # from the row nearest the start on
            lip_end = lip - amount
        fade = np.clip((chin - s) / np.maximum(chin - lip_end, 1.0), 0, 1)  # back to 0 at the chin
        return np.where(s > lip_end, moved * fade, moved), gap
