"""Cues -> SubRip (.srt) or WebVTT (.vtt) text, and the sidecar file written beside a video."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import OutputError
from ..media.checks import written_whole
from .cues import Cue


def sidecar_format(mode: str) -> str | None:
    """The file format written for a subtitles mode: "srt", "vtt" or None."""
    return {"srt": "srt", "vtt": "vtt", "burn": "srt"}.get(mode)


def sidecar_path(video: str | os.PathLike[str], mode: str) -> Path | None:
    """Where the subtitles of `video` are (or would be) written: beside it, same stem."""
    fmt = sidecar_format(mode)
    return Path(video).with_suffix(f".{fmt}") if fmt else None


def _stamp(seconds: float, separator: str) -> str:
    ms = max(0, round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n" for n, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n" for c in cues]
    return "\n".join(["WEBVTT\n", *blocks])


def write(cues: list[Cue], path: str | os.PathLike[str], fmt: str) -> Path:
    """Write cues as `fmt` ("srt" or "vtt") to path via a temporary name (never half a file)."""
    target = Path(path)
    text = to_srt(cues) if fmt == "srt" else to_vtt(cues)
    try:
        with written_whole(target) as part:
            part.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write subtitles to {target}: {exc}") from exc
    return target
