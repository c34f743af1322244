"""What the web UI accepts as uploads, and the one-line preview of an accepted file.

The service checks sizes again on submit; checking here as well lets the page say what is wrong
the moment a file is dropped, instead of after the user pressed Generate.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..errors import InputError
from ..units import MB
from .labels import both

VIDEO_TYPES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".flv")
AUDIO_TYPES = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg")
BROWSER_VIDEO = (".mp4", ".webm", ".mov")
"""Containers a browser's <video> usually plays; others get the text preview only."""

_KIND = {"video": both("视频", "video"), "audio": both("音频", "audio")}


def check(path: str | Path, kind: str, settings: Settings) -> Path:
    """The file, if its type and size are acceptable; else an InputError in both languages."""
    p = Path(path)
    types = VIDEO_TYPES if kind == "video" else AUDIO_TYPES
    if p.suffix.lower() not in types:
        raise InputError(
            f"不支持的{_KIND[kind].split()[0]}格式 unsupported {kind} format "
            f"'{p.suffix or p.name}': {p.name} — {both('支持', 'accepted')}: {' '.join(t[1:] for t in types)}"
        )
    if not p.is_file() or p.stat().st_size == 0:
        raise InputError(f"{both('文件为空或不存在', 'file is empty or missing')}: {p.name}")
    limit = settings.max_bytes(kind)
    size = p.stat().st_size
    if size > limit:
        raise InputError(
            f"{both('文件太大', 'file too big')}: {p.name} ({size / MB:.1f} MB > {limit / MB:.0f} MB)"
        )
    return p


def describe(path: str | Path, kind: str, settings: Settings) -> str:
    """"2.0 s · 640×360 · 25 fps" for a valid file; InputError (bilingual) for a bad one."""
    from ..media.decode import probe_audio, probe_video

    p = check(path, kind, settings)
    try:
        if kind == "video":
            info = probe_video(p)
            fps = float(info.fps)
            sound = both("有声", "with sound") if info.has_audio else both("无声", "silent")
            return (f"{p.name}: {info.duration:.1f} s · {info.width}×{info.height} · "
                    f"{fps:.3g} fps · {info.codec} · {sound}")
        info = probe_audio(p)
        return f"{p.name}: {info.duration:.1f} s · {info.sample_rate} Hz · {info.channels} ch · {info.codec}"
    except InputError as exc:
        raise InputError(f"{both('无法读取文件', 'cannot read file')} {p.name}: {exc}") from exc
