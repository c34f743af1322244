"""Mount the web UI (heygem.webui, Gradio) at "/" of the API app, when it is installed."""

from __future__ import annotations

import importlib.util
import json
import logging
import os

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Settings
from ..service import JobService

log = logging.getLogger("heygem.api")


def mount_ui(app: FastAPI, service: JobService, settings: Settings) -> bool:
    """True when the UI was mounted; False (logged) when heygem.webui or Gradio is missing."""
    # Before Gradio is imported: it reads this at import time, and we make no outbound connections.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    if importlib.util.find_spec("gradio") is None:
        log.warning("web UI not served: Gradio is not installed (pip install gradio)")
        return False
    from .. import webui

    build_ui = getattr(webui, "build_ui", None)
    if build_ui is None:
        log.warning("web UI not served: heygem.webui has no build_ui() yet")
        return False
    import gradio

    # Gradio refuses bigger uploads itself, before the UI's own per-kind checks run.
    biggest = max(settings.max_video_bytes, settings.max_audio_bytes)
    gradio.mount_gradio_app(app, build_ui(service, settings), path="/", max_file_size=biggest, ssr_mode=False)
    app.add_middleware(NoRemoteFetches)
    log.info("web UI mounted at /")
    return True


class NoRemoteFetches:
    """Refuse the UI routes that make the server fetch other addresses for the client.

    Gradio serves `/gradio_api/file=<http(s) URL>` by downloading the URL itself, and
    `/gradio_api/proxy=<URL>` relays another Gradio app; this page needs neither, and a server
    that fetches what strangers name is a proxy for them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _remote_fetch(scope["path"]):
            body = json.dumps({"detail": "this server does not fetch other addresses for its clients",
                               "error": "RemoteFetch"}).encode()
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _remote_fetch(path: str) -> bool:
    path = path.lower()
    if path.startswith("/gradio_api/proxy="):
        return True
    return path.startswith("/gradio_api/file=") and "://" in path
