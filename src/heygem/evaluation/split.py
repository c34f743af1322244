"""Split a real clip into a template (first part, with its soundtrack) and driving audio (the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..analysis.audio import SAMPLE_RATE
from ..media.decode import VideoSource, load_soundtrack
from ..media.encode import VideoWriter
from .noise import with_noise


@dataclass(frozen=True)
class Split:
    template: Path  # first part, re-encoded, with its own audio
    audio: Path  # the remaining part's audio (16 kHz wav)
    first_truth_frame: int  # index in the original clip of the first ground-truth frame
    truth_frames: int


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[None, :].astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = rate
        for out in av.AudioResampler(format="s16", layout="mono", rate=rate).resample(frame):
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    return path


TEMPLATE_SHARE = 0.6
"""The share of a clip's frames that becomes the template; the rest is judged."""


def template_cut(frame_count: int, template_share: float = TEMPLATE_SHARE) -> int:
    """The first judged frame of a clip of frame_count frames."""
    return int(frame_count * template_share)


def first_sample(frame: int, fps: Fraction) -> int:
    """Where a video frame starts in the SAMPLE_RATE soundtrack: the drive of a clip cut at frame."""
    return int(round(frame / float(fps) * SAMPLE_RATE))


def split_clip(clip: Path, folder: Path, template_share: float = TEMPLATE_SHARE, noise_db: float | None = None) -> Split:
    """noise_db: white noise this far below the speech added to the driving audio (not the template's)."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = load_soundtrack(clip, SAMPLE_RATE)
    with VideoSource(clip) as source:
        info = source.info
        cut = template_cut(info.frame_count, template_share)
        cut_sample = first_sample(cut, info.fps)
        template_audio = write_wav(folder / "template.wav", samples[:cut_sample])
        drive = samples[cut_sample:] if noise_db is None else with_noise(samples[cut_sample:], noise_db, info.fps)
        audio = write_wav(folder / "drive.wav", drive)
        template = folder / "template.mp4"
        with VideoWriter(template, info.width, info.height, info.fps, template_audio) as writer:
            for frame in source.read(0, cut):
                writer.write(frame)
    return Split(template, audio, cut, info.frame_count - cut)
