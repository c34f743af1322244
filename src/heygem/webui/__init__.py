"""The web UI: Gradio Blocks over the job service. `heygem serve` mounts it on the API's app.

    demo = build_ui(service, settings)
    gr.mount_gradio_app(fastapi_app, demo, path="/")

Gradio is imported inside build_ui, so importing this package (and `heygem --help`) stays fast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

    from ..config import Settings
    from ..service import JobService


def build_ui(service: "JobService", settings: "Settings") -> "gr.Blocks":
    """The whole page. It runs nothing itself: it submits to `service` and reads jobs back from it."""
    # Before gradio is first imported: it reads this once, and the UI must make no outbound connections.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from .app import create

    return create(service, settings)


__all__ = ["build_ui"]
