"""Only the pixels a step changed are converted back into the decoded picture."""

from __future__ import annotations

import numpy as np

from heygem.media.encode import patched_picture, yuv_picture


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
