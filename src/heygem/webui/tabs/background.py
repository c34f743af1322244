"""The background controls shared by the Single and Batch tabs: a choice, a colour code, a picture."""

from __future__ import annotations

import gradio as gr

from ...render.background import IMAGE_TYPES
from ..labels import both

LABELS = {
    "keep": both("保留原背景", "keep the original"),
    "green": both("绿幕", "green screen"),
    "blue": both("蓝幕", "blue screen"),
    "colour": both("纯色", "a colour"),
    "image": both("图片", "a picture"),
    "blur": both("虚化", "blur"),
    "transparent": both("透明（WebM）", "transparent (WebM with alpha)"),
}


def controls(prefix: str) -> tuple[gr.Dropdown, gr.Textbox, gr.File]:
    """(choice, colour code, picture): pass all three to actions.background_value()."""
    with gr.Row():
        choice = gr.Dropdown([(label, key) for key, label in LABELS.items()], value="keep",
                             label=both("背景", "Background"), elem_id=f"{prefix}-background")
        colour = gr.Textbox(label=both("颜色", "Colour") + " (#RRGGBB)", placeholder="#1E90FF", visible=False,
                            elem_id=f"{prefix}-background-colour")
        image = gr.File(label=both("背景图片", "Background picture") + " (png jpg webp bmp)",
                        file_types=list(IMAGE_TYPES), visible=False, elem_id=f"{prefix}-background-image")
    choice.change(lambda c: (gr.update(visible=c == "colour"), gr.update(visible=c == "image")), choice,
                  [colour, image])
    return choice, colour, image
