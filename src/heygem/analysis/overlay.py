"""Drawing of analysis results on frames, for eyeballing (`heygem analyze --overlay`)."""

from __future__ import annotations

import cv2
import numpy as np

from .mouth import INNER_LIP_RING

MESH = (200, 200, 200)
LIPS = (255, 60, 60)
BOX = (60, 220, 60)
TEXT = (255, 255, 0)


def draw(frame: np.ndarray, landmarks: np.ndarray, box: np.ndarray, label: str = "") -> np.ndarray:
    """A copy of the RGB frame with the landmarks as dots, the inner-lip outline, the face box and
    a line of text; a frame without a face (NaN landmarks) gets only the text."""
    out = frame.copy()
    radius = max(1, round(min(frame.shape[:2]) / 500))
    if np.isfinite(landmarks[0, 0]):
        for x, y in np.round(landmarks[:, :2]).astype(int):
            cv2.circle(out, (int(x), int(y)), radius, MESH, -1, cv2.LINE_AA)
        ring = np.round(landmarks[list(INNER_LIP_RING), :2]).astype(np.int32)
        cv2.polylines(out, [ring], True, LIPS, radius, cv2.LINE_AA)
        x0, y0, x1, y1 = np.round(box).astype(int)
        cv2.rectangle(out, (int(x0), int(y0)), (int(x1), int(y1)), BOX, radius, cv2.LINE_AA)
    if label:
        scale = max(0.4, min(frame.shape[:2]) / 900)
        cv2.putText(out, label, (10, int(30 * scale + 5)), cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT,
                    max(1, round(2 * scale)), cv2.LINE_AA)
    return out
