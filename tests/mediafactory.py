"""Tiny real media made with PyAV for tests (any container/codec PyAV writes)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def moving_frames(count: int, width: int, height: int) -> list[np.ndarray]:
    """Frames whose content identifies the frame: a bar at x = index and a grey level = index."""
    frames = []
    for i in range(count):
        img = np.full((height, width, 3), (i * 7) % 200 + 20, np.uint8)
        img[:, (i * 3) % width, :] = 255
        frames.append(img)
    return frames


def write_video(
    path: Path,
    frames: list[np.ndarray] | int = 25,
    size: tuple[int, int] = (64, 48),
    fps: int | Fraction = 25,
    codec: str = "libx264",
    audio: np.ndarray | None = None,
    audio_rate: int = 16000,
    rotation: int | None = None,
    video_start: int = 0,
) -> Path:
    """A small real video file (any container/codec PyAV writes), optionally with a mono audio track;
    video_start: frame times the picture starts after the sound."""
    if isinstance(frames, int):
        frames = moving_frames(frames, *size)
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p" if codec != "ffv1" else "yuv444p"
        if codec == "mpeg4":
            stream.bit_rate = 4_000_000  # its default rate blurs tiny test frames past recognition
        if rotation is not None:
            stream.set_display_rotation(rotation)
        astream = None
        if audio is not None:
            if path.suffix == ".webm":
                astream = container.add_stream("libopus", rate=48000)
            else:
                aac = path.suffix in (".mp4", ".mov", ".mkv", ".flv")
                astream = container.add_stream("aac" if aac else "mp3", rate=audio_rate)
            astream.layout = "mono"
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i + video_start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if astream is not None:
            _encode_audio(container, astream, audio, audio_rate)
    return path


def _encode_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=stream.rate)
    frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[None, :], format="flt", layout="mono")
    frame.sample_rate = rate
    written = 0
    for out in resampler.resample(frame) + resampler.resample(None):
        out.pts, out.time_base = written, Fraction(1, stream.rate)  # lets the muxer mark AAC's priming
        written += out.samples
        container.mux(stream.encode(out))
    container.mux(stream.encode(None))


def speechlike(seconds: float, rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Syllable-rate modulated harmonic noise with pauses: loud and quiet stretches like speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 700, 1100), 1))
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) * (np.sin(2 * np.pi * 0.35 * t) > -0.3)
    return (0.3 * voice * envelope + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


def write_audio(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """Write mono float samples to wav/mp3/m4a/aac/flac/ogg by the path's suffix."""
    codec = {".wav": "pcm_s16le", ".mp3": "libmp3lame", ".m4a": "aac", ".aac": "aac",
             ".flac": "flac", ".ogg": "libopus"}[path.suffix]
    fmt = {".m4a": "mp4", ".aac": "adts"}.get(path.suffix)
    out_rate = 48000 if codec == "libopus" else rate
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        _encode_audio(container, stream, samples, rate)
    return path


def write_broken_video(path: Path, frames: list[np.ndarray], broken: int) -> Path:
    """A PNG-in-MOV video whose frame `broken` cannot be decoded (its image data is scrambled);
    the container and every other frame are intact, so the file opens and fails mid-stream."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("png", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = bytearray(path.read_bytes())
    start = -1
    for _ in range(broken + 1):
        start = data.index(b"\x89PNG\r\n\x1a\n", start + 1)
    image = data.index(b"IDAT", start)
    data[image + 4:image + 40] = bytes(b ^ 0x5A for b in data[image + 4:image + 40])
    path.write_bytes(bytes(data))
    return path
