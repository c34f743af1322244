"""Where HeyGem.ai-style `audio_url` / `video_url` values may point: media roots or http(s) URLs.

A path is accepted only when its real location (symlinks followed) is a file inside one of the
media roots: HEYGEM_MEDIA_ROOTS (folders separated by ':' on Linux), default <data>/media. A
relative path is looked up in each root in turn. `..` is refused outright, so a path that leaves
its root never even gets looked up. An http(s) URL is downloaded into the request's staging
folder, within the file's size limit and DOWNLOAD_TIMEOUT_S.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..config import Settings
from ..errors import InputError
from .staging import limit_for, safe_name, save_stream, too_large

DOWNLOAD_TIMEOUT_S = 300.0
"""Longest a whole download may take."""
CONNECT_TIMEOUT_S = 10.0
MAX_REDIRECTS = 5
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def media_roots(settings: Settings, environ: dict[str, str] | None = None) -> tuple[Path, ...]:
    env = os.environ if environ is None else environ
    raw = env.get("HEYGEM_MEDIA_ROOTS", "")
    roots = [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()] or [settings.data_dir / "media"]
    return tuple(Path(os.path.realpath(root)) for root in roots)


def is_url(value: str) -> bool:
    return bool(SCHEME.match(value))


def local_file(value: str, roots: tuple[Path, ...], kind: str) -> Path:
    """The real path of `value` when it is a file inside a media root; InputError otherwise."""
    if "\x00" in value:
        raise InputError(f"{kind}_url contains a NUL character")
    path = Path(value)
    if ".." in path.parts or ".." in PurePosixPath(value.replace("\\", "/")).parts:
        raise InputError(f"{kind}_url must not contain '..': {value}")
    candidates = [path] if path.is_absolute() else [root / path for root in roots]
    allowed = ", ".join(str(r) for r in roots)
    for candidate in candidates:
        real = Path(os.path.realpath(candidate))
        root = next((r for r in roots if real == r or real.is_relative_to(r)), None)
        if root is None:
            # Said the same way whether or not the file exists: no probing the disk through us.
            raise InputError(f"{kind}_url is outside the media folders ({allowed}): {value}")
        if real.is_file():
            return real
    raise InputError(f"{kind} file not found in the media folders ({allowed}): {value}")


def download(url: str, folder: Path, settings: Settings, kind: str) -> Path:
    """Fetch an http(s) URL into `folder`, refusing it past the size limit or DOWNLOAD_TIMEOUT_S."""
    import httpx

    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"{kind}_url must be a path or an http(s) URL, not {parts.scheme}://")
    limit = limit_for(settings, kind)
    label = f"{kind}_url {url!r}"
    name = safe_name(unquote(parts.path.rsplit("/", 1)[-1]), kind)
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    timeout = httpx.Timeout(min(DOWNLOAD_TIMEOUT_S, 60.0), connect=CONNECT_TIMEOUT_S)
    try:
        with (httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout) as client,
              client.stream("GET", url) as response):
            if response.status_code != 200:
                raise InputError(f"cannot download {label}: HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large(kind, label, int(declared), limit)
            return save_stream(_Deadline(response.iter_bytes(), deadline, label), folder, name, kind, limit, label)
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise InputError(f"cannot download {label}: {exc or type(exc).__name__}") from exc


class _Deadline:
    """A file-like read() over an iterator of chunks that gives up at the deadline."""

    def __init__(self, chunks: Iterable[bytes], deadline: float, label: str) -> None:
        self._chunks = iter(chunks)
        self._deadline = deadline
        self._label = label

    def read(self, _size: int = -1) -> bytes:
        if time.monotonic() > self._deadline:
            raise InputError(f"download of {self._label} took longer than {DOWNLOAD_TIMEOUT_S:.0f} s")
        for chunk in self._chunks:
            if chunk:
                return chunk
        return b""
