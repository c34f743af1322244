"""The choices about the speech's timing and voice shared by the Single and Batch tabs
(GenerateOptions.template_sync and .speaker)."""

from __future__ import annotations

import gradio as gr

from ...options import DEFAULTS
from ..labels import both


def voice_controls(prefix: str) -> tuple[gr.Checkbox, gr.Checkbox]:
    """Checked: a template whose picture and sound are apart has its soundtrack aligned first; the new
    speech is another person's voice (text is always)."""
    return (gr.Checkbox(value=DEFAULTS.template_sync == "align", elem_id=f"{prefix}-template-sync",
                        label=both("对齐模板的声音与画面（日志提示模板音画不同步时）",
                                   "Align the template's sound with its picture (when the log says they are apart)")),
            gr.Checkbox(value=DEFAULTS.speaker == "other", elem_id=f"{prefix}-other-speaker",
                        label=both("音频是另一个人的声音（不是模板中的人）",
                                   "The audio is another person's voice (not the template's person)")))
