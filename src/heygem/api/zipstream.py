"""A zip of finished videos, streamed while it is written: no temp file, memory stays flat.

Videos are already compressed, so members are stored (not deflated): the zip costs one read.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

CHUNK = 1024 * 1024


class _Sink:
    """A write-only, unseekable file: zipfile then writes data descriptors instead of seeking back."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def member_names(names: Iterable[str], suffixes: Iterable[str] | None = None) -> list[str]:
    """File-system-safe, unique names for the zip's members ("anchor + news.mp4", "... (2).mp4");
    `suffixes`: each file's extension (default .mp4; .webm for a transparent video)."""
    out: list[str] = []
    seen: set[str] = set()
    for name, suffix in zip(names, suffixes or itertools.repeat(".mp4")):
        stem = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", name).strip(" .") or "video"
        candidate, n = f"{stem}{suffix}", 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{stem} ({n}){suffix}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def stream_zip(files: list[tuple[str, Path]]) -> Iterator[bytes]:
    """Yield the bytes of a zip holding each (member name, path)."""
    return (chunk for chunk in _zip_chunks(files) if chunk)


def _zip_chunks(files: list[tuple[str, Path]]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for name, path in files:
            with path.open("rb") as src, archive.open(name, "w", force_zip64=True) as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
