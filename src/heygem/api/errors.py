"""HeyGemError -> HTTP status with a JSON message. Bad input is always a 4xx, never a 500.

HeyGem.ai-compatible routes (/easy/...) answer in their own envelope instead (see easy.py).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import DeviceError, EngineUnavailable, HeyGemError, InputError, OutputError
from ..service import JobNotFound, JobStateError

log = logging.getLogger("heygem.api")


class UploadTooLarge(InputError):
    """An uploaded or downloaded file is over its size limit (HTTP 413)."""


class UnsupportedMedia(InputError):
    """A file's content is not the kind of media its field needs, e.g. a .mp4 that is no video (HTTP 415)."""


class Busy(HeyGemError):
    """The server is at a limit it sets itself (e.g. downloads in flight); retrying later works (HTTP 503)."""


class Gone(HeyGemError):
    """The job finished, but its output file is missing (HTTP 410)."""


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


ABSOLUTE_PATH = re.compile(r"""(?<![\w.:/~-])/+(?:[^\s/'"]+/+)+([^\s/'"]*)""")
"""A stand-alone absolute path (not the path part of a URL): "/srv/heygem/data/uploads/ab.mp4"."""


def public_text(text: str | None) -> str | None:
    """`text` with absolute server paths cut to their file names: clients learn nothing of the disk."""
    return ABSOLUTE_PATH.sub(lambda m: m.group(1) or "<folder>", text) if text else text


def status_of(exc: HeyGemError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


def install(app: FastAPI) -> None:
    from . import easy

    @app.exception_handler(HeyGemError)
    async def heygem_error(request: Request, exc: HeyGemError) -> JSONResponse:
        if easy.is_easy(request):
            return easy.error_response(exc)
        code = status_of(exc)
        log.info("%s %s -> %d: %s", request.method, request.url.path, code, exc)
        return JSONResponse({"detail": public_text(str(exc)), "error": type(exc).__name__}, status_code=code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if easy.is_easy(request):
            return easy.validation_response(exc)
        # FastAPI's own shape (a list of problems), minus the echoed input: it may be a whole file.
        problems = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in exc.errors()]
        return JSONResponse({"detail": problems}, status_code=422)
