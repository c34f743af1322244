"""Face boxes for Wav2Lip crops: one stable box per template frame, from our own landmarks.

Wav2Lip was trained on S3FD face boxes (cheek to cheek, brow region to chin) resized to 96x96,
with a few pixels added below the chin at inference. We get the same framing from the landmark
extent, and smooth it over time: a box that jitters by a pixel rescales the 96x96 crop, and the
generated mouth then shimmers.
"""

from __future__ import annotations

import numpy as np

CHIN_PAD = 0.06  # fraction of face height added below the chin (Wav2Lip pads 10 px on ~180 px faces)
SMOOTH_FRAMES = 5  # centred moving average, as Wav2Lip's inference does with S3FD boxes


def wav2lip_boxes(extent: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(N, 4) float boxes x0, y0, x1, y1 from the landmark extent per frame, padded below the chin.

    Rows of frames without a face (NaN in the analysis) become 0 and must not be used.
    """
    valid = np.asarray(valid, dtype=bool)
    boxes = np.zeros((len(valid), 4))
    found = np.asarray(extent, dtype=np.float64)[valid]
    boxes[valid] = found
    boxes[valid, 3] += CHIN_PAD * (found[:, 3] - found[:, 1])
    return boxes


def smooth_boxes(boxes: np.ndarray, valid: np.ndarray, frames: int = SMOOTH_FRAMES) -> np.ndarray:
    """Centred moving average of each box over the valid frames of its own run.

    Runs are split at frames without a face, so a box never drifts toward where a face was
    before a cut or an occlusion.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    out = boxes.copy()
    half = frames // 2
    edges = np.flatnonzero(np.diff(np.concatenate([[0], valid.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        run = boxes[start:stop]
        sums = np.concatenate([np.zeros((1, 4)), np.cumsum(run, axis=0)])
        idx = np.arange(len(run))
        lo = np.maximum(idx - half, 0)
        hi = np.minimum(idx + half + 1, len(run))
        out[start:stop] = (sums[hi] - sums[lo]) / (hi - lo)[:, None]
    return out


def pixel_boxes(boxes: np.ndarray, valid: np.ndarray, width: int, height: int, min_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Integer boxes clipped to the frame, and the validity mask without boxes too small to use."""
    rounded = np.rint(boxes).astype(np.int64)
    rounded[:, [0, 2]] = np.clip(rounded[:, [0, 2]], 0, width)
    rounded[:, [1, 3]] = np.clip(rounded[:, [1, 3]], 0, height)
    size_ok = ((rounded[:, 2] - rounded[:, 0]) >= min_size) & ((rounded[:, 3] - rounded[:, 1]) >= min_size)
    return rounded, np.asarray(valid, dtype=bool) & size_ok
