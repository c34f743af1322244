"""Request size limits, enforced while the body streams in (before anything reaches the disk).

Each upload is also checked against its own limit once parsed (staging.py); this cap stops a
client that streams gigabytes from filling the temp folder first. Only API routes are capped here:
the web UI (Gradio) has its own upload handling.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import MB, Settings

MAX_BATCH_FILES = 50
"""Most templates (or audios) in one batch request."""
FORM_SLACK = 1 * MB
"""Room for the multipart framing and text fields around the files."""
JSON_LIMIT = 1 * MB
"""Any other API request body (JSON, small forms)."""
DRAIN = 8 * MB
"""A body at most this much over its limit is read to the end (and discarded) before the 413: a
server that answers and closes mid-upload makes the client see a connection reset, not the answer.
Bigger bodies are cut off at once (clients sending `Expect: 100-continue` still get the 413)."""


def body_limits(settings: Settings) -> dict[str, int]:
    """Largest request body per upload route."""
    biggest = max(settings.max_video_bytes, settings.max_audio_bytes)
    return {
        "/api/v1/jobs": settings.max_video_bytes + settings.max_audio_bytes + FORM_SLACK,
        "/api/v1/batches": MAX_BATCH_FILES * biggest + settings.max_video_bytes + settings.max_audio_bytes
        + FORM_SLACK,
    }


def _too_large(limit: int) -> str:
    return f"request body is larger than this route accepts ({limit / MB:.1f} MB)"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limits = body_limits(settings)

    def _limit(self, path: str) -> int | None:
        if path in self.limits:
            return self.limits[path]
        if path.startswith(("/api/", "/easy/")):
            return JSON_LIMIT
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            # Refused before a byte reaches the app or the disk.
            if int(declared) <= limit + DRAIN:
                await _drain(receive, DRAIN + limit)
            await _send_413(send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN)
                    # An HTTPException: FastAPI passes it through its body parsing unchanged.
                    raise HTTPException(413, _too_large(limit))
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _send_413(send, limit)


async def _drain(receive: Receive, most: int) -> None:
    """Read and drop the rest of the body, up to `most` bytes."""
    drained = 0
    while drained <= most:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": _too_large(limit)}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
