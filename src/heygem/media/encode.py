"""Streaming encode: RGB frames + the driving audio -> H.264/AAC mp4, written to a temporary
name and renamed only when complete, so a failed or canceled run leaves no half file.

With alpha (RGBA frames, a transparent background): VP9 yuva420p + Opus in WebM, or ProRes 4444
+ AAC in MOV when the output name ends in .mov."""

from __future__ import annotations

import ctypes
import functools
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
from .yuv import even_box, with_box

log = logging.getLogger("heygem.media")

# Kept as is; other rates become 48 kHz. Below 44.1 kHz an AAC frame (1024 samples) outlasts a
# video frame, and the padded last frame would make the audio track longer than the video.
OUTPUT_RATES = (48000, 44100)


M_PERTURB = -6  # glibc's mallopt parameter number


def reproducible_files() -> None:
    """From now on in this process, the same pictures always encode to the same file. x264 as
    PyAV bundles it reads some memory it has not written (on some videos, not only at odd sizes),
    so the bytes it wrote depended on what the heap held before: a different file after another
    job in the same process. glibc's M_PERTURB hands out every later allocation zeroed, as a fresh
    process does. It costs time where frames are large (1080p ~5%), so only `heygem eval` asks for
    it. Without glibc nothing changes."""
    try:
        ctypes.CDLL(None).mallopt(M_PERTURB, 0xFF)  # allocations get the complement: zeros
    except (OSError, AttributeError, TypeError):
        log.info("not glibc: encoded files may differ from run to run by a grey level here and there")


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


def _codec_options(codec: str, options: EncodeOptions) -> dict[str, str]:
    if codec == "h264_nvenc":  # constant quality like x264's CRF; p4 is NVENC's balanced preset
        return {"rc": "vbr", "cq": str(options.crf), "preset": "p4"}
    if codec == VP9_ALPHA.video_codec:
        # Constant quality (b=0); crf 18 in x264 terms looks about like 30 in VP9's scale. The
        # realtime deadline encodes ~8x faster than "good" at the same quality, ~35 % more bytes.
        return {"crf": str(min(63, options.crf + 12)), "b": "0", "deadline": "realtime", "cpu-used": "8",
                "row-mt": "1"}
    if codec == PRORES_ALPHA.video_codec:
        return {"profile": "4"}  # 4444
    return {"crf": str(options.crf), "preset": options.preset}


def video_codec(asked: str, width: int = 1280, height: int = 720) -> str:
    """The H.264 encoder to use: "libx264", "h264_nvenc", or "auto" (NVENC when it opens here,
    i.e. an NVIDIA GPU and driver are present; else libx264, said once in the log)."""
    if asked != "auto":
        return asked
    return "h264_nvenc" if _nvenc_opens(width, height) else "libx264"


@functools.cache
def _nvenc_opens(width: int, height: int) -> bool:
    try:
        context = av.CodecContext.create("h264_nvenc", "w")
        context.width, context.height, context.pix_fmt = width, height, "yuv420p"
        context.time_base = Fraction(1, 25)
        context.open()
    except (av.error.FFmpegError, ValueError) as exc:
        log.info("H.264 on the GPU (NVENC) is not available (%s); encoding with libx264", exc)
        return False
    log.info("encoding H.264 on the GPU (NVENC)")
    return True


def yuv_picture(rgb: np.ndarray) -> av.VideoFrame:
    """An RGB uint8 array as the yuv420p frame the encoder takes (even width and height)."""
    import cv2

    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"frame of shape {rgb.shape} ({rgb.dtype}) is not an even-sized RGB uint8 image")

    # OpenCV's BT.601 conversion matches FFmpeg's default (within 1-2 levels) at a quarter of
    # swscale's cost, which PyAV would otherwise pay inside encode().
    return av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), format="yuv420p")


def patched_picture(decoded: av.VideoFrame, base: np.ndarray, rgb: np.ndarray,
                    origin: tuple[int, int] = (0, 0)) -> av.VideoFrame:
    """The decoded yuv420p frame with only the pixels where `rgb` differs from `base` (its RGB
    conversion, or that of a piece of it starting at an even `origin` (x, y)) converted back: the
    rest of the picture goes to the encoder exactly as decoded, so a lip-sync render leaves
    everything outside the changed box bit-identical to the template."""
    if rgb is base:  # the step returned the frame it was given
        return decoded
    h, w = rgb.shape[:2]
    changed = rgb.reshape(h, -1) != base.reshape(h, -1)  # (h, w*3): ~100x faster than any(axis=2)
    rows = np.flatnonzero(changed.any(axis=1))
    if not len(rows):
        return decoded
    cols = np.flatnonzero(changed[rows[0]:rows[-1] + 1].any(axis=0)) // 3
    x0, y0, x1, y1 = even_box((int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1), w, h)
    ox, oy = origin
    return with_box(decoded, (ox + x0, oy + y0, ox + x1, oy + y1), rgb[y0:y1, x0:x1])


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
        codec = video_codec(options.video_codec, width, height) if self.format is H264 else self.format.video_codec
        self.encodes_on_gpu = codec.endswith("_nvenc")  # leaving the CPU's cores to the other stages
        self._video = self._container.add_stream(codec, rate=self.fps)
        self._video.width, self._video.height = width, height
        self._video.pix_fmt = self.format.pix_fmt
        self._video.options = _codec_options(codec, options)
        if codec == "libx264":
            # x264's frame threads, as the ffmpeg command line uses: PyAV asks for slice threads,
            # which spend the same CPU for slightly larger files and scale worse.
            self._video.codec_context.thread_type = "FRAME"
        self._frames_written = 0
        self._finished = False
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

    def write(self, frame: np.ndarray | av.VideoFrame) -> None:
        """Append one frame: an RGB uint8 array (height, width, 3), RGBA (height, width, 4) for a
        file with alpha, or a yuv420p frame of the video's size (yuv_picture, or a decoded frame
        that VideoSource.passes_through), which goes to the encoder untouched."""
        picture = self._picture(frame)
        picture.pts, picture.time_base = self._frames_written, 1 / self.fps  # a decoded frame has its file's time base
        self._mux(self._video.encode(picture))
        self._frames_written += 1
        self._write_audio_until(self._frames_written / float(self.fps))

    def _picture(self, frame: np.ndarray | av.VideoFrame) -> av.VideoFrame:
        width, height = self._video.width, self._video.height
        if isinstance(frame, av.VideoFrame):
            if frame.format.name != "yuv420p" or (frame.width, frame.height) != (width, height):
                raise ValueError(f"{frame.format.name} frame of {frame.width}x{frame.height} does not fit "
                                 f"the {width}x{height} yuv420p video")
            # The decoder's picture type (I/P/B) would force the same type in the output.
            frame.pict_type = av.video.frame.PictureType.NONE
            return frame
        channels = 4 if self.format.pix_fmt.startswith("yuva") else 3
        if frame.shape != (height, width, channels) or frame.dtype != np.uint8:
            raise ValueError(f"frame of shape {frame.shape} ({frame.dtype}) does not fit the {width}x{height} "
                             f"{'RGBA' if channels == 4 else 'RGB'} uint8 video")
        if channels == 4:
            return av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgba")
        return yuv_picture(frame)

    def finish(self) -> Path:
        """Flush the encoders and move the file into place (once; later calls do nothing)."""
        if self._finished:
            return self.path
        self._finished = True
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
