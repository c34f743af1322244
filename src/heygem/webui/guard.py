"""Only files this server received as uploads reach the page's handlers.

Gradio checks the file paths a request names only in apps started with launch(): mounted into
FastAPI (mount_gradio_app, as `heygem serve` does) it would copy any file the request names, e.g.
{"path": "/home/me/secret.mp4"}, into its cache and serve it back, and it fetches http(s) URLs
named the same way. So every file value in an event's inputs must be one of the paths Gradio's
upload route handed out in this process; anything else is refused before Gradio touches it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from .labels import both

REFUSED = both("只能使用上传到本服务器的文件", "only files uploaded to this server can be used")


def only_uploaded_files(demo: gr.Blocks) -> None:
    """Make `demo` refuse events whose inputs name a file it did not receive as an upload."""
    preprocess = demo.preprocess_data

    async def checked_preprocess(block_fn, inputs, state, explicit_call=False):
        for value in inputs:
            _check(value, demo.upload_file_set)
        return await preprocess(block_fn, inputs, state, explicit_call)

    demo.preprocess_data = checked_preprocess  # type: ignore[method-assign]


def _check(value: Any, uploaded: set[str]) -> None:
    """Raise gr.Error for any file value (a dict with a "path") that is not an upload of this server."""
    if isinstance(value, dict):
        path = value.get("path")
        if path is not None and not (isinstance(path, str) and path in uploaded):
            raise gr.Error(REFUSED)
        for item in value.values():
            _check(item, uploaded)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check(item, uploaded)
