"""Compositing on a real face (the portrait that ships with matplotlib): alignment is exact
for a moved copy of the frame, and nothing above the nostrils changes."""

import numpy as np
import pytest
from mediafactory import write_video

from heygem.analysis.template import load_or_analyze
from heygem.config import Settings
from heygem.render.composite import composite
from heygem.render.geometry import UNDER_NOSE_CHAIN, lower_face_polygon
from heygem.selftest import portrait_frames


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portrait")
    frames = portrait_frames(0.6)
    analysis = load_or_analyze(write_video(folder / "p.mp4", frames, codec="ffv1"), Settings(data_dir=folder / "data"))
    assert analysis.has_face.all()
    return frames, analysis


def test_moved_copy_aligns_back_and_above_nose_is_untouched(analysed):
    frames, analysis = analysed
    base, donor = frames[0], frames[6]  # the drift moved the face by a few pixels
    out = composite(base, analysis.landmarks[0], donor, np.zeros(2), analysis.landmarks[6])
    top = int(analysis.landmarks[0][list(UNDER_NOSE_CHAIN), 1].min())
    assert np.array_equal(out[:top], base[:top])
    poly = lower_face_polygon(analysis.landmarks[0])
    (x0, y0), (x1, y1) = poly.min(axis=0).astype(int), poly.max(axis=0).astype(int)
    region = (slice(y0 + 10, y1 - 10), slice(x0 + 10, x1 - 10))
    moved = np.abs(donor[region].astype(int) - base[region].astype(int)).mean()
    error = np.abs(out[region].astype(int) - base[region].astype(int)).mean()
    assert error < 0.6 * moved  # the donor was warped back onto the base face (to landmark precision)


def test_donor_mouth_shows_without_a_seam(analysed):
    frames, analysis = analysed
    base = frames[0]
    donor = base.copy()
    lips = analysis.landmarks[0][[61, 291, 0, 17], :2]
    (x0, y0), (x1, y1) = lips.min(axis=0).astype(int), lips.max(axis=0).astype(int)
    donor[y0:y1, x0:x1] = (30, 10, 10)  # a dark open mouth
    out = composite(base, analysis.landmarks[0], donor, np.zeros(2), analysis.landmarks[0])
    assert out[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].mean() < 40  # the new mouth is there
    poly = lower_face_polygon(analysis.landmarks[0])
    edge = np.abs(np.diff(out.astype(int), axis=1)).max(axis=2)
    ring = slice(int(poly[:, 1].min()) - 5, int(poly[:, 1].max()) + 5)
    # the blend adds no step: the largest horizontal jump is no larger than in the photo itself
    assert edge[ring].max() <= np.abs(np.diff(base.astype(int), axis=1)).max(axis=2)[ring].max() + 5
