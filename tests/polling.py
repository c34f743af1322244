"""Waiting for something another thread or process does, without a fixed sleep."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    """predicate()'s first true value, polled until `timeout` seconds; AssertionError after that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s")
