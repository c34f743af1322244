"""Blend a donor frame's lower face into a base frame: warp, colour-match, feather.

Only the box around the lower face is computed, in float32 with OpenCV (its bicubic remap is
several times faster than torch's grid_sample on the CPU, and a box this small is not worth a GPU
round trip).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import apply_affine, face_width, fit_affine, invert_affine, lower_face_polygon, STABLE_POINTS
from ..types import Box
from .lipwarp import GAP_SMOOTHING, LipWarp, parting_row


def region_box(polygons: list[np.ndarray], margin: float, bounds: Box) -> Box:
    """The box holding the polygons with `margin` pixels round them, cut to `bounds` (a box)."""
    pts = np.concatenate(polygons)
    x0, y0 = np.floor(pts.min(axis=0) - margin).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0) + margin).astype(int)
    return int(max(x0, bounds[0])), int(max(y0, bounds[1])), int(min(x1, bounds[2])), int(min(y1, bounds[3]))


def feathered_mask(polygons: list[np.ndarray], box: tuple[int, int, int, int], feather: float) -> np.ndarray:
    """1 inside the union of polygons, falling smoothly to 0 at their edge (float32, box size)."""
    x0, y0, x1, y1 = box
    # A smooth mask loses nothing at half resolution once the feather is a few pixels wide.
    scale = 0.5 if feather >= 4 else 1.0
    mask = np.zeros((max(1, round((y1 - y0) * scale)), max(1, round((x1 - x0) * scale))), np.uint8)
    for poly in polygons:
        cv2.fillPoly(mask, [np.round((poly - (x0, y0)) * scale).astype(np.int32)], 255)
    # Erode by ~2 sigma first so the blur's tail ends at the polygon edge instead of beyond it.
    sigma = feather * scale
    r = max(1, int(round(2 * sigma)))
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    mask = cv2.GaussianBlur(mask.astype(np.float32), (int(6 * sigma) | 1,) * 2, sigma)
    if scale != 1.0:
        mask = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    return np.divide(mask, 255.0, out=mask)


def match_colour(donor: np.ndarray, base: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-channel gain so the donor's skin at the blend edge has the base's brightness and tint
    (donor frames come from other moments: light and white balance drift). Scales donor in place."""
    band = ((mask > 0.05) & (mask < 0.6)).astype(np.uint8)
    if cv2.countNonZero(band) < 20:
        return donor
    base_mean = np.array(cv2.mean(base, band)[:3])
    donor_mean = np.array(cv2.mean(donor, band)[:3])
    gain = np.clip(base_mean / np.maximum(donor_mean, 1.0), 0.8, 1.25).astype(np.float32)
    # OpenCV's per-channel scalar: numpy's broadcast over a last axis of 3 is ten times slower
    return cv2.multiply(donor, (*gain.tolist(), 0.0), dst=donor)


