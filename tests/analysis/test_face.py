"""The landmarker, head pose and mouth descriptor on a real photo (shipped with matplotlib)."""

import cv2
import numpy as np
import pytest

from heygem.analysis.face import (
    FaceLandmarker,
    face_box,
    head_pose,
    mouth_descriptor,
    pick_face,
)
from heygem.analysis.mouth import (
    INNER_LIP_RING,
    MOUTH_NAMES,
    mouth_geometry,
    teeth_share,
)


@pytest.fixture(scope="module")
def points(portrait):
    with FaceLandmarker(static_images=True) as landmarker:
        found = landmarker.detect(portrait)
    assert found is not None, "no face found in the portrait"
    return found.astype(np.float64)


def rotate(points: np.ndarray, yaw: float = 0.0, roll: float = 0.0, scale: float = 1.0, shift=(0, 0, 0)) -> np.ndarray:
    """A 3D similarity of the landmarks about their centre (image axes: x right, y down, z away)."""
    a, b = np.radians(yaw), np.radians(roll)
    about_vertical = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    in_plane = np.array([[np.cos(b), np.sin(b), 0], [-np.sin(b), np.cos(b), 0], [0, 0, 1]])
    centre = points.mean(axis=0)
    return (points - centre) @ (in_plane @ about_vertical).T * scale + centre + np.asarray(shift)


def test_portrait_face_is_found_where_the_face_is(portrait, points):
    assert points.shape == (478, 3)
    x0, y0, x1, y1 = face_box(points)
    # The face sits in the upper middle of the photo, about a third of its width.
    assert 150 < x0 < 200 and 320 < x1 < 380 and 120 < y0 < 170 and 300 < y1 < 360, (x0, y0, x1, y1)
    yaw, pitch, roll = head_pose(points)
    assert abs(yaw) < 10 and abs(pitch) < 10 and abs(roll) < 10


def test_closed_mouth_reads_closed_without_teeth(portrait, points):
    d = dict(zip(MOUTH_NAMES, mouth_descriptor(points, portrait)))
    assert d["open"] < 0.03 and d["teeth"] < 0.05
    assert 0.7 < d["width"] < 1.0  # a mouth is a bit narrower than the eye centres are apart
    assert 0.05 < d["lower_lip"] and 0.02 < d["upper_lip"] and 0.6 < d["jaw"] < 1.2


def test_descriptor_ignores_head_turn_tilt_size_and_position(points):
    moved = rotate(points, yaw=25, roll=15, scale=1.7, shift=(40, -25, 10))
    np.testing.assert_allclose(mouth_geometry(moved), mouth_geometry(points), atol=1e-6)


def test_pose_follows_a_known_rotation(points):
    base = head_pose(points)
    turned = head_pose(rotate(points, yaw=20))
    # rotate(yaw > 0) turns the face towards the image's right; pose says so with yaw > 0.
    assert turned[0] - base[0] == pytest.approx(20, abs=0.5)
    tilted = head_pose(rotate(points, roll=12))
    assert tilted[2] - base[2] == pytest.approx(12, abs=0.5)


def test_opening_the_lips_grows_open_and_keeps_width(points):
    opened = points.copy()
    iod = np.linalg.norm(points[[362, 263]].mean(0) - points[[33, 133]].mean(0))
    opened[[87, 14, 317], 1] += 0.2 * iod  # inner lower lip down by a fifth of the eye distance
    before, after = mouth_geometry(points), mouth_geometry(opened)
    assert after[0] - before[0] == pytest.approx(0.2, abs=0.02)
    assert after[1] == pytest.approx(before[1])


def test_teeth_share_counts_white_pixels_inside_the_lips(points):
    opened = points.copy()
    opened[[87, 14, 317, 178, 402], 1] += 30  # open the inner lips enough to paint inside
    ring = np.round(opened[list(INNER_LIP_RING), :2]).astype(np.int32)
    frame = np.full((600, 512, 3), (150, 80, 70), np.uint8)  # lips and skin: saturated
    dark = cv2.fillPoly(frame.copy(), [ring], (40, 10, 10))  # an open, dark mouth
    white = cv2.fillPoly(frame.copy(), [ring], (235, 230, 220))  # teeth filling it
    assert teeth_share(opened, dark) < 0.05
    assert teeth_share(opened, white) > 0.8


def test_most_central_largest_face_is_followed():
    small_corner = np.array([[10, 10, 0], [60, 70, 0]], np.float32)
    big_centre = np.array([[200, 150, 0], [420, 400, 0]], np.float32)
    assert pick_face([small_corner, big_centre], 640, 480, previous=None) == 1
    # Once following a face, stay with it even if another is bigger.
    assert pick_face([small_corner, big_centre], 640, 480, previous=face_box(small_corner)) == 0


def test_no_face_gives_none():
    with FaceLandmarker(static_images=True) as landmarker:
        assert landmarker.detect(np.full((240, 320, 3), 128, np.uint8)) is None


def test_one_person_video_is_tracked_as_one_face(portrait_frames):
    with FaceLandmarker() as landmarker:
        found = [landmarker.detect(frame) for frame in portrait_frames]
        assert all(f is not None for f in found)
        assert not landmarker.several_faces
