"""An end-to-end check of an installation on media it makes itself: a portrait photo that ships
with matplotlib, moved like a hand-held camera, speaking a sentence from the built-in TTS."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from .config import Settings
from .options import GenerateOptions
from .types import GenerateResult


def sample_portrait() -> np.ndarray:
    """A frontal face photo that ships inside matplotlib's wheel, RGB uint8 (600x512), mouth closed."""
    import cv2
    from matplotlib import cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def drifting(image: np.ndarray, count: int, periods: tuple[float, float] = (7, 9)) -> list[np.ndarray]:
    """The image shifted by up to 4 px sideways and 3 px up and down, like a hand-held camera
    (a still image would be too easy); cropped to even size."""
    height, width = image.shape[:2]
    frames = []
    for i in range(count):
        dx, dy = round(4 * np.sin(i / periods[0])), round(3 * np.cos(i / periods[1]))
        frame = np.roll(image, (dy, dx), axis=(0, 1))
        frames.append(np.ascontiguousarray(frame[: height // 2 * 2, : width // 2 * 2]))
    return frames


def portrait_frames(seconds: float, fps: int = 25) -> list[np.ndarray]:
    return drifting(sample_portrait(), int(seconds * fps))


def make_media(folder: Path, text: str = "Hello! This is a quick test of HeyGem.") -> tuple[Path, Path]:
    from .media.encode import VideoWriter
    from .tts import synthesize, write_wav

    audio = write_wav(synthesize(text, "en-espeak"), folder / "speech.wav")
    frames = portrait_frames(2.0)
    video = folder / "template.mp4"
    with VideoWriter(video, frames[0].shape[1], frames[0].shape[0], Fraction(25), audio) as writer:
        for frame in frames:
            writer.write(frame)
    return video, audio


def run(settings: Settings, output: Path | None = None, device: str = "auto") -> GenerateResult:
    from . import pipeline

    with tempfile.TemporaryDirectory(prefix="heygem-selftest-") as tmp:
        video, audio = make_media(Path(tmp))
        out = output or Path(tmp) / "selftest.mp4"
        return pipeline.run(video, audio, out, GenerateOptions(device=device), settings)
