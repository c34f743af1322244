"""System tab: device, queue, running job, disk space, the workers (distributed mode) and the log tail,
refreshed every few seconds."""

from __future__ import annotations

import gradio as gr

from ...config import Settings
from ...log import tail
from ...service import JobService
from .. import actions, panels
from ..labels import both

LOG_LINES = 200
REFRESH_S = 2.0


def build(service: JobService, settings: Settings, demo: gr.Blocks) -> None:
    info = gr.Markdown(elem_id="system-info")
    log = gr.Textbox(label=both("日志", "Log") + f" ({settings.log_file}, {both('最后', 'last')} {LOG_LINES})",
                     lines=18, max_lines=18, autoscroll=True, interactive=False, elem_id="system-log")
    timer = gr.Timer(REFRESH_S)

    def refresh():
        return (panels.system_markdown(actions.snapshot(service, settings)),
                tail(settings.log_file, LOG_LINES) or both("（日志为空）", "(the log is empty)"))

    timer.tick(refresh, None, [info, log], show_progress="hidden")
    demo.load(refresh, None, [info, log])
