"""Streaming encode: RGB frames + the driving audio -> H.264/AAC mp4, written to a temporary
name and renamed only when complete, so a failed or canceled run leaves no half file.

With alpha (RGBA frames, a transparent background): VP9 yuva420p + Opus in WebM, or ProRes 4444
+ AAC in MOV when the output name ends in .mov."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import OutputError
from ..options import EncodeOptions
from .checks import output_file
from .decode import iter_audio, probe_audio

log = logging.getLogger("heygem.media")

# Kept as is; other rates become 48 kHz. Below 44.1 kHz an AAC frame (1024 samples) outlasts a
# video frame, and the padded last frame would make the audio track longer than the video.
OUTPUT_RATES = (48000, 44100)


@dataclass(frozen=True)
class Format:
    """What goes into one kind of output file."""

    container: str
    video_codec: str
    pix_fmt: str
    audio_codec: str
    rates: tuple[int, ...]
    """Audio sample rates kept as they are; others become the first."""


H264 = Format("mp4", "libx264", "yuv420p", "aac", OUTPUT_RATES)
VP9_ALPHA = Format("webm", "libvpx-vp9", "yuva420p", "libopus", (48000,))  # Opus runs at 48 kHz only
PRORES_ALPHA = Format("mov", "prores_aw", "yuva444p10le", "aac", OUTPUT_RATES)
"""prores_aw writes ProRes 4444 (ap4h) with alpha for this pixel format, ~5x faster than prores_ks."""


def output_format(path: str | Path, alpha: bool) -> Format:
    """H.264 mp4 for opaque video; with alpha, ProRes 4444 for .mov and VP9 WebM for anything else."""
    if not alpha:
        return H264
    return PRORES_ALPHA if Path(path).suffix.lower() == ".mov" else VP9_ALPHA


def _video_options(fmt: Format, options: EncodeOptions) -> dict[str, str]:
    if fmt is VP9_ALPHA:
        # Constant quality (b=0); crf 18 in x264 terms looks about like 30 in VP9's scale. The
        # realtime deadline encodes ~8x faster than "good" at the same quality, ~35 % more bytes.
        return {"crf": str(min(63, options.crf + 12)), "b": "0", "deadline": "realtime", "cpu-used": "8",
                "row-mt": "1"}
    if fmt is PRORES_ALPHA:
        return {"profile": "4"}  # 4444
    return {"crf": str(options.crf), "preset": options.preset}


class VideoWriter:
    """Write frames one at a time; the audio track is interleaved as the video advances.

    Use as a context manager: leaving it normally finishes and renames the file, leaving it
    with an exception deletes the temporary file.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: Fraction,
        audio_path: str | Path | None = None,
        options: EncodeOptions = EncodeOptions(),
        alpha: bool = False,
    ):
        """`alpha`: frames are RGBA and the file keeps their transparency (see output_format)."""
        self.path = output_file(path)
        self.fps = Fraction(fps)
        self.format = output_format(self.path, alpha)
        suffix = f".{self.format.container}"
        self._temp = self.path.with_name(f".{self.path.stem}.{uuid.uuid4().hex[:8]}.partial{suffix}")
        muxer = {"movflags": "+faststart"} if self.format.container in ("mp4", "mov") else {}
        try:
            self._container = av.open(str(self._temp), "w", format=self.format.container, options=muxer)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write output file ({exc}): {self.path}") from exc
        self._video = self._container.add_stream(self.format.video_codec, rate=self.fps)
        self._video.width, self._video.height = width, height
        self._video.pix_fmt = self.format.pix_fmt
        self._video.options = _video_options(self.format, options)
        self._frames_written = 0
        self._audio = None
        self._audio_samples = 0
        if audio_path is not None:
            self._add_audio(audio_path, options.audio_bitrate)

    def _add_audio(self, audio_path: str | Path, bitrate: int) -> None:
        info = probe_audio(audio_path)
        rate = info.sample_rate if info.sample_rate in self.format.rates else self.format.rates[0]
        layout = "mono" if info.channels == 1 else "stereo"
        self._audio = self._container.add_stream(self.format.audio_codec, rate=rate)
        self._audio.layout = layout
        self._audio.bit_rate = bitrate
        self._audio_rate = rate
        self._audio_frames: Iterator[av.AudioFrame] | None = iter_audio(audio_path, rate, layout, "fltp")

    def _mux(self, packets) -> None:
        self._container.mux(packets)

    def _write_audio_until(self, seconds: float | None) -> None:
        """Encode audio up to `seconds` (None: all of it) so the file stays interleaved."""
        if self._audio is None or self._audio_frames is None:
            return
        while seconds is None or self._audio_samples < seconds * self._audio_rate:
            frame = next(self._audio_frames, None)
            if frame is None:
                self._audio_frames = None
                return
            # Real timestamps let the encoder mark its priming samples (pts < 0), so the muxer
            # writes an edit list and players skip them; without, audio plays ~21 ms late.
            frame.pts = self._audio_samples
            frame.time_base = Fraction(1, self._audio_rate)
            self._audio_samples += frame.samples
            self._mux(self._audio.encode(frame))

    def write(self, rgb: np.ndarray) -> None:
        """One RGB (h, w, 3) or, for a file with alpha, RGBA (h, w, 4) uint8 frame."""
        pixels = "rgba" if rgb.shape[-1] == 4 else "rgb24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=pixels)
        frame.pts = self._frames_written
        self._mux(self._video.encode(frame))
        self._frames_written += 1
        self._write_audio_until(self._frames_written / float(self.fps))

    @property
    def frames_written(self) -> int:
        return self._frames_written

    def finish(self) -> Path:
        self._mux(self._video.encode(None))
        if self._audio is not None:
            self._write_audio_until(None)
            self._mux(self._audio.encode(None))
        self._container.close()
        os.replace(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._container.close()
        except (av.error.FFmpegError, OSError, ValueError):
            pass  # closing a broken container can fail too; the temp file goes either way
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
