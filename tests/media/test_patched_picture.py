"""Only the pixels a step changed are converted back into the decoded picture."""

from __future__ import annotations

import numpy as np
import pytest

from heygem.media.encode import patched_picture, yuv_picture
from heygem.media.yuv import box_to_rgb, even_box, with_box


def test_only_the_changed_box_differs_from_the_decoded_picture():
    rng = np.random.default_rng(0)
    decoded = yuv_picture(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    base = decoded.to_ndarray(format="rgb24")
    assert patched_picture(decoded, base, base) is decoded
    assert patched_picture(decoded, base, base.copy()) is decoded  # same pixels, another array
    changed = base.copy()
    changed[51:70, 31:60] = (255, 0, 0)
    before, after = decoded.to_ndarray(), patched_picture(decoded, base, changed).to_ndarray()
    luma = before[:120] != after[:120]
    rows, cols = np.flatnonzero(luma.any(axis=1)), np.flatnonzero(luma.any(axis=0))
    assert 50 <= rows[0] and rows[-1] <= 70 and 30 <= cols[0] and cols[-1] <= 60  # the box, on even lines
    assert not (before[120:] != after[120:]).reshape(2, 60, 80)[:, :25].any()  # chroma above it untouched
    red = patched_picture(decoded, base, changed).to_ndarray(format="rgb24")[55:65, 35:55]
    assert red[..., 0].min() > 230 and red[..., 1:].max() < 25


def test_a_box_reads_as_the_whole_picture_has_it_and_writes_back_into_a_copy():
    rng = np.random.default_rng(1)
    decoded = yuv_picture(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    whole = decoded.to_ndarray(format="rgb24")
    before = decoded.to_ndarray().copy()
    box = even_box((31, 51, 99, 87), 160, 120)
    assert box == (30, 50, 100, 88)
    assert np.array_equal(box_to_rgb(decoded, box), whole[50:88, 30:100])  # the same conversion, exactly
    red = np.full((38, 70, 3), (255, 0, 0), np.uint8)
    patched = with_box(decoded, box, red)
    assert np.array_equal(decoded.to_ndarray(), before)  # the decoded picture is not written into
    after = patched.to_ndarray(format="rgb24")
    assert after[52:86, 32:98, 0].min() > 230 and after[52:86, 32:98, 1:].max() < 25
    outside = np.ones((120, 160), bool)
    outside[50:88, 30:100] = False
    assert np.array_equal(patched.to_ndarray()[:120][outside], before[:120][outside])
    with pytest.raises(ValueError, match="do not fit the 70x38 box"):
        with_box(decoded, box, red[1:])
