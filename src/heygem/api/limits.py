"""Request size limits, enforced while the body streams in (before anything reaches the disk).

Every request body on the API has a total cap. Multipart bodies of the upload routes are also
followed part by part as they stream: a file part past its kind's limit (video or audio) is cut
off at that point, not after it was spooled whole into the temp folder. Each upload is checked
again once parsed (staging.py). The web UI's upload route gets a total cap (its own code limits
each file).
"""

from __future__ import annotations

import json

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..units import MB
from .staging import safe_name, too_large

MAX_BATCH_FILES = 50
"""Most templates (or audios) in one batch request."""
MAX_PARTS = 2 * MAX_BATCH_FILES + 20
"""Most parts (files and fields) in one upload request."""
UI_UPLOAD = "/gradio_api/upload"
FILE_FIELDS = {"template": "video", "templates": "video", "audio": "audio", "audios": "audio"}
"""Which limit each upload field's parts get; every other part is a form field (FORM_SLACK)."""
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
    return {
        "/api/v1/jobs": settings.max_video_bytes + settings.max_audio_bytes + FORM_SLACK,
        "/api/v1/batches": settings.max_batch_bytes + FORM_SLACK,
        UI_UPLOAD: settings.max_batch_bytes + FORM_SLACK,
    }


def _too_large(limit: int) -> str:
    return f"request body is larger than this route accepts ({limit / MB:.1f} MB)"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
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
        started = cut_off = False
        parts = self._part_counter(scope)

        async def counting_receive() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                problem = _too_large(limit) if received > limit else parts.feed(chunk) if parts else None
                if problem:
                    cut_off = True
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN)
                    # An HTTPException: FastAPI passes it through its body parsing unchanged.
                    raise HTTPException(413, problem)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if cut_off:
                    # The app answered our 413 itself. Close the connection after it: otherwise the
                    # server reads (and drops) the rest of the body to reuse the connection.
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _send_413(send, limit, exc.detail)

    def _part_counter(self, scope: Scope) -> "_Parts | None":
        if scope["path"] not in ("/api/v1/jobs", "/api/v1/batches"):
            return None
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        return _Parts(boundary, self.settings) if kind == b"multipart/form-data" and boundary else None


class _Parts:
    """Follows a multipart body as it streams; feed() names the first part (or part count) over its limit.

    It is the parser the route's form parsing uses (python-multipart), so both agree on where a
    part ends: a line that only looks like a boundary cannot reset the count."""

    def __init__(self, boundary: bytes, settings: Settings) -> None:
        self.settings = settings
        self.count = 0
        self.size = 0
        self.limit = FORM_SLACK
        self.label = ""
        self.kind = ""
        self.problem: str | None = None
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_header_field": self._on_field, "on_header_value": self._on_value,
            "on_header_end": self._header_end, "on_headers_finished": self._headers_done, "on_part_data": self._data,
        })

    def feed(self, chunk: bytes) -> str | None:
        if self.problem is None and chunk:
            try:
                self._parser.write(chunk)
            except FormParserError:
                pass  # malformed framing: the route's form parser meets it too and answers 400
        return self.problem

    def _begin(self) -> None:
        self.count += 1
        self.size, self._headers = 0, {}
        if self.count > MAX_PARTS:
            self.problem = f"too many parts in one request (at most {MAX_PARTS})"

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_done(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        field = params.get(b"name", b"").decode("utf-8", "replace")
        self.kind = FILE_FIELDS.get(field, "")
        self.limit = self.settings.max_bytes(self.kind) if self.kind else FORM_SLACK
        filename = params.get(b"filename", b"").decode("utf-8", "replace")
        self.label = f"{field} {safe_name(filename, field)!r}"

    def _data(self, data: bytes, start: int, end: int) -> None:
        self.size += end - start
        if self.size > self.limit and self.problem is None:
            self.problem = (str(too_large(self.kind, self.label, self.size, self.limit)) if self.kind
                            else f"form field {self.label} is larger than {FORM_SLACK / MB:.0f} MB")


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


async def _send_413(send: Send, limit: int, detail: str | None = None) -> None:
    body = json.dumps({"detail": detail or _too_large(limit)}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
