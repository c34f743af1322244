"""The on-disk template cache: one folder per template file content (sha256).

<data>/templates/<sha256>/
  analysis.npz   the arrays (uncompressed: loading a minute of template takes milliseconds)
  meta.json      analysis version, VideoInfo fields, column names; written last, so it marks a
                 complete entry: a crash mid-write leaves no meta.json and the entry is recomputed
  matte.npz      person matte per frame (analysis/matte.py), made only when a job asks for a
  matte.json     new background; versioned on its own, so a matte change keeps the face analysis
  .lock          fcntl lock file: the second job on the same template waits, then reuses the result

Files are written under temporary names and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..types import VideoInfo

log = logging.getLogger("heygem.analysis")

ARRAYS = "analysis.npz"
META = "meta.json"
LOCK = ".lock"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Exclusive lock on the entry, across processes and threads (each call opens its own file)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def video_info_fields(info: VideoInfo) -> dict[str, Any]:
    return {
        "path": str(info.path), "width": info.width, "height": info.height, "fps": str(info.fps),
        "frame_count": info.frame_count, "codec": info.codec, "source_width": info.source_width,
        "source_height": info.source_height, "rotation": info.rotation, "has_audio": info.has_audio,
    }


def video_info_from(fields: dict[str, Any], path: Path) -> VideoInfo:
    """VideoInfo as cached, for the file now at `path` (same content, maybe another name)."""
    values = dict(fields, path=path, fps=Fraction(fields["fps"]))
    return VideoInfo(**values)


def _replace_atomically(target: Path, write) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write(folder: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any],
          arrays_file: str = ARRAYS, meta_file: str = META, compress: bool = False) -> None:
    """Store an entry; call under `locked(folder)`. `compress` suits arrays that are mostly runs
    (mattes), not the landmark floats, which load faster uncompressed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / meta_file).unlink(missing_ok=True)  # the entry is incomplete until its meta is back
    save = np.savez_compressed if compress else np.savez
    _replace_atomically(folder / arrays_file, lambda f: save(f, **arrays))
    _replace_atomically(folder / meta_file, lambda f: f.write(json.dumps(meta, indent=1).encode()))


def read(folder: Path, version: int, names: tuple[str, ...], arrays_file: str = ARRAYS,
         meta_file: str = META) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The entry's arrays and meta, or None when it is missing, from another analysis version, or
    unreadable (then it is logged and recomputed rather than trusted)."""
    meta_path = folder / meta_file
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("analysis_version") != version:
            log.info("template cache %s is from analysis version %s, not %s: recomputing",
                     folder.name[:12], meta.get("analysis_version"), version)
            return None
        with np.load(folder / arrays_file, allow_pickle=False) as data:
            arrays = {name: data[name] for name in names}
        count = int(meta["video"]["frame_count"])
        if any(len(a) != count for a in arrays.values()):
            raise ValueError(f"arrays do not have {count} rows")
        return arrays, meta
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("template cache %s is unreadable (%s): recomputing", folder, exc)
        return None
