"""Optional access token (HEYGEM_API_TOKEN) guarding every route: API, docs and the web UI.

Scripts send `Authorization: Bearer <token>`. A browser cannot add that header to page loads, so
the token is also accepted as the `heygem_token` cookie, and once as `?token=...`: that answer
sets the cookie and redirects to the same address without the token, so it does not stay in the
address bar or the history. The cookie is HttpOnly and SameSite=Strict, so other sites cannot make
the browser send it (no cross-site requests riding on it).
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qsl, quote, unquote, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "heygem_token"
QUERY = "token"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope) -> str | None:
    """Our cookie, read by hand: Python's parser drops the whole header when any one cookie in it
    (another app's on the same host) is malformed, and the browser would then look logged out."""
    for header in (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"cookie"):
        for pair in header.split(";"):
            name, eq, value = pair.strip().partition("=")
            if eq and name.strip() == COOKIE:
                return unquote(value.strip().strip('"'))
    return None


def _bearer(scope: Scope) -> str | None:
    raw = _header(scope, b"authorization")
    if raw and raw[:7].lower() == "bearer ":
        return raw[7:].strip()
    return None


def _is_api(path: str) -> bool:
    """Scripts calling the API with ?token= get their answer, not a redirect to follow."""
    return path.startswith(("/api/", "/easy/"))


class TokenMiddleware:
    """ASGI middleware: without a token configured it passes everything through."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    def _matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._matches(_bearer(scope)) or self._matches(_cookie(scope)):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in query if k == QUERY), None)
        if given is not None and self._matches(given):
            if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not _is_api(scope["path"]):
                await self._redirect_with_cookie(scope, [(k, v) for k, v in query if k != QUERY], send, given)
            else:
                await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        await self._refuse(send)

    async def _redirect_with_cookie(self, scope: Scope, query: list, send: Send, token: str) -> None:
        location = _local_location(scope.get("root_path", "") + scope["path"]) + (
            f"?{urlencode(query)}" if query else "")
        cookie = f"{COOKIE}={quote(token, safe='')}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                                (b"content-length", b"0"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": "this server needs an access token: send 'Authorization: Bearer <token>' "
                                     "(browsers: open the page once with ?token=<token>)"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _local_location(path: str) -> str:
    """A redirect target on this server for `path`: percent-encoded (any script, still ASCII) and
    starting with exactly one '/', so "//evil.example/" or "/\\evil.example" cannot send the browser
    to another site."""
    return "/" + quote(path.lstrip("/\\"), safe="/:@!$&'()*+,;=-._~")
