"""Logging set-up of the front ends."""

from __future__ import annotations

import io
import logging
import sys

from heygem.log import setup_logging


def test_the_console_log_goes_to_stderr_as_it_is_when_a_line_comes(monkeypatch):
    """A front end run in-process (as tests run the CLI) must not keep writing to a stream that was
    swapped out and closed since: each line would print a logging error instead."""
    setup_logging(None)
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    logging.getLogger("heygem.test").warning("first line")
    assert "first line" in first.getvalue()
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("heygem.test").warning("second line")
    assert "second line" in second.getvalue()
