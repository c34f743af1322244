"""Refuse cross-site browser requests that change state on the API.

A web page on another site can make the browser POST a multipart form or an empty body to
http://127.0.0.1:7860 without any CORS preflight, so a server without a token could be made to
queue or cancel jobs by whatever page its user opens. Browsers always send `Origin` on such
requests; scripts (curl, requests) send none and are not affected. The web UI (Gradio) applies
its own origin checks to its routes.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

SAFE = ("GET", "HEAD", "OPTIONS")


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), None)


class SameOriginMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] not in SAFE
                and scope["path"].startswith(("/api/", "/easy/"))):
            origin = _header(scope, b"origin")
            host = _header(scope, b"host")
            if origin is not None and (host is None or urlsplit(origin).netloc.lower() != host.lower()):
                await _refuse(send, origin)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, origin: str) -> None:
    body = json.dumps({"detail": f"cross-site request refused: a page from {origin} may not change jobs here",
                       "error": "CrossOrigin"}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
