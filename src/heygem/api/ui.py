"""Mount the web UI (heygem.webui, Gradio) at "/" of the API app, when it is installed."""

from __future__ import annotations

import importlib.util
import logging
import os

from fastapi import FastAPI

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
    log.info("web UI mounted at /")
    return True