def warp_region(crop: np.ndarray, crop_origin: np.ndarray, donor_to_base: np.ndarray,
                box: tuple[int, int, int, int], lip_points: np.ndarray | None = None, lip_shift: float = 0.0,
                parting: np.ndarray | float = 0.0) -> np.ndarray:
    """Sample the donor crop (h, w, 3) at the base-frame pixels of box through the affine map
    (bicubic, float32 (box h, box w, 3)); with lip_shift, its mouth opened or closed that much
    further (lip_points: the donor's landmarks in base-frame pixels; parting: where its mouth
    parts, see lipwarp.parting_row)."""
    x0, y0, x1, y1 = box
    m = invert_affine(donor_to_base)
    m[:, 2] -= crop_origin  # base-frame pixel -> crop pixel
    m = m.astype(np.float32)
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    map_x = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    map_y = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    gap = warp = None
    if lip_shift:  # moved pixels lie around the mouth only: evaluate the lip warp there
        warp = LipWarp(lip_points, lip_shift, parting)
        ex0, ey0, ex1, ey1 = warp.extent()
        sx0, sy0 = max(int(np.floor(ex0)), x0), max(int(np.floor(ey0)), y0)
        sx1, sy1 = min(int(np.ceil(ex1)) + 1, x1), min(int(np.ceil(ey1)) + 1, y1)
        gap = np.zeros((y1 - y0, x1 - x0), np.float32)
        if sx1 > sx0 and sy1 > sy0:
            sub = (slice(sy0 - y0, sy1 - y0), slice(sx0 - x0, sx1 - x0))
            sxs, sys_ = xs[:, sub[1]], ys[sub[0]]
            moved, gap[sub] = warp.along_down(sxs, sys_)
            sxs, sys_ = sxs - moved * np.float32(warp.down[0]), sys_ - moved * np.float32(warp.down[1])
            map_x[sub] = m[0, 0] * sxs + m[0, 1] * sys_ + m[0, 2]
            map_y[sub] = m[1, 0] * sxs + m[1, 1] * sys_ + m[1, 2]
    # OpenCV's bicubic (the same a = -0.75 kernel as torch's grid_sample) is several times faster
    # on the CPU; float input keeps the result unrounded for the blend.
    warped = cv2.remap(crop.astype(np.float32), map_x, map_y,
                       cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if gap is not None and gap.any():  # soften the stretched row and a row either side: a thin gap reads as a shadow
        width = 2 * max(1, int(round(GAP_SMOOTHING * warp.eyes / 2))) + 1
        weight = cv2.dilate(gap, np.ones((3, 1), np.uint8))  # the gap's rows and one either side
        rows = np.flatnonzero(weight.any(axis=1))
        # blur only those rows: the band reaches one row further each way (the kernel is 3 tall),
        # and its edge rows, which see a replicated border instead of their neighbours, have weight 0
        top, bottom = max(rows[0] - 1, 0), min(rows[-1] + 2, len(weight))
        part = warped[top:bottom]
        smooth = cv2.blur(part, (width, 3), borderType=cv2.BORDER_REPLICATE)
        part += (smooth - part) * weight[top:bottom, :, None]
    return warped


@dataclass(frozen=True)
class Placement:
    """Where a donor's lower face goes in a base frame (whole-frame pixels)."""

    donor_to_base: np.ndarray  # (2, 3) affine
    base_poly: np.ndarray
    donor_poly: np.ndarray  # mapped into the base frame
    feather: float  # pixels

    @classmethod
    def of(cls, base_landmarks: np.ndarray, donor_landmarks: np.ndarray, base_poly: np.ndarray | None = None,
           donor_poly: np.ndarray | None = None) -> "Placement":
        """base_poly, donor_poly: their lower_face_polygon, where the caller keeps them per frame."""
        donor_to_base = fit_affine(donor_landmarks[list(STABLE_POINTS), :2], base_landmarks[list(STABLE_POINTS), :2])
        base_poly = lower_face_polygon(base_landmarks) if base_poly is None else base_poly
        donor_poly = lower_face_polygon(donor_landmarks) if donor_poly is None else donor_poly
        return cls(donor_to_base, base_poly, apply_affine(donor_to_base, donor_poly),
                   max(1.5, 0.035 * face_width(base_landmarks)))

    def box(self, bounds: Box) -> Box | None:
        """The box composite() changes, within `bounds`; None when too small to blend."""
        x0, y0, x1, y1 = box = region_box([self.base_poly, self.donor_poly], 2 * self.feather, bounds)
        return None if x1 - x0 < 8 or y1 - y0 < 8 else box


def composite(
    base: np.ndarray,
    base_landmarks: np.ndarray,
    donor_crop: np.ndarray,
    crop_origin: np.ndarray,
    donor_landmarks: np.ndarray,
    lip_shift: float = 0.0,
    donor_parting: np.ndarray | None = None,
    base_origin: tuple[int, int] = (0, 0),
    place: Placement | None = None,
) -> np.ndarray:
    """The base frame (RGB uint8) with the donor's lower face blended in; the donor is given as a
    crop of its frame starting at crop_origin (x, y), with landmarks in its full-frame pixels.
    The base may be a piece of its frame too, starting at base_origin, that holds Placement.box (its
    landmarks stay in whole-frame pixels): the result is then exactly that piece of the whole
    frame's result. lip_shift (inter-ocular units) opens (+) or closes (-) the donor's mouth that
    much further. donor_parting: the donor's parting_row in its crop, where the caller keeps it per
    donor (it depends on the donor alone); place: Placement.of the two landmark sets, where the
    caller has it already. Only the blended box is computed (float32, OpenCV, on
    the CPU: a box this small is not worth a GPU round trip)."""
    place = place or Placement.of(base_landmarks, donor_landmarks)
    donor_to_base, feather = place.donor_to_base, place.feather
    ox, oy = base_origin
    box = place.box((ox, oy, ox + base.shape[1], oy + base.shape[0]))
    if box is None:
        return base
    x0, y0, x1, y1 = box
    mask = feathered_mask([place.base_poly, place.donor_poly], box, feather)
    lip_points, parting = None, 0.0
    if lip_shift:
        lip_points = apply_affine(donor_to_base, donor_landmarks[:, :2])
        # found in the donor's own pixels, then scaled into the base frame like everything else
        scale = float(np.sqrt(abs(np.linalg.det(donor_to_base[:, :2]))))
        if donor_parting is None:
            donor_parting = parting_row(donor_crop, donor_landmarks[:, :2] - crop_origin)
        parting = scale * donor_parting
    donor = warp_region(donor_crop, crop_origin, donor_to_base, box, lip_points, lip_shift, parting)
    inside = (slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox))
    region = base[inside].astype(np.float32)
    donor = match_colour(donor, region, mask)
    donor -= region
    donor *= cv2.merge((mask, mask, mask))  # not mask[..., None]: numpy broadcasts a last axis of 3 slowly
    donor += region
    out = base.copy()
    out[inside] = np.rint(np.clip(donor, 0, 255, out=donor), out=donor)
    return out
