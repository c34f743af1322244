"""Logging set-up for front ends. Library code only calls logging.getLogger("heygem...")."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is when a record comes, not as it was at set-up: a front end run
    in-process (tests) would otherwise keep writing to a stream swapped out and closed since."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(log_file: Path | None, level: str = "INFO", console_level: str | None = "INFO") -> None:
    """Console (stderr, at console_level; None for none) plus a rotating file the web UI can tail.
    Safe to call twice."""
    root = logging.getLogger("heygem")
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_heygem", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if console_level:
        stream = _StderrHandler()
        stream.setLevel(console_level)
        handlers.append(stream)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
        )
    for handler in handlers:
        handler._heygem = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)


def tail(log_file: Path, lines: int = 200) -> str:
    """The last lines of the log file ("" when there is none yet)."""
    if not log_file.is_file():
        return ""
    with log_file.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - lines * 300))
        text = f.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
