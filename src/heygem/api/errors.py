"""HeyGemError -> HTTP status with a JSON message. Bad input is always a 4xx, never a 500.

The exception classes live in heygem.errors; this module only maps them to HTTP. Routes with their
own reply envelope (HeyGem.ai's /easy/...) hand `install` a ReplyFormat, so this module knows
nothing of them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import (
    Busy,
    DeviceError,
    EngineUnavailable,
    Gone,
    HeyGemError,
    InputError,
    JobNotFound,
    JobStateError,
    OutputError,
    UnsupportedMedia,
    UploadTooLarge,
)

log = logging.getLogger("heygem.api")


# Most specific first: the first isinstance match wins.
STATUS: tuple[tuple[type[HeyGemError], int], ...] = (
    (JobNotFound, 404),
    (JobStateError, 409),
    (UploadTooLarge, 413),
    (UnsupportedMedia, 415),
    (Gone, 410),
    (Busy, 503),
    (InputError, 400),
    (EngineUnavailable, 400),
    # The server's own device or disk failed, not the request: retrying later may work.
    (DeviceError, 503),
    (OutputError, 503),
    (HeyGemError, 400),
)


@dataclass(frozen=True)
class ReplyFormat:
    """How the routes under `prefix` answer errors, in their own envelope instead of {"detail": ...}."""

    prefix: str
    error: Callable[[HeyGemError], Response]
    invalid_request: Callable[[RequestValidationError], Response]


ABSOLUTE_PATH = re.compile(r"""(?<![\w.:/~-])/+(?:[^\s/'"]+/+)+([^\s/'"]*)""")
"""A stand-alone absolute path (not the path part of a URL): "/srv/heygem/data/uploads/ab.mp4"."""


def public_text(text: str | None) -> str | None:
    """`text` with absolute server paths cut to their file names: clients learn nothing of the disk."""
    return ABSOLUTE_PATH.sub(lambda m: m.group(1) or "<folder>", text) if text else text


def status_of(exc: HeyGemError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


def install(app: FastAPI, formats: Sequence[ReplyFormat] = ()) -> None:
    """Answer HeyGemError and request validation errors as JSON; under a format's prefix, in its envelope."""

    def format_of(request: Request) -> ReplyFormat | None:
        return next((f for f in formats if request.url.path.startswith(f.prefix)), None)

    @app.exception_handler(HeyGemError)
    async def heygem_error(request: Request, exc: HeyGemError) -> Response:
        if own := format_of(request):
            return own.error(exc)
        code = status_of(exc)
        log.info("%s %s -> %d: %s", request.method, request.url.path, code, exc)
        return JSONResponse({"detail": public_text(str(exc)), "error": type(exc).__name__}, status_code=code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if own := format_of(request):
            return own.invalid_request(exc)
        # FastAPI's own shape (a list of problems), minus the echoed input: it may be a whole file.
        problems = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in exc.errors()]
        return JSONResponse({"detail": problems}, status_code=422)
