"""Streaming decode with PyAV: normalised RGB frames at a constant rate, and audio as float samples.

Every stage sees the same frames: rotation applied, short side at most 1080 px, even width and
height, constant frame rate (a variable-rate input is resampled to its average rate by picking,
for output frame i, the source frame on screen at time (i + 0.5) / fps).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import InputError
from ..types import AudioInfo, VideoInfo
from .checks import input_file

log = logging.getLogger("heygem.media")

MAX_SHORT_SIDE = 1080
DEFAULT_FPS = Fraction(25)
DECODED_BUDGET = 256 * 2**20
"""Bytes of decoded frames VideoSource.read_decoded may hold at once: a template looped forward
and backward is decoded once when all its frames fit (a 480p template of up to 17 s, 720p 7 s,
1080p 3 s); a longer one turns back on the frames it holds, and the rest of its backward runs is
decoded in chunks this size, so each chunk seeks back to a keyframe once instead of every 16
frames (a 5-s template with one keyframe, looped in 16-frame backward chunks, decoded 2.7 frames
per frame shown)."""


def _open(path: Path, kind: str) -> av.container.InputContainer:
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {kind} file ({_reason(exc)}): {path}") from exc


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[0] or type(exc).__name__


def _display_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """Size after rotation, downscaling (short side <= 1080) and rounding down to even."""
    if rotation % 180:
        width, height = height, width
    scale = min(1.0, MAX_SHORT_SIDE / min(width, height))
    return int(width * scale) // 2 * 2, int(height * scale) // 2 * 2


def _source_times(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> np.ndarray:
    """Presentation timestamps (stream time base) of every frame, sorted, read from packets without decoding."""
    pts = [p.pts for p in container.demux(stream) if p.size and p.pts is not None]
    return np.array(sorted(pts), dtype=np.int64)


def _cfr_map(times: np.ndarray, time_base: Fraction, fps: Fraction) -> np.ndarray:
    """For each constant-rate output frame, the index of the source frame on screen at its mid time."""
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64)
    seconds = (times - times[0]) * float(time_base)
    count = int(round(seconds[-1] * float(fps))) + 1
    mids = (np.arange(count) + 0.5) / float(fps)
    return np.clip(np.searchsorted(seconds, mids, side="right") - 1, 0, len(times) - 1)


class VideoSource:
    """A template video opened for repeated, streaming reads of normalised frames.

    `read(start, stop)` yields frames [start, stop) in order, seeking only when needed, so a
    forward pass decodes each frame once and memory stays flat.
    """

    def __init__(self, path: str | Path):
        self.path = input_file(path, "video")
        self._container = _open(self.path, "video")
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"video file has no video stream: {self.path}")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        fps = self._stream.average_rate or self._stream.guessed_rate or self._stream.base_rate
        if not fps or fps <= 0:
            log.warning("no frame rate in %s; assuming %s fps", self.path, DEFAULT_FPS)
            fps = DEFAULT_FPS
        self.fps = Fraction(fps).limit_denominator(1001)
        self._times = _source_times(self._container, self._stream)
        self._map = _cfr_map(self._times, self._stream.time_base, self.fps)
        if len(self._map) == 0:
            raise InputError(f"video file has no frames: {self.path}")
        self._frames: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._next_source = -1  # source index the open decoder yields next
        self._pending: tuple[int, av.VideoFrame] | None = None
        first = self._first_frame()
        self.rotation = int(first.rotation or 0) % 360
        self.info = self._make_info(first)
        if (self.info.width, self.info.height) != _rotated(first.width, first.height, self.rotation):
            log.info(
                "%s: %dx%d frames are scaled to %dx%d",
                self.path.name, first.width, first.height, self.info.width, self.info.height,
            )

    def _make_info(self, first: av.VideoFrame) -> VideoInfo:
        width, height = _display_size(first.width, first.height, self.rotation)
        return VideoInfo(
            path=self.path,
            width=width,
            height=height,
            fps=self.fps,
            frame_count=len(self._map),
            codec=self._stream.codec_context.name,
            source_width=first.width,
            source_height=first.height,
            rotation=self.rotation,
            has_audio=bool(self._container.streams.audio),
        )

    def _first_frame(self) -> av.VideoFrame:
        try:
            for _, frame in self._decode_from(0):
                return frame
        except av.error.FFmpegError as exc:
            raise InputError(
                f"cannot decode video stream (codec {self._stream.codec_context.name}: {_reason(exc)}): {self.path}"
            ) from exc
        raise InputError(f"video file has no decodable frames: {self.path}")

    def _decode_from(self, source_index: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Decoded frames with their source index, starting at the keyframe at or before source_index."""
        target = int(self._times[source_index])
        self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        for frame in self._container.decode(self._stream):
            if frame.pts is None:
                continue
            index = int(np.searchsorted(self._times, frame.pts, side="left"))
            yield min(index, len(self._times) - 1), frame

    def to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        """A decoded frame (see read_decoded) as a normalised RGB uint8 array; safe to call from
        another thread than the one decoding."""
        width, height = self.info.width, self.info.height
        if self.rotation % 180:
            width, height = height, width
        rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
        return np.ascontiguousarray(np.rot90(rgb, k=self.rotation // 90)) if self.rotation else rgb

    def _source_frame(self, source_index: int) -> av.VideoFrame:
        """The decoded source frame with this index, continuing the open decoder when possible."""
        if self._pending and self._pending[0] == source_index:
            return self._pending[1]
        if self._frames is None or source_index < self._next_source or source_index > self._next_source + 30:
            self._frames = self._decode_from(source_index)
        for index, frame in self._frames:
            self._next_source = index + 1
            if index >= source_index:
                self._pending = (index, frame)
                return frame
        raise InputError(f"video ends early (frame {source_index} of {len(self._times)} missing): {self.path}")

    def read(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Frames [start, stop) as RGB uint8 arrays of shape (height, width, 3)."""
        for frame in self._decoded(start, stop):
            yield self.to_rgb(frame)

    def _decoded(self, start: int, stop: int | None) -> Iterator[av.VideoFrame]:
        stop = self.info.frame_count if stop is None else min(stop, self.info.frame_count)
        for i in range(max(0, start), stop):
            try:
                yield self._source_frame(int(self._map[i]))
            except av.error.FFmpegError as exc:
                raise InputError(f"cannot decode video frame {i} ({_reason(exc)}): {self.path}") from exc

    def passes_through(self, frame: av.VideoFrame) -> bool:
        """Whether the encoder can take this decoded frame as it is (no scaling, rotation or
        conversion): what most templates, plain H.264 in yuv420p, give."""
        full_range = frame.color_range == 2  # JPEG range: the output is tagged limited range
        return (frame.format.name == "yuv420p" and not full_range and not self.rotation
                and (frame.width, frame.height) == (self.info.width, self.info.height))

    def read_indices(self, indices: np.ndarray, chunk: int | None = None) -> Iterator[np.ndarray]:
        """Frames in any order (e.g. a forward-backward timeline) as RGB; see read_decoded."""
        for frame in self.read_decoded(indices, chunk):
            yield self.to_rgb(frame)

    def read_decoded(self, indices: np.ndarray, chunk: int | None = None) -> Iterator[av.VideoFrame]:
        """The frames at `indices`, in that order, as decoded, before any conversion: they are half
        the size of RGB (yuv420p), convert with to_rgb, and the ones that pass_through go to the
        encoder as they are (VideoWriter.write). Where the timeline turns back, the last `chunk`
        frames decoded (default: as many as DECODED_BUDGET holds) are kept and shown again without
        decoding: a template that fits is decoded once however often the timeline loops over it,
        and one that does not turns back on the frames it has just shown. Forward runs stream; the
        rest of a backward run is decoded forward in chunks of that size and reversed."""
        chunk = chunk or max(16, DECODED_BUDGET // self.frame_bytes())
        held = chunk if np.any(np.diff(indices) < 0) else 0  # a timeline that never turns back holds none
        recent: OrderedDict[int, av.VideoFrame] = OrderedDict()

        def decoded(start: int, stop: int) -> Iterator[av.VideoFrame]:
            for i, frame in zip(range(start, stop), self._decoded(start, stop)):
                if held:
                    recent[i] = frame
                    recent.move_to_end(i)
                    if len(recent) > held:
                        recent.popitem(last=False)
                yield frame

        for run in _runs(indices):
            if run.step == 1:
                start = run.start
                while start < run.stop and start in recent:
                    yield recent[start]
                    start += 1
                yield from decoded(start, run.stop)  # continues the decoder where it stopped, if it can
                continue
            top, bottom = run.start, run[-1]
            while top >= bottom:
                if top in recent:
                    yield recent[top]
                    top -= 1
                    continue
                low = max(bottom, top - chunk + 1)
                yield from reversed(list(decoded(low, top + 1)))
                top = low - 1

    def frame_bytes(self) -> int:
        """Memory of one decoded frame (yuv420p, as most templates decode)."""
        return self.info.source_width * self.info.source_height * 3 // 2

    def close(self) -> None:
        self._frames = None
        self._pending = None
        self._container.close()

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _runs(indices: np.ndarray) -> Iterator[range]:
    """`indices` as maximal runs of consecutive frames, forward (step 1) or backward (step -1)."""
    i = 0
    while i < len(indices):
        step = 1 if i + 1 >= len(indices) or indices[i + 1] >= indices[i] else -1
        j = i + 1
        while j < len(indices) and indices[j] - indices[j - 1] == step:
            j += 1
        yield range(int(indices[i]), int(indices[j - 1]) + step, step)
        i = j


def _rotated(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation % 180 else (width, height)


def probe_video(path: str | Path) -> VideoInfo:
    with VideoSource(path) as source:
        return source.info


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Every normalised frame of a video, in order."""
    with VideoSource(path) as source:
        yield from source.read()


# --- audio ---------------------------------------------------------------------------------


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.audio.stream.AudioStream:
    if not container.streams.audio:
        raise InputError(f"audio file has no audio stream: {path}")
    return container.streams.audio[0]


def probe_audio(path: str | Path) -> AudioInfo:
    """Duration and format of the first audio stream (also of a video file's soundtrack)."""
    p = input_file(path, "audio")
    with _open(p, "audio") as container:
        stream = _audio_stream(container, p)
        duration = 0.0
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        return AudioInfo(
            path=p,
            duration=duration,
            sample_rate=stream.codec_context.sample_rate or stream.sample_rate,
            channels=stream.codec_context.channels or 1,
            codec=stream.codec_context.name,
        )


def iter_audio(path: str | Path, sample_rate: int, layout: str = "mono", fmt: str = "flt") -> Iterator[av.AudioFrame]:
    """Audio frames resampled to (sample_rate, layout, fmt), streamed."""
    p = input_file(path, "audio")
    with _open(p, "audio") as container:
        stream = _audio_stream(container, p)
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=sample_rate)
        try:
            for frame in container.decode(stream):
                frame.pts = None
                yield from resampler.resample(frame)
            yield from resampler.resample(None)
        except av.error.FFmpegError as exc:
            raise InputError(
                f"cannot decode audio stream (codec {stream.codec_context.name}: {_reason(exc)}): {p}"
            ) from exc


def _start_seconds(stream) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0


def load_soundtrack(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """A video's audio as load_audio gives it, but starting with the first frame: files often
    start their video a little after their audio (or before), and learning which sound goes
    with which mouth needs the two aligned."""
    samples = load_audio(path, sample_rate)
    with _open(input_file(path, "video"), "video") as container:
        if not container.streams.video:
            return samples
        lead = _start_seconds(container.streams.video[0]) - _start_seconds(container.streams.audio[0])
    shift = int(round(lead * sample_rate))
    return samples[shift:] if shift >= 0 else np.concatenate([np.zeros(-shift, np.float32), samples])


def load_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """The whole first audio stream as float32 mono samples at sample_rate.

    Raises InputError for a file with no audio, no samples, or only silence.
    """
    chunks = [frame.to_ndarray().reshape(-1) for frame in iter_audio(path, sample_rate)]
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if len(samples) < sample_rate // 25:
        raise InputError(f"audio is empty (shorter than one video frame): {path}")
    if float(np.max(np.abs(samples))) < 1e-4:
        raise InputError(f"audio is silent (no sound above -80 dBFS): {path}")
    return samples
