"""Opening or closing a real mouth further than its donor shows (templates with little variety)."""

import cv2
import numpy as np
import pytest

from heygem.analysis.face import FaceLandmarker, mouth_descriptor
from heygem.render.composite import composite
from heygem.render.lipwarp import (
    INNER_LOWER_CONTOUR, INNER_UPPER_CONTOUR, MAX_OPENING, LipWarp, effective_shift, parting_row,
)
from heygem.selftest import sample_portrait

SKIN, LIP, TOOTH, CAVITY = (200, 160, 140), (170, 80, 80), (235, 235, 225), (40, 20, 20)


def _face(gap: float) -> np.ndarray:
    """Landmarks of a frontal face (eye centres 40 px apart, the mouth at y = 100, corners 40 px
    apart) whose inner lips stand gap px apart at the centre, meeting at the corners."""
    landmarks = np.zeros((478, 3))
    landmarks[33, :2], landmarks[133, :2], landmarks[362, :2], landmarks[263, :2] = (30, 50), (50, 50), (70, 50), (90, 50)
    xs = np.linspace(42, 78, len(INNER_UPPER_CONTOUR))
    bulge = gap / 2 * (1 - ((xs - 60) / 20) ** 2)
    landmarks[list(INNER_UPPER_CONTOUR), :2] = np.stack([xs, 100 - bulge], axis=1)
    landmarks[list(INNER_LOWER_CONTOUR), :2] = np.stack([xs, 100 + bulge], axis=1)
    landmarks[61, :2], landmarks[291, :2] = (40, 100), (80, 100)
    landmarks[0, :2], landmarks[17, :2], landmarks[152, :2] = (60, 90), (60, 112), (60, 140)
    return landmarks


def _mouth(rows: dict[tuple[int, int], tuple[int, int, int]]) -> np.ndarray:
    """Skin, lips from y 90 to 112, and the given (first, last) row bands across the mouth."""
    image = np.full((160, 120, 3), SKIN, np.uint8)
    image[90:113, 42:79] = LIP
    for (first, last), colour in rows.items():
        image[first : last + 1, 44:77] = colour
    return image


