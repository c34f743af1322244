"""Captions drawn into the rendered frames: white text with a dark outline on a translucent box,
bottom centre, sized by the frame height. Each cue is drawn once (Pillow) and blended into every
frame it covers (numpy), so burning costs little next to the lip sync."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import EngineUnavailable
from .cues import Cue

FONT_ENV = "HEYGEM_SUBTITLE_FONT"
FONT_CANDIDATES = (
    # Debian/Ubuntu packages fonts-noto-cjk and fonts-wqy-microhei / fonts-wqy-zenhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    # macOS and Windows
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
"""Fonts with both Chinese and Latin letters, best first; $HEYGEM_SUBTITLE_FONT comes before them."""
TEXT_HEIGHT = 0.05
"""Font size as a share of the frame height (36 px on 720p), but at least 12 px."""
BOTTOM_MARGIN = 0.06
"""Gap between the caption box and the bottom edge, as a share of the frame height."""
MAX_WIDTH = 0.92
"""A caption wider than this share of the frame is drawn smaller."""
BOX_ALPHA = 0.55
"""Opacity of the dark box behind the text."""


def find_font() -> Path:
    """The first usable CJK-capable font; EngineUnavailable naming what to install when none is."""
    from PIL import ImageFont

    configured = os.environ.get(FONT_ENV)
    for path in ((configured,) if configured else ()) + FONT_CANDIDATES:
        try:
            ImageFont.truetype(path, 20)
            return Path(path)
        except OSError:
            if path == configured:
                raise EngineUnavailable(f"{FONT_ENV} names a font Pillow cannot open: {path}") from None
    raise EngineUnavailable(
        "burned subtitles need a font with Chinese and Latin letters and none was found: install the "
        f"Debian package fonts-noto-cjk (or fonts-wqy-microhei), or set {FONT_ENV}=/path/to/font.ttf/ttc")


@dataclass(frozen=True)
class Caption:
    """A cue drawn once: RGBA pixels and where they go in the frame."""

    pixels: np.ndarray  # (h, w, 4) uint8
    x: int
    y: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in frame pixels: the only area burning changes."""
        return self.x, self.y, self.x + self.pixels.shape[1], self.y + self.pixels.shape[0]


class CaptionBurner:
    """Draws the cue shown at each output frame's time into that frame."""

    def __init__(self, cues: list[Cue], width: int, height: int, fps: float, font: Path | None = None):
        """Raises EngineUnavailable when no font can draw the captions (before any rendering)."""
        self.cues, self.width, self.height, self.fps = cues, width, height, float(fps)
        self.font = font or find_font()
        self._starts = np.array([c.start for c in cues])
        self._drawn: dict[int, Caption] = {}

    def cue_index(self, frame_index: int) -> int | None:
        """Which cue is on screen at the middle of output frame `frame_index`, if any."""
        t = (frame_index + 0.5) / self.fps
        k = int(np.searchsorted(self._starts, t, side="right")) - 1
        return k if k >= 0 and t < self.cues[k].end else None

    def caption(self, cue: int) -> Caption:
        if cue not in self._drawn:
            # Frames come in order: keep only the last cue or two drawn, so memory stays flat.
            self._drawn = {k: v for k, v in self._drawn.items() if k >= cue - 1}
            self._drawn[cue] = _draw(self.cues[cue].text, self.width, self.height, str(self.font))
        return self._drawn[cue]

    def burn(self, frames: list[np.ndarray], output_indices: np.ndarray) -> list[np.ndarray]:
        """The frames with their captions blended in (frames without a cue are returned as they are)."""
        out = []
        for frame, index in zip(frames, output_indices):
            cue = self.cue_index(int(index))
            out.append(frame if cue is None else _blend(frame, self.caption(cue)))
        return out


def _blend(frame: np.ndarray, caption: Caption) -> np.ndarray:
    left, top, right, bottom = caption.box
    out = frame.copy()
    region = out[top:bottom, left:right, :3].astype(np.float32)
    rgba = caption.pixels.astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    out[top:bottom, left:right, :3] = np.round(region * (1 - alpha) + rgba[..., :3] * alpha).astype(np.uint8)
    if frame.shape[2] == 4:  # a transparent video: the caption is opaque where it is drawn
        shown = out[top:bottom, left:right, 3]
        np.maximum(shown, caption.pixels[..., 3], out=shown)
    return out


@lru_cache(maxsize=8)
def _font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def _draw(text: str, width: int, height: int, font_path: str) -> Caption:
    """Render `text` centred in a rounded translucent box placed bottom centre of the frame."""
    from PIL import Image, ImageDraw

    size = max(12, round(TEXT_HEIGHT * height))
    while True:
        font = _font(font_path, size)
        stroke = max(1, size // 12)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        bbox = probe.multiline_textbbox((0, 0), text, font=font, spacing=size // 4, align="center",
                                        stroke_width=stroke)
        left, top, right, bottom = (round(v) for v in bbox)
        pad = max(4, size // 3)
        box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
        if box_w <= MAX_WIDTH * width or size <= 10:
            break
        size = max(10, int(size * MAX_WIDTH * width / box_w))
    box_w, box_h = min(box_w, width), min(box_h, height)
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=pad // 2, fill=(0, 0, 0, round(255 * BOX_ALPHA)))
    draw.multiline_text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 255), spacing=size // 4,
                        align="center", stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    x = (width - box_w) // 2
    y = max(0, height - round(BOTTOM_MARGIN * height) - box_h)
    return Caption(np.asarray(image), x, y)
