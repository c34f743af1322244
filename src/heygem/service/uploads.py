"""Content-addressed input copies: <data>/uploads/<sha256>.<ext>.

A queued job points at its own copy, so deleting or editing the user's original never breaks it,
and the same file uploaded twice is stored once.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

from ..config import size_limit
from ..errors import InputError
from ..media.checks import input_file
from ..media.digest import copy_hashing
from ..units import MB

STALE_PART_S = 3600
"""Half-copied files older than this are left over from a crash (a live copy finishes much sooner)."""


def _suffix(path: Path) -> str:
    # Keep the extension (people and some demuxers read it), but never let a name inject path parts.
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ".bin"


def store_input(path: str | os.PathLike, kind: str, uploads_dir: Path, max_bytes: int | None = None) -> Path:
    """Copy `path` into uploads_dir as <sha256>.<ext> (once) and return the copy.

    Raises InputError when the file is missing, empty, unreadable or larger than max_bytes.
    """
    source = input_file(path, kind)
    size = source.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"{kind} file is too big ({size / MB:.1f} MB; the limit is {max_bytes / MB:.0f} MB, "
                         f"set {size_limit(kind).env} to change it): {source}")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    part = uploads_dir / f".{uuid.uuid4().hex}.part"
    try:
        # One pass: hash while copying, then rename, so a crash never leaves a wrong <sha256> file.
        with source.open("rb") as src, part.open("wb") as dst:
            sha256 = copy_hashing(src, dst)
        return adopt(part, sha256, _suffix(source))
    except OSError as exc:
        raise InputError(f"cannot copy {kind} file into {uploads_dir} ({exc.strerror}): {source}") from exc
    finally:
        part.unlink(missing_ok=True)


def adopt(part: Path, sha256: str, suffix: str) -> Path:
    """Move a finished temp file to <sha256><suffix> beside it (keeping an existing identical copy)."""
    target = part.parent / f"{sha256}{suffix}"
    if target.exists():
        part.unlink(missing_ok=True)
    else:
        os.replace(part, target)
    return target


def remove_stale_parts(uploads_dir: Path, now: float | None = None) -> int:
    """Delete half-copied files a crashed process left; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    for part in uploads_dir.glob(".*.part"):
        try:
            if now - part.stat().st_mtime > STALE_PART_S:
                part.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed
