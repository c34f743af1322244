"""Burned captions on a transparent video: drawn into the colour and made opaque where they are."""

from __future__ import annotations

import numpy as np

from heygem.subtitles import Cue
from heygem.subtitles.burn import CaptionBurner


def test_captions_on_rgba_frames_are_opaque_where_drawn():
    burner = CaptionBurner([Cue(0.0, 2.0, "a caption on glass")], 320, 240, 25)
    frame = np.zeros((240, 320, 4), np.uint8)  # fully transparent
    (out,) = burner.burn([frame], np.array([0]))
    assert out.shape == frame.shape
    left, top, right, bottom = burner.caption(burner.cue_index(0)).box
    box = out[top:bottom, left:right]
    assert box[..., 3].max() == 255 and box[..., :3].max() > 200  # white text, opaque
    outside = out.copy()
    outside[top:bottom, left:right] = 0
    assert not outside.any()  # nothing drawn or made opaque elsewhere
