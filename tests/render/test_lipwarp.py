"""Opening or closing a real mouth further than its donor shows (templates with little variety)."""

import numpy as np
import pytest

from heygem.analysis.face import FaceLandmarker, mouth_descriptor
from heygem.render.composite import composite
from heygem.render.lipwarp import MAX_OPENING, effective_shift, lip_warp
from heygem.selftest import sample_portrait


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


def test_displacement_opens_a_dark_gap_and_keeps_chin_and_corners():
    landmarks = np.zeros((478, 3))
    landmarks[33, :2], landmarks[133, :2], landmarks[362, :2], landmarks[263, :2] = (30, 50), (50, 50), (70, 50), (90, 50)
    landmarks[13, :2], landmarks[14, :2] = (60, 100), (60, 100)
    landmarks[61, :2], landmarks[291, :2] = (40, 100), (80, 100)
    landmarks[17, :2], landmarks[152, :2] = (60, 110), (60, 140)
    ys, xs = np.mgrid[0:160, 0:120].astype(np.float64)
    moved, shade = lip_warp(xs, ys, landmarks, 0.15)  # 0.15 * 40 px between the eye centres = 6 px
    assert moved[108 + 6, 60, 1] == pytest.approx(6)  # the lower lip moved down whole
    assert moved[99, 60].tolist() == [0, 0] and np.abs(moved[141:]).max() == 0  # upper lip and chin stay
    assert np.abs(moved[:, [40, 80]]).max() < 1e-6  # so do the corners
    assert shade[103, 60] < 0.5 and shade[99, 60] == 1 and shade[110, 60] == 1  # dark only in the gap


def test_a_closed_real_mouth_opens_measurably():
    image = sample_portrait()
    with FaceLandmarker(static_images=True) as landmarker:
        landmarks = landmarker.detect(image)
        closed = mouth_descriptor(landmarks)[0]
        opened = composite(image, landmarks, image, np.zeros(2), landmarks, "cpu", 0.1)
        assert mouth_descriptor(landmarker.detect(opened))[0] > closed + 0.05
    top = int(landmarks[[2, 98, 327], 1].min())
    assert np.array_equal(opened[:top], image[:top])
