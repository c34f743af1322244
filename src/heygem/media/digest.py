"""File content hashes: the one place a file's sha256 is computed.

Inputs are stored content-addressed as <data>/uploads/<sha256>.<ext> (service/uploads.py), and the
template cache is keyed by the same hash. A stored upload is not read again to learn its hash: its
name says it. Only files inside the uploads folder (which only the service writes) are trusted so.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import BinaryIO

from ..units import MB

CHUNK = 4 * MB
_CONTENT_NAME = re.compile(r"([0-9a-f]{64})\.[a-z0-9]{1,10}")
"""<sha256>.<ext> as service/uploads.py names its copies."""


def file_sha256(path: Path) -> str:
    """The hex sha256 of the file's bytes (one full read)."""
    with open(path, "rb") as f:
        return copy_hashing(f, None)


def copy_hashing(src: BinaryIO, dst: BinaryIO | None) -> str:
    """Copy src to dst (when given) in one pass, returning the hex sha256 of what was read."""
    digest = hashlib.sha256()
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        if dst is not None:
            dst.write(chunk)
    return digest.hexdigest()


def content_sha256(path: Path, trusted_dir: Path | None) -> str:
    """The file's sha256: read from its name when it is a content-addressed copy directly inside
    `trusted_dir` (the service's uploads folder), else computed from its bytes.

    A link pointing out of `trusted_dir`, a file elsewhere or one with another name is hashed.
    """
    if trusted_dir is not None:
        real = Path(path).resolve()
        match = _CONTENT_NAME.fullmatch(real.name)
        if match and real.parent == Path(trusted_dir).resolve() and real.is_file():
            return match.group(1)
    return file_sha256(path)
