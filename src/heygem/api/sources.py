"""Where HeyGem.ai-style `audio_url` / `video_url` values may point: media roots or http(s) URLs.

A path is accepted only when its real location (symlinks followed) is a file inside one of the
media roots: HEYGEM_MEDIA_ROOTS (folders separated by ':' on Linux), default <data>/media. A
relative path is looked up in each root in turn. `..` is refused outright, so a path that leaves
its root never even gets looked up.

An http(s) URL is downloaded into the request's staging folder, within the file's size limit and
HEYGEM_DOWNLOAD_TIMEOUT_S, by at most HEYGEM_MAX_DOWNLOADS requests at once (more are refused as
busy), so slow servers cannot tie up the threads that answer every other request. Downloads go
only to public addresses unless HEYGEM_ALLOW_PRIVATE_URLS is set: the address is checked when
each connection is made (after DNS, for every redirect), and the connection goes to the very
address checked, so a second DNS answer cannot swap in 127.0.0.1. Every failed download gives the
same message, so the server cannot be used to map which internal ports answer.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpcore

from ..config import Settings
from ..errors import Busy, DownloadFailed, InputError, UploadTooLarge
from .staging import safe_name, save_stream, too_large

log = logging.getLogger("heygem.api")

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
"""Longest wait for the next bytes of a download (the whole download has its own deadline)."""
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
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
    shown = repr(PurePosixPath(value.replace("\\", "/")).name or value)  # messages name the file, not folders
    if ".." in path.parts or ".." in PurePosixPath(value.replace("\\", "/")).parts:
        raise InputError(f"{kind}_url must not contain '..': {shown}")
    candidates = [path] if path.is_absolute() else [root / path for root in roots]
    # Named by their setting, not their paths: error texts do not show where the server keeps files.
    allowed = "HEYGEM_MEDIA_ROOTS"
    for candidate in candidates:
        real = Path(os.path.realpath(candidate))
        root = next((r for r in roots if real == r or real.is_relative_to(r)), None)
        if root is None:
            # Said the same way whether or not the file exists: no probing the disk through us.
            raise InputError(f"{kind}_url is outside the media folders ({allowed}): {shown}")
        if real.is_file():
            return real
    raise InputError(f"{kind} file not found in the media folders ({allowed}): {shown}")


def failed(kind: str) -> InputError:
    """The one message for any download that did not work (the reason goes to the server log only)."""
    return InputError(f"cannot download {kind}_url: nothing usable came from that address (it must be a "
                      f"public http(s) URL that answers with the file)")


class Downloads:
    """The app's URL downloads: at most `settings.max_downloads` at once; more raise Busy at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._slots = threading.BoundedSemaphore(max(1, settings.max_downloads))

    def fetch(self, url: str, folder: Path, kind: str) -> Path:
        if not self._slots.acquire(blocking=False):
            raise Busy(f"the server is busy with {self.settings.max_downloads} downloads already; "
                       f"try again shortly (HEYGEM_MAX_DOWNLOADS sets how many run at once)")
        try:
            return download(url, folder, self.settings, kind)
        finally:
            self._slots.release()


def download(url: str, folder: Path, settings: Settings, kind: str) -> Path:
    """Fetch an http(s) URL into `folder`, within the size limit and settings.download_timeout_s."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise InputError(f"{kind}_url must be a path or an http(s) URL, not {urlsplit(url).scheme}://")
    limit = settings.max_bytes(kind)
    label = f"{kind}_url {url!r}"
    timeout_s = settings.download_timeout_s
    deadline = time.monotonic() + timeout_s
    read_s = min(READ_TIMEOUT_S, timeout_s)
    timeouts = {"connect": min(CONNECT_TIMEOUT_S, timeout_s), "read": read_s, "write": read_s, "pool": read_s}
    backend = _CheckedBackend(settings.allow_private_urls)
    name = safe_name(unquote(urlsplit(url).path.rsplit("/", 1)[-1]), kind)  # the name the client gave
    try:
        with httpcore.ConnectionPool(network_backend=backend, retries=0) as pool:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                # identity: a compressed body would be inflated past the size limit before it is counted.
                headers = {"Accept-Encoding": "identity", "User-Agent": "heygem"}
                with pool.stream("GET", current, headers=headers, extensions={"timeout": timeouts}) as response:
                    if response.status in REDIRECTS:
                        current = urljoin(current, _header(response, b"location"))
                        if urlsplit(current).scheme.lower() not in ("http", "https"):
                            raise DownloadFailed(f"redirect to {current!r}")
                        continue
                    if response.status != 200:
                        raise DownloadFailed(f"HTTP {response.status}")
                    if _header(response, b"content-encoding").lower() not in ("", "identity"):
                        raise DownloadFailed(f"compressed body ({_header(response, b'content-encoding')})")
                    declared = _header(response, b"content-length")
                    if declared.isdigit() and int(declared) > limit:
                        raise too_large(kind, label, int(declared), limit)
                    chunks = _Deadline(response.iter_stream(), deadline)
                    return save_stream(chunks, folder, name, kind, limit, label)
            raise DownloadFailed("too many redirects")
    except UploadTooLarge:
        raise
    except (DownloadFailed, OSError, ValueError, httpcore.TimeoutException, httpcore.NetworkError,
            httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        log.info("download of %s failed: %s", label, exc or type(exc).__name__)
        raise failed(kind) from None


def _header(response, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in response.headers if k.lower() == name), "")


def is_public(address: str) -> bool:
    """True for an address on the public internet (not loopback, private, link-local, reserved, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


class _CheckedBackend(httpcore.SyncBackend):
    """httpcore's sockets, connected only to addresses that passed the check (the checked one itself)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        if not addresses:
            raise DownloadFailed(f"{host} has no address")
        if not self.allow_private:
            refused = [a for a in addresses if not is_public(a)]
            if refused:
                raise DownloadFailed(f"{host} resolves to a non-public address ({refused[0]}); "
                                     f"HEYGEM_ALLOW_PRIVATE_URLS=1 allows it")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class _Deadline:
    """A file-like read() over an iterator of chunks that gives up at the deadline."""

    def __init__(self, chunks: Iterable[bytes], deadline: float) -> None:
        self._chunks = iter(chunks)
        self._deadline = deadline

    def read(self, _size: int = -1) -> bytes:
        if time.monotonic() > self._deadline:
            raise DownloadFailed("took longer than HEYGEM_DOWNLOAD_TIMEOUT_S")
        for chunk in self._chunks:
            if chunk:
                return chunk
        return b""
