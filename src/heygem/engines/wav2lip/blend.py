"""Putting a generated 96x96 face back into the frame: resize, optional sharpening, feathered mask.

Only the mouth and jaw come from the generator; everything else stays the original pixels. A hard
box paste shows a seam and the generator's blur over the whole face, so the generated pixels
are blended through a soft ellipse over the lower face.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# Ellipse in box-relative coordinates (before feathering): the lower half the generator repaints,
# a little inside the box sides so cheeks and jaw outline keep their original pixels.
MASK_CENTRE = (0.5, 0.73)
MASK_AXES = (0.36, 0.21)
FEATHER = 0.04  # Gaussian sigma as a fraction of the box side
EDGE = 0.05  # the mask reaches exactly 0 at the box edge over this margin: no seam where the box ends
_CANON = 192  # the mask is drawn once at this size and resized to each box


@lru_cache(maxsize=1)
def _canonical_mask() -> np.ndarray:
    hard = np.zeros((_CANON, _CANON), np.float32)
    centre = (round(MASK_CENTRE[0] * _CANON), round(MASK_CENTRE[1] * _CANON))
    axes = (round(MASK_AXES[0] * _CANON), round(MASK_AXES[1] * _CANON))
    cv2.ellipse(hard, centre, axes, 0, 0, 360, 1.0, thickness=-1)
    mask = cv2.GaussianBlur(hard, (0, 0), FEATHER * _CANON)
    ramp = np.clip(np.minimum(np.arange(_CANON) + 0.5, _CANON - 0.5 - np.arange(_CANON)) / (EDGE * _CANON), 0, 1)
    ramp = ramp * ramp * (3 - 2 * ramp)  # smoothstep
    return (mask * ramp[:, None] * ramp[None, :]).astype(np.float32)


def mouth_mask(height: int, width: int) -> np.ndarray:
    """(height, width) float32 weights in 0..1: 1 at the mouth, fading to 0 well inside the box."""
    return cv2.resize(_canonical_mask(), (width, height), interpolation=cv2.INTER_LINEAR)


def sharpen(image: np.ndarray, amount: float) -> np.ndarray:
    """Unsharp mask on uint8 pixels: restores some of the edge contrast lost when 96 px are upscaled."""
    if amount <= 0:
        return image
    blurred = cv2.GaussianBlur(image, (0, 0), 1.0)
    return cv2.addWeighted(image, 1.0 + amount, blurred, -amount, 0)


def paste(frame: np.ndarray, face: np.ndarray, box: np.ndarray, sharpen_amount: float = 0.0) -> np.ndarray:
    """A copy of `frame` (H, W, 3 uint8) with the generated `face` (96, 96, 3 uint8, same colour order)
    blended into `box` (x0, y0, x1, y1 integers inside the frame)."""
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = x1 - x0, y1 - y0
    upscaled = cv2.resize(face, (w, h), interpolation=cv2.INTER_CUBIC if w > face.shape[1] else cv2.INTER_AREA)
    upscaled = sharpen(upscaled, sharpen_amount)
    out = frame.copy()
    mask = mouth_mask(h, w)
    # blendLinear computes in SIMD with rounding: ~10x faster than float numpy on a 1080p face.
    out[y0:y1, x0:x1] = cv2.blendLinear(upscaled, np.ascontiguousarray(frame[y0:y1, x0:x1]), mask, 1.0 - mask)
    return out
