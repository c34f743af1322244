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


def portrait_frames(seconds: float, fps: int = 25) -> list[np.ndarray]:
    """The sample portrait drifting a few pixels per frame (a still image would be too easy)."""
    import cv2
    from matplotlib import cbook

    image = cv2.cvtColor(cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))), cv2.COLOR_BGR2RGB)
    image = image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
    frames = []
    for i in range(int(seconds * fps)):
        dx, dy = round(4 * np.sin(i / 7)), round(3 * np.cos(i / 9))
        frames.append(np.ascontiguousarray(np.roll(image, (dy, dx), axis=(0, 1))))
    return frames


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
