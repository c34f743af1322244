"""The Blocks: a header with the engine choice, then the tabs. Thin: every action calls the job service."""

from __future__ import annotations

import gradio as gr

from ..config import Settings
from ..service import JobService
from . import actions
from .guard import only_uploaded_files
from .labels import both
from .tabs import batch, history, single, system

TITLE = "HeyGem"
SEAL = "heygem-webui"
TAGLINE = both("模板视频 + 新语音 → 同一个人说新的话",
               "template video + new speech → the same person says the new words")


def create(service: JobService, settings: Settings) -> gr.Blocks:
    # Outputs and zips are served straight from the data dir: a 500 MB result is not copied into
    # Gradio's cache first. Only these two folders are exposed, not the uploads or the job store.
    exports = actions.exports_dir(settings)
    exports.mkdir(parents=True, exist_ok=True)
    gr.set_static_paths([service.settings.outputs_dir, exports])
    engines, default_engine = actions.engine_choices(settings)
    # Uploads land in Gradio's temp folder and the service copies them into <data>/uploads on submit;
    # delete_cache drops the temp copies (up to 500 MB each) after an hour.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        with gr.Row(equal_height=True):
            gr.Markdown(f"## HeyGem {both('数字人视频', 'digital-human video')}\n{TAGLINE}")
            engine = gr.Dropdown(engines, value=default_engine, label=both("引擎", "Engine"), scale=0,
                                 min_width=420, elem_id="engine")
        # The browser remembers only which job and batch it follows and the engine it chose; the jobs
        # live in the service, so a reload (or a restart of the server) picks everything up again.
        # Outside the tabs on purpose: Gradio mounts a tab's components only once the tab is opened,
        # and a state that is not mounted reads nothing back at page load.
        # The ids are not secrets (History lists them all), so the key that seals them can be fixed.
        remembered_engine = gr.BrowserState(default_engine, storage_key="heygem-engine", secret=SEAL)
        single_job = gr.BrowserState(None, storage_key="heygem-single-job", secret=SEAL)
        batch_id = gr.BrowserState(None, storage_key="heygem-batch", secret=SEAL)
        with gr.Tabs():
            with gr.Tab(both("单个", "Single"), id="single"):
                single.build(service, settings, engine, single_job, demo)
            with gr.Tab(both("批量", "Batch"), id="batch"):
                batch.build(service, settings, engine, batch_id, demo)
            with gr.Tab(both("历史", "History"), id="history") as history_tab:
                history.build(service, settings, demo, history_tab)
            with gr.Tab(both("系统", "System"), id="system"):
                system.build(service, settings, demo)
        names = [name for _, name in engines]
        engine.change(lambda name: name, engine, remembered_engine)
        demo.load(lambda name: name if name in names else gr.skip(), remembered_engine, engine)
    only_uploaded_files(demo)
    return demo
