"""Input and output path checks shared by decode and encode: fail early, name the file; and how
output files are written whole."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError, OutputError


def input_file(path: str | os.PathLike, kind: str) -> Path:
    """A readable, non-empty regular file, or an InputError saying what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{kind} file not found: {p}")
    if p.is_dir():
        raise InputError(f"{kind} path is a directory, not a file: {p}")
    if not os.access(p, os.R_OK):
        raise InputError(f"{kind} file is not readable (permissions): {p}")
    if p.stat().st_size == 0:
        raise InputError(f"{kind} file is empty (0 bytes): {p}")
    return p


def output_file(path: str | os.PathLike) -> Path:
    """An output path whose folder exists (or can be made) and is writable."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"output path is a directory, not a file: {p}")
    folder = p.parent if str(p.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {exc.strerror}") from exc
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder is not writable: {folder}")
    return p


@contextmanager
def written_whole(target: Path, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path beside `target` to write to: renamed onto `target` when the block ends
    without an error (so a reader never sees half a file), removed otherwise. overwrite=False:
    FileExistsError instead of replacing a file that is (or meanwhile appeared) at `target`."""
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        yield part
        if overwrite:
            os.replace(part, target)
        else:
            try:
                os.link(part, target)  # atomic, and fails where a file exists
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network shares): claim the name, then fill it
                with open(target, "xb"):
                    pass
                os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
