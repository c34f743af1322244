"""Contact sheet: real and generated mouths side by side at full resolution, for eyeballing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..media.decode import VideoSource


def contact_sheet(clip: Path, first_truth: int, generated: Path, truth_landmarks: np.ndarray, out: Path, samples: int = 6) -> Path:
    """Rows of (real | generated) crops around the lower face at evenly spaced frames."""
    with VideoSource(generated) as g:
        count = min(g.info.frame_count, len(truth_landmarks))
        picks = np.linspace(2, count - 3, samples).astype(int)
        gen = {i: f for i, f in enumerate(g.read(0, count)) if i in set(picks)}
    with VideoSource(clip) as c:
        real = {i - first_truth: f for i, f in enumerate(c.read(first_truth, first_truth + count), first_truth)
                if i - first_truth in set(picks)}
    rows = []
    for i in picks:
        pts = truth_landmarks[i][:, :2]
        if not np.all(np.isfinite(pts)):
            continue
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        cy = int((y0 + y1) / 2)
        box = (max(int(x0), 0), max(cy, 0), int(x1), int(y1 + 0.1 * (y1 - y0)))
        crop = lambda f: f[box[1]: box[3], box[0]: box[2]]  # noqa: E731
        a, b = crop(real[i]), crop(gen[i])
        h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        rows.append(np.concatenate([a[:h, :w], np.full((h, 4, 3), 255, np.uint8), b[:h, :w]], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    cv2.imwrite(str(out), cv2.cvtColor(np.concatenate(rows), cv2.COLOR_RGB2BGR))
    return out
