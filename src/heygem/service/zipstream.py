"""The one zip writer: finished videos (and their subtitles), streamed while the zip is written,
so memory stays flat. The REST API sends the stream; the web UI writes it to a file.

Videos are already compressed, so members are stored (not deflated): the zip costs one read.
Member names come from service/naming.py (result_files).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..media.checks import written_whole
from ..units import MB

CHUNK = MB


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


def stream_zip(files: list[tuple[str, Path]]) -> Iterator[bytes]:
    """Yield the bytes of a zip holding each (member name, path)."""
    return (chunk for chunk in _zip_chunks(files) if chunk)


def write_zip(files: list[tuple[str, Path]], target: Path) -> Path:
    """Write the zip of `files` to `target` (under a temporary name, then renamed); returns target."""
    with written_whole(target) as part, part.open("wb") as out:
        for chunk in stream_zip(files):
            out.write(chunk)
    return target


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
