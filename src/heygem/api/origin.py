"""Where requests come from: the Host they name and the site (Origin) that made the browser send them.

Host (DNS rebinding): a page on rebind.evil.example can make its name resolve to 127.0.0.1 and then
talk to a local server as if it were its own site (same origin, so no CORS and no Origin check
stops it). A server bound to a loopback address therefore answers only requests whose Host is a
loopback name or address, or one of HEYGEM_ALLOWED_HOSTS. A server bound to another address answers
any Host unless HEYGEM_ALLOWED_HOSTS is set (then those names plus loopback ones).

Origin (cross-site requests): a web page on another site can make the browser POST a multipart
form or an empty body to http://127.0.0.1:7860 without any CORS preflight, so a server without a
token could be made to queue or cancel jobs, or fill the web UI's upload folder, by whatever page
its user opens. Browsers always send `Origin` on such requests (and on WebSocket handshakes);
scripts (curl, requests) send none and are not affected. This covers every route: the API, the
HeyGem.ai routes and the web UI's own (uploads, queue).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import is_loopback

SAFE = ("GET", "HEAD", "OPTIONS")
PAGE_HEADERS = [
    # No other site may frame the UI (and trick clicks on "delete all" through an invisible frame).
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
    # Files are what their content type says, never sniffed into HTML or script.
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
HOST = re.compile(r"(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::\d{1,5})?")
"""What a Host header may be: a name or an IPv4 address, or an IPv6 one in brackets, with an optional port."""


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), None)


def _netloc(origin: str) -> str | None:
    try:
        return urlsplit(origin).netloc.lower()
    except ValueError:  # "http://[::1" and the like: no site at all
        return None


def host_name(value: str) -> str:
    """The name in a Host header without its port ("[::1]:80" -> "::1"); "" when it is no plain host[:port]."""
    match = HOST.fullmatch(value.strip())
    return (match.group(1) or match.group(2)).rstrip(".") if match else ""


class SameOriginMiddleware:
    """Refuse requests to an unexpected Host and cross-site browser requests that change anything;
    tell browsers that no other site may frame these pages."""

    def __init__(self, app: ASGIApp, bound_host: str = "127.0.0.1", allowed_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed = {h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip()}
        # Only loopback-bound servers (or those told their names) can know every name they go by.
        self.check_host = is_loopback(bound_host) or bool(self.allowed)

    def _host_ok(self, host: str | None) -> bool:
        if not self.check_host or host is None:  # HTTP/1.0 clients may send none; browsers always do
            return True
        name = host_name(host).lower()
        return is_loopback(name) or name in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if not self._host_ok(host):
            await _refuse(scope, send, f"this server does not answer to the host name {host!r}; "
                                       f"add it to HEYGEM_ALLOWED_HOSTS if it is really this server's name",
                          "UnknownHost")
            return
        changes = scope["type"] == "websocket" or scope["method"] not in SAFE
        origin = _header(scope, b"origin")
        if changes and origin is not None and (host is None or _netloc(origin) != host.lower()):
            await _refuse(scope, send, f"cross-site request refused: a page from {origin} may not use this "
                                       f"server", "CrossOrigin")
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in PAGE_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(scope: Scope, send: Send, detail: str, error: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})  # policy violation
        return
    body = json.dumps({"detail": detail, "error": error}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
