"""Who runs a job, and whether that runner is still alive.

A running job records its owner, "<host>:<pid>:<token>", and a heartbeat. A job counts as
abandoned when its process is gone (same host), when it belongs to a stopped service of this very
process, or when its heartbeat is older than STALE_AFTER_S (another host, or a reused pid).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid

HEARTBEAT_S = 5.0
"""How often a service marks the jobs it runs as alive."""
STALE_AFTER_S = 90.0
"""A running job with no heartbeat for this long is taken to be abandoned, even if its pid exists."""

HOST = socket.gethostname()
_live: set[str] = set()
_live_lock = threading.Lock()


def new_owner() -> str:
    """A fresh owner name for a starting service, registered as alive in this process."""
    owner = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with _live_lock:
        _live.add(owner)
    return owner


def retire(owner: str) -> None:
    """The service stopped: jobs still marked with this owner are abandoned."""
    with _live_lock:
        _live.discard(owner)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def is_abandoned(owner: str | None, heartbeat_at: float | None, now: float) -> bool:
    if owner is None or heartbeat_at is None:
        return True
    if now - heartbeat_at > STALE_AFTER_S:
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != HOST or not pid_text.isdigit():
        return False  # another machine: only its heartbeat can tell
    pid = int(pid_text)
    if pid == os.getpid():
        with _live_lock:
            return owner not in _live
    return not _pid_alive(pid)
