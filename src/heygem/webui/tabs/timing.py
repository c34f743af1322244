"""The template-sync choice shared by the Single and Batch tabs (GenerateOptions.template_sync)."""

from __future__ import annotations

import gradio as gr

from ...options import DEFAULTS
from ..labels import both


def align_control(prefix: str) -> gr.Checkbox:
    """Checked: a template whose picture and sound are apart has its soundtrack aligned first."""
    return gr.Checkbox(value=DEFAULTS.template_sync == "align", elem_id=f"{prefix}-template-sync",
                       label=both("对齐模板的声音与画面（日志提示模板音画不同步时）",
                                  "Align the template's sound with its picture (when the log says they are apart)"))
