"""The client's voice service: POST /v1/invoke (text -> WAV) and POST /v1/preprocess_and_tran.

Speech comes from our offline voices, chosen by the text's language. HeyGem.ai clones the voice of
`reference_audio`; we cannot, and say so once in the log. Failures answer `{"code": -1, "message"}`
like the original service: /v1/invoke with an HTTP error status (the client must not save an error
as a WAV), /v1/preprocess_and_tran with HTTP 200 and the code, which is what the client checks.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ... import __version__
from ...config import Settings
from ...errors import HeyGemError, InputError
from ..auth import TokenMiddleware
from ..errors import status_of
from ..limits import JSON_LIMIT, BodyLimitMiddleware
from ..origin import SameOriginMiddleware
from ..sources import local_file
from ..staging import too_large
from .client import DesktopClient
from .transcript import english_transcript

log = logging.getLogger("heygem.api.heygem_ai")

FAILED = -1
ASR_RATE = 16000
"""Sample rate of the reference copy the client stores as `asr_format_audio_url`."""


class InvokeBody(BaseModel):
    """What the client sends (its sampling knobs such as topP or temperature are ignored)."""

    model_config = ConfigDict(extra="ignore")
    text: str = Field(description="what to say; the language picks the voice")
    format: str = Field("wav", description="only 'wav'")
    speaker: str | None = Field(None, description="ignored (the client sends a fresh uuid)")
    reference_audio: str | None = Field(None, description="voice to clone: not supported, ignored")
    reference_text: str | None = None


class PreprocessBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reference_audio: str = Field(max_length=4096, description="a file inside voice/data, relative to it")
    format: str | None = None
    lang: str = Field("zh", max_length=16, description="the speech's language; only 'en' gets a transcript")


def failure(message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": FAILED, "message": message}, status_code=status)


def invoke(body: InvokeBody, cloning_noted: threading.Event) -> Response:
    from ...tts import synthesize, wav_bytes

    if body.format.lower() != "wav":
        raise InputError(f"format {body.format!r} is not supported; ask for 'wav'")
    if body.reference_audio and not cloning_noted.is_set():
        cloning_noted.set()
        log.warning("voice cloning is not supported: /v1/invoke speaks with the built-in voice for the "
                    "text's language and ignores reference_audio (%s)", body.reference_audio)
    return Response(wav_bytes(synthesize(body.text)), media_type="audio/wav")


def preprocess(body: PreprocessBody, settings: Settings, client: DesktopClient) -> dict:
    """A 16 kHz mono WAV copy of the reference audio beside it, and its transcript when English."""
    from ...media.decode import load_audio
    from ...tts import Speech, write_wav

    source = local_file(body.reference_audio.replace("\\", "/"), (client.voice_dir,), "reference_audio")
    size = source.stat().st_size
    if size > settings.max_audio_bytes:
        raise too_large("audio", "reference_audio", size, settings.max_audio_bytes)
    samples = load_audio(source, ASR_RATE)
    target = write_wav(Speech(samples, ASR_RATE), source.with_name(f"{source.stem}_16k.wav"))
    text = english_transcript(samples, ASR_RATE) if body.lang.lower().startswith("en") else ""
    log.info("reference audio %s: 16 kHz copy %s, transcript %r", body.reference_audio, target.name, text[:80])
    return {"code": 0, "asr_format_audio_url": target.relative_to(client.voice_dir).as_posix(),
            "reference_audio_text": text}


class _JsonLimit(BodyLimitMiddleware):
    """Every route here takes a small JSON body."""

    def _limit(self, path: str) -> int | None:
        return JSON_LIMIT


def _cross_site(request: Request) -> bool:
    # The client calls from Node (no Origin header); a browser page from elsewhere sends one.
    origin, host = request.headers.get("origin"), request.headers.get("host")
    return origin is not None and (host is None or urlsplit(origin).netloc.lower() != host.lower())


def tts_app(settings: Settings, client: DesktopClient) -> FastAPI:
    app = FastAPI(title="HeyGem (HeyGem.ai voice service)", version=__version__,
                  openapi_url=None, docs_url=None, redoc_url=None)
    cloning_noted = threading.Event()  # said once per server, not on every sentence

    @app.post("/v1/invoke")
    def invoke_route(request: Request, body: InvokeBody) -> Response:
        if _cross_site(request):
            return failure("cross-site request refused", 403)
        try:
            return invoke(body, cloning_noted)
        except HeyGemError as exc:
            log.info("/v1/invoke refused: %s", exc)
            return failure(str(exc), status_of(exc))

    @app.post("/v1/preprocess_and_tran")
    def preprocess_route(request: Request, body: PreprocessBody) -> JSONResponse:
        if _cross_site(request):
            return failure("cross-site request refused", 403)
        try:
            return JSONResponse(preprocess(body, settings, client))
        except HeyGemError as exc:
            log.info("/v1/preprocess_and_tran refused: %s", exc)
            return failure(str(exc))
        except Exception:
            log.exception("/v1/preprocess_and_tran failed")
            return failure("system error (see the server log)")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        return failure("; ".join(problems), 400 if request.url.path == "/v1/invoke" else 200)

    app.add_middleware(_JsonLimit, settings=settings)
    app.add_middleware(SameOriginMiddleware, bound_host=settings.host, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(TokenMiddleware, token=settings.api_token)
    return app
