"""Blend a donor frame's lower face into a base frame: warp, colour-match, feather.

Pixels go through torch so the same code runs on the CPU and, batched, on a GPU; the mask is
rasterised with OpenCV at region size (cheap, and not worth a GPU round trip).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .geometry import apply_affine, face_width, fit_affine, invert_affine, lower_face_polygon, STABLE_POINTS
from ..analysis.pose import eye_centres
from .lipwarp import GAP_SMOOTHING, lip_warp, parting_row


def region_box(polygons: list[np.ndarray], margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    pts = np.concatenate(polygons)
    x0, y0 = np.floor(pts.min(axis=0) - margin).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0) + margin).astype(int)
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


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
    return mask / 255.0


def match_colour(donor: torch.Tensor, base: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-channel gain so the donor's skin at the blend edge has the base's brightness and tint
    (donor frames come from other moments: light and white balance drift)."""
    band = (mask > 0.05) & (mask < 0.6)
    if int(band.sum()) < 20:
        return donor
    gain = base[:, band].mean(dim=1) / donor[:, band].mean(dim=1).clamp(min=1.0)
    return donor * gain.clamp(0.8, 1.25)[:, None, None]


def warp_region(crop: torch.Tensor, crop_origin: np.ndarray, donor_to_base: np.ndarray,
                box: tuple[int, int, int, int], lip_points: np.ndarray | None = None, lip_shift: float = 0.0,
                parting: np.ndarray | float = 0.0) -> torch.Tensor:
    """Sample the donor crop (3, h, w) at the base-frame pixels of box through the affine map;
    with lip_shift, its mouth opened or closed that much further (lip_points: the donor's
    landmarks in base-frame pixels; parting: where its mouth parts, see lipwarp.parting_row)."""
    x0, y0, x1, y1 = box
    base_to_donor = invert_affine(donor_to_base)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    gap = None
    if lip_shift:
        moved, gap = lip_warp(xs, ys, lip_points, lip_shift, parting)
        xs, ys = xs - moved[..., 0], ys - moved[..., 1]
    h, w = crop.shape[1:]
    m = base_to_donor.copy()
    m[:, 2] -= crop_origin
    # normalised coordinates for grid_sample (align_corners=True: -1 and 1 are pixel centres)
    to_norm = np.array([[2.0 / max(w - 1, 1), 0, -1], [0, 2.0 / max(h - 1, 1), -1]])
    m = to_norm @ np.vstack([m, [0, 0, 1]])
    coords = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ m.T.astype(np.float32)
    grid = torch.from_numpy(coords).to(crop.device)[None]
    warped = F.grid_sample(crop[None], grid, mode="bicubic", padding_mode="border", align_corners=True)[0]
    if gap is not None and gap.any():  # soften the stretched row and a row either side: a thin gap reads as a shadow
        right_eye, left_eye = eye_centres(lip_points)
        width = 2 * max(1, int(round(GAP_SMOOTHING * np.linalg.norm(left_eye - right_eye) / 2))) + 1
        padded = F.pad(warped[None], (width // 2, width // 2, 1, 1), mode="replicate")
        smooth = F.avg_pool2d(padded, (3, width), stride=1)[0]
        weight = F.max_pool2d(torch.from_numpy(gap).to(crop.device)[None, None], (3, 1), stride=1, padding=(1, 0))[0]
        warped = warped + (smooth - warped) * weight
    return warped


def composite(
    base: np.ndarray,
    base_landmarks: np.ndarray,
    donor_crop: np.ndarray,
    crop_origin: np.ndarray,
    donor_landmarks: np.ndarray,
    device: str = "cpu",
    lip_shift: float = 0.0,
) -> np.ndarray:
    """The base frame (RGB uint8) with the donor's lower face blended in; the donor is given as a
    crop of its frame starting at crop_origin (x, y), with landmarks in its full-frame pixels.
    lip_shift (inter-ocular units) opens (+) or closes (-) the donor's mouth that much further."""
    donor_to_base = fit_affine(donor_landmarks[list(STABLE_POINTS), :2], base_landmarks[list(STABLE_POINTS), :2])
    base_poly = lower_face_polygon(base_landmarks)
    donor_poly = apply_affine(donor_to_base, lower_face_polygon(donor_landmarks))
    scale = face_width(base_landmarks)
    feather = max(1.5, 0.035 * scale)
    height, width = base.shape[:2]
    box = region_box([base_poly, donor_poly], 2 * feather, width, height)
    x0, y0, x1, y1 = box
    if x1 - x0 < 8 or y1 - y0 < 8:
        return base
    mask = torch.from_numpy(feathered_mask([base_poly, donor_poly], box, feather)).to(device)
    crop = torch.tensor(donor_crop, device=device).permute(2, 0, 1).float()  # copies: bank crops are read-only maps
    lip_points, parting = None, 0.0
    if lip_shift:
        lip_points = apply_affine(donor_to_base, donor_landmarks[:, :2])
        # found in the donor's own pixels, then scaled into the base frame like everything else
        scale = float(np.sqrt(abs(np.linalg.det(donor_to_base[:, :2]))))
        parting = scale * parting_row(donor_crop, donor_landmarks[:, :2] - crop_origin)
    donor = warp_region(crop, crop_origin, donor_to_base, box, lip_points, lip_shift, parting)
    region = torch.tensor(base[y0:y1, x0:x1], device=device).permute(2, 0, 1).float()  # base may be read-only
    donor = match_colour(donor, region, mask)
    blended = region + (donor - region) * mask[None]
    out = base.copy()
    out[y0:y1, x0:x1] = blended.clamp(0, 255).round().byte().permute(1, 2, 0).cpu().numpy()
    return out
