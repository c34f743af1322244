"""Per-request staging of uploads: <data>/incoming/req-*/, removed when the request ends.

An upload is written here (within its size limit), its content is checked (a .mp4 must really be
a video), and only then is it handed to the job service, which copies it into <data>/uploads/.
So a refused file never reaches uploads/, and nothing stays behind in incoming/.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ..config import Settings, size_limit
from ..errors import InputError, UnsupportedMedia, UploadTooLarge
from ..units import MB

log = logging.getLogger("heygem.api")

CHUNK = 1 * MB
STALE_S = 3600
"""A staging folder this old belongs to a process that died mid-request."""
MAX_NAME_BYTES = 200
"""Longest kept file name in UTF-8 bytes: under the usual 255-byte limit, with room for suffixes."""


def staging_root(settings: Settings) -> Path:
    return settings.data_dir / "incoming"


def clear_staging(settings: Settings, now: float | None = None) -> None:
    """Remove staging folders left by a crash (not young ones: another server may share the data dir)."""
    root = staging_root(settings)
    now = time.time() if now is None else now
    for folder in root.glob("req-*") if root.is_dir() else ():
        try:
            if now - folder.stat().st_mtime > STALE_S:
                shutil.rmtree(folder)
        except OSError as exc:
            log.warning("cannot remove stale staging folder %s: %s", folder, exc)


@contextmanager
def staging(settings: Settings) -> Iterator[Path]:
    """A private folder for this request's files, deleted with everything in it on the way out."""
    root = staging_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="req-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def safe_name(filename: str | None, fallback: str) -> str:
    """The last component of a client's file name, without control characters or leading dots.

    Only used as a display name and for its extension; it never chooses where a file goes outside
    the staging folder."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\ud800-\udfff]", "", name).lstrip(". ").strip()
    if len(name.encode()) > MAX_NAME_BYTES:
        # File systems count bytes (255 at most), and one Chinese character is three of them.
        stem, dot, ext = name.rpartition(".")
        if not dot or len(ext) > 9:
            stem, dot, ext = name, "", ""
        name = _cut(stem, MAX_NAME_BYTES - len((dot + ext).encode())) + dot + ext
    return name or fallback


def _cut(text: str, most: int) -> str:
    """`text` cut to at most `most` UTF-8 bytes, never inside a character."""
    return text.encode()[:most].decode(errors="ignore").rstrip()


def too_large(kind: str, label: str, size: float, limit: int) -> UploadTooLarge:
    return UploadTooLarge(f"{label} is too big ({size / MB:.1f} MB or more; the limit for {kind} files is "
                          f"{limit / MB:.1f} MB, set by {size_limit(kind).env})")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def save_stream(source: Readable, folder: Path, filename: str, kind: str, limit: int, label: str) -> Path:
    """Copy a file object into its own subfolder of `folder`, refusing it past `limit` bytes."""
    target = folder / uuid.uuid4().hex[:12] / filename
    target.parent.mkdir()
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise too_large(kind, label, written, limit)
            out.write(chunk)
    if written == 0:
        raise InputError(f"{label} is empty (0 bytes)")
    return target


def sniff(path: Path, kind: str, label: str) -> None:
    """Refuse a file whose content is not the media its field needs, whatever its extension says."""
    from ..media.decode import probe_audio, probe_video
    from ..render.background import load_image

    try:
        if kind == "image":
            load_image(path)
        elif kind == "video":
            probe_video(path)
        else:
            probe_audio(path)
    except InputError as exc:
        # The decoder names our staging path; the client knows the file by its own name.
        reason = str(exc).replace(f": {path}", "").replace(str(path), path.name)
        raise UnsupportedMedia(f"{label} is not a usable {kind} file: {reason}") from exc


def stage_upload(upload, folder: Path, settings: Settings, kind: str, field: str) -> Path:
    """A multipart upload (starlette UploadFile), size-checked and sniffed, as a file in `folder`."""
    name = safe_name(upload.filename, field)
    label = f"{field} {name!r}"
    limit = settings.max_bytes(kind)
    if upload.size is not None and upload.size > limit:
        raise too_large(kind, label, upload.size, limit)
    path = save_stream(upload.file, folder, name, kind, limit, label)
    sniff(path, kind, label)
    return path
