"""Replace the template's background behind the person: a colour, an image, a blur, or transparency.

`parse(value)` checks a --background value before any work; `BackgroundStep.apply` runs on each
batch of rendered frames (same pass as the lip sync, before encoding) using the cached person
matte of their base template frames (analysis/matte.py).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from ..analysis.matte import PersonMatte
    from ..analysis.template import TemplateAnalysis

KEEP, TRANSPARENT, BLUR = "keep", "transparent", "blur"
COLOURS = {"green": (0, 255, 0), "blue": (0, 0, 255)}
HEX = re.compile(r"#([0-9a-fA-F]{6})")
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
MAX_IMAGE_PIXELS = 100_000_000
"""Larger pictures are refused before decoding (100 MP covers camera photos; a decoded one is 300 MB)."""
ALPHA_SUFFIXES = (".webm", ".mov")
"""Containers a transparent video is written in: WebM (VP9 with alpha) or MOV (ProRes 4444)."""

EDGE = (0.3, 0.7)
"""Matte probabilities mapped to alpha 0 and 1: the model's soft ramp, scaled up ~4x to the frame,
would be a wide halo; this narrows it (keeping hair, which the model scores around 0.5)."""
FEATHER_PX = 1.5
"""Gaussian sigma (frame pixels) softening the narrowed edge: a few pixels of feather."""
BLUR_SIGMA = 6.0
"""Blur strength for `blur`, in matte pixels (~25 frame pixels at 720p)."""


@dataclass(frozen=True)
class Background:
    kind: str
    """keep | colour | image | blur | transparent"""
    colour: tuple[int, int, int] | None = None
    image: Path | None = None

    @property
    def alpha(self) -> bool:
        return self.kind == TRANSPARENT


def describe_choices() -> str:
    return "keep, green, blue, #RRGGBB, blur, transparent, or an image file (png/jpg/webp/bmp)"


def named(value: str | None) -> Background | None:
    """The Background a word or colour code names (keep, green, #RRGGBB, ...); None for anything
    else (an image file, or a mistake)."""
    text = (value or KEEP).strip()
    word = text.lower()
    if word in (KEEP, TRANSPARENT, BLUR):
        return Background(word)
    if word in COLOURS:
        return Background("colour", COLOURS[word])
    if match := HEX.fullmatch(text):
        code = match.group(1)
        return Background("colour", tuple(int(code[i:i + 2], 16) for i in (0, 2, 4)))
    return None


def label(value: str | None) -> str:
    """How to show a background setting to people and API clients: "image" rather than a server path."""
    found = named(value)
    return "image" if found is None else (value or KEEP).strip().lower()


def parse(value: str | None) -> Background:
    """The --background value as a Background; InputError naming the problem when it is none of
    the choices, or names an image that is missing or unreadable (decoded here, before any work)."""
    if (found := named(value)) is not None:
        return found
    text = value.strip()
    path = Path(text).expanduser()
    if path.suffix.lower() in IMAGE_TYPES or path.exists() or "/" in text or "\\" in text:
        load_image(path)  # InputError when missing or unreadable
        return Background("image", image=path)
    raise InputError(f"unknown background {text!r}: use {describe_choices()}")


def load_image(path: Path) -> np.ndarray:
    """RGB uint8 pixels of a background image, or an InputError naming the file."""
    import cv2
    from PIL import Image

    from ..media.checks import input_file

    input_file(path, "background image")
    unreadable = InputError(f"background image cannot be read (not a png/jpg/webp/bmp image?): {path}")
    try:  # the header only: a small file can claim billions of pixels
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, by our limit
            with Image.open(path) as header:
                width, height = header.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise unreadable from exc
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"background image has too many pixels ({width}x{height}; at most "
                         f"{MAX_IMAGE_PIXELS // 1_000_000} million): {path}")
    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)  # None when it is no image OpenCV can read
    if pixels is None:
        raise unreadable
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


def check_output(background: Background, output: str | Path) -> None:
    """A transparent video needs a container with alpha: fail before any work otherwise."""
    if background.alpha and Path(output).suffix.lower() not in ALPHA_SUFFIXES:
        raise InputError(f"a transparent video is written as .webm (VP9) or .mov (ProRes 4444), "
                         f"not {Path(output).suffix or 'no extension'}: {output}")


def cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The image scaled to cover width x height (aspect kept) and cropped centred."""
    import cv2

    ih, iw = image.shape[:2]
    scale = max(width / iw, height / ih)
    w, h = max(width, round(iw * scale)), max(height, round(ih * scale))
    shrink = scale < 1
    scaled = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    x, y = (w - width) // 2, (h - height) // 2
    return np.ascontiguousarray(scaled[y:y + height, x:x + width])


def _edge_table() -> np.ndarray:
    x = np.clip((np.arange(256) / 255.0 - EDGE[0]) / (EDGE[1] - EDGE[0]), 0, 1)
    return np.round(255 * x * x * (3 - 2 * x)).astype(np.uint8)  # smoothstep


def _spread(values: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised blur: the weighted average of nearby `values` (h, w, 3) where `weight` (h, w) is
    high, i.e. colours pulled in from the confident region only."""
    import cv2

    w = cv2.GaussianBlur(weight, (0, 0), sigma)
    v = cv2.GaussianBlur(values * weight[..., None], (0, 0), sigma)
    return v / np.maximum(w, 1e-4)[..., None]


def _sample(small: np.ndarray, xs: np.ndarray, ys: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(n, 3) bilinear samples of a small (h, w, 3) image at frame pixels (xs, ys) of a frame of
    `size`: what resizing it to the frame would give there, without making the whole frame."""
    import cv2

    if len(xs) == 0:
        return np.zeros((0, 3), np.float32)
    sx, sy = small.shape[1] / size[0], small.shape[0] / size[1]
    map_x = ((xs + 0.5) * sx - 0.5).astype(np.float32)[:, None]
    map_y = ((ys + 0.5) * sy - 0.5).astype(np.float32)[:, None]
    return cv2.remap(small, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[:, 0]


class BackgroundStep:
    """Composites rendered frames over the new background, using their base frames' matte."""

    def __init__(self, background: Background, matte: PersonMatte, template: TemplateAnalysis | None = None):
        """When the face analysis is there, the face hull is always kept (the matte may nick a jaw
        or an open mouth)."""
        self.background = background
        self.matte = matte
        self.template = template
        self.size = (matte.width, matte.height)
        self.small = matte.alpha.shape[2], matte.alpha.shape[1]
        self._table = _edge_table()
        self._fill = None
        if background.kind == "colour":
            self._fill = np.empty((matte.height, matte.width, 3), np.uint8)
            self._fill[:] = background.colour
        elif background.kind == "image":
            self._fill = cover(load_image(background.image), *self.size)

    def alpha(self, base: int) -> np.ndarray:
        """(H, W) uint8 alpha of template frame `base` at frame size, edges feathered."""
        import cv2

        small = self.matte.alpha[base]
        if self.template is not None and self.template.has_face[base]:
            small = small.copy()
            scale = np.array([self.small[0] / self.size[0], self.small[1] / self.size[1]], np.float32)
            hull = cv2.convexHull((self.template.landmarks[base, :, :2] * scale).astype(np.int32))
            cv2.fillConvexPoly(small, hull, 255)
        full = cv2.LUT(cv2.resize(small, self.size, interpolation=cv2.INTER_LINEAR), self._table)
        return cv2.GaussianBlur(full, (0, 0), FEATHER_PX)

    def apply(self, frames: list[np.ndarray], base_indices: np.ndarray) -> list[np.ndarray]:
        """The frames over the new background: RGB uint8, or RGBA uint8 for `transparent`."""
        return [self.apply_one(frame, int(base)) for frame, base in zip(frames, base_indices)]

    def apply_one(self, frame: np.ndarray, base: int) -> np.ndarray:
        import cv2

        alpha = self.alpha(base)
        # Only the edge band (0 < alpha < 255, a few % of the frame) needs per-pixel mixing; the
        # rest is a masked copy. That keeps the step at a few ms per 720p frame.
        points = cv2.findNonZero(cv2.inRange(alpha, 1, 254))
        points = np.zeros((0, 2), np.int32) if points is None else points.reshape(-1, 2)
        xs, ys = points[:, 0], points[:, 1]
        a = alpha[ys, xs][:, None].astype(np.float32) * (1 / 255)
        # Colour spill: edge pixels mix the person with the old background. Pull them towards the
        # colours just inside the person, the more the less they belong to it. Worked out at matte
        # size, where a few pixels of blur reach across the edge.
        small_image = cv2.resize(frame, self.small, interpolation=cv2.INTER_AREA).astype(np.float32)
        small_a = cv2.resize(alpha, self.small, interpolation=cv2.INTER_AREA)
        inside = _sample(_spread(small_image, (small_a > 242).astype(np.float32), 2.0), xs, ys, self.size)
        edge = frame[ys, xs] * a + inside * (1 - a)
        if self.background.alpha:
            rgba = cv2.cvtColor(frame, cv2.COLOR_RGB2RGBA)
            rgba[..., 3] = alpha
            rgba[ys, xs, :3] = np.clip(edge + 0.5, 0, 255).astype(np.uint8)
            return rgba
        if self.background.kind == BLUR:
            behind = _spread(small_image, 1 - small_a.astype(np.float32) * (1 / 255), BLUR_SIGMA)
            out = cv2.resize(np.clip(behind, 0, 255).astype(np.uint8), self.size, interpolation=cv2.INTER_LINEAR)
        else:
            out = self._fill.copy()
        mixed = edge * a + out[ys, xs] * (1 - a)
        cv2.copyTo(frame, (alpha == 255).view(np.uint8), out)
        out[ys, xs] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        return out