def _displacement(warp: LipWarp, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(displacement (..., 2), gap) in pixels: the pixel at (x, y) shows what was at (x, y) - displacement."""
    moved, gap = warp.along_down(xs, ys)
    return np.stack([moved * np.float32(warp.down[0]), moved * np.float32(warp.down[1])], axis=-1), gap


def _warp(image: np.ndarray, landmarks: np.ndarray, shift: float) -> np.ndarray:
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]].astype(np.float32)
    moved, _ = _displacement(LipWarp(landmarks, shift, parting_row(image, landmarks)), xs, ys)
    return cv2.remap(image, xs - moved[..., 0], ys - moved[..., 1], cv2.INTER_NEAREST)


def _luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def test_shift_covers_the_missing_part_and_never_opens_a_resting_mouth():
    target = np.array([0.10, 0.10, 0.0, 0.5, 0.10])
    donor = np.array([0.02, 0.10, 0.05, 0.0, 0.02])
    active = np.array([True, True, True, True, False])
    shift = effective_shift(target, donor, active)
    assert shift[0] == pytest.approx(0.08)
    assert shift[1] == 0  # a donor with the wanted opening stays untouched
    assert shift[2] == pytest.approx(-0.05)  # closes (never past shut)
    assert shift[3] == pytest.approx(MAX_OPENING)
    assert shift[4] == 0  # at rest a mouth is never opened


def test_opening_parts_the_mouth_between_the_teeth_and_keeps_chin_and_corners():
    """Upper teeth stay with the upper lip, lower teeth go down with the lower lip, and the gap
    between them is the donor's own shadow: nothing darker, and never across a tooth."""
    landmarks = _face(gap=8)
    donor = _mouth({(96, 99): TOOTH, (100, 100): CAVITY, (101, 104): TOOTH})
    assert abs(parting_row(donor, landmarks) - 0).max() <= 1  # found at the dark row between the teeth
    opened = _warp(donor, landmarks, 0.15)  # 0.15 * 40 px between the eye centres = 6 px at the centre
    assert np.array_equal(opened[:100, 60], donor[:100, 60])  # upper lip and upper teeth untouched
    assert np.array_equal(opened[107:111, 60], donor[101:105, 60])  # lower teeth moved down whole
    assert (opened[101:107, 60] == CAVITY).all()  # the gap is the donor's own dark row
    assert _luma(opened).min() >= _luma(donor).min()
    assert np.array_equal(opened[141:], donor[141:])  # the chin stays
    ys, xs = np.mgrid[0:160, 0:120].astype(np.float32)
    moved, gap = _displacement(LipWarp(landmarks, 0.15, parting_row(donor, landmarks)), xs, ys)
    assert np.abs(moved[:, [40, 80]]).max() < 1e-6 and gap[:, [40, 80]].max() == 0  # so do the corners
    assert gap[103, 50] and gap[103, 60] and not gap[103, 75]  # the gap narrows towards the corners


def test_closing_leaves_no_dark_seam():
    """Closing an open mouth all the way drops its whole gap: the lips meet with nothing dark
    between them (the old warp slid the lower lip up from the middle and kept half the gap)."""
    landmarks = _face(gap=8)
    donor = _mouth({})
    upper, lower = landmarks[list(INNER_UPPER_CONTOUR), :2], landmarks[list(INNER_LOWER_CONTOUR), :2]
    for x in range(44, 77):  # the dark gap between the inner-lip contours, a lens that shuts at the corners
        top, bottom = np.interp(x, upper[:, 0], upper[:, 1]), np.interp(x, lower[:, 0], lower[:, 1])
        donor[[y for y in range(90, 112) if top - 0.45 <= y <= bottom - 0.55], x] = CAVITY
    closed = _warp(donor, landmarks, -8 / 40)
    dark = _luma(closed[88:115]) < 60
    assert not dark[:, 55:66].any()  # the centre shows lip colour only
    assert dark.sum() <= 4  # elsewhere at most a stray pixel where rows round differently, no seam
    half = _warp(donor, landmarks, -4 / 40)  # half-way: the gap's middle rows drop out
    assert (_luma(half[:, 60]) < 60).sum() == pytest.approx(5, abs=1)


@pytest.mark.parametrize("gap, shift", [(8, MAX_OPENING), (8, -8 / 40), (0, 0.05), (8, 1.0)])
def test_the_warp_moves_nothing_outside_its_extent(gap, shift):
    """The render evaluates the lip warp inside its extent only: outside it must be exactly still."""
    landmarks = _face(gap)
    donor = _mouth({(96, 99): TOOTH, (100, 100): CAVITY, (101, 104): TOOTH})
    parting = parting_row(donor, landmarks)
    ys, xs = np.mgrid[0:200, 0:120].astype(np.float32)
    warp = LipWarp(landmarks, shift, parting)
    moved, stretched = _displacement(warp, xs, ys)
    x0, y0, x1, y1 = warp.extent()
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    assert np.abs(moved).max(axis=-1)[inside].max() > 1  # the extent holds the warp
    assert not moved[~inside].any() and not stretched[~inside].any()
    assert inside.mean() < 0.3  # and is much smaller than the frame


def test_a_closed_real_mouth_opens_measurably():
    image = sample_portrait()
    with FaceLandmarker(static_images=True) as landmarker:
        landmarks = landmarker.detect(image)
        closed = mouth_descriptor(landmarks)[0]
        opened = composite(image, landmarks, image, np.zeros(2), landmarks, 0.1)
        assert mouth_descriptor(landmarker.detect(opened))[0] > closed + 0.05
    top = int(landmarks[[2, 98, 327], 1].min())
    assert np.array_equal(opened[:top], image[:top])
