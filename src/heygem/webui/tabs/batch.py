"""Batch tab: one audio over many templates, or many audios over one template; a bar per job."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ...config import Settings
from ...errors import HeyGemError
from ...service import JobService
from .. import actions, panels, uploads
from ..labels import both
from .background import controls
from .timing import voice_controls
from .single import preview

VIDEOS = " (mp4 mov avi mkv webm flv)"
AUDIOS = " (wav mp3 m4a aac flac ogg)"


def _choices(staged: list[str]) -> list[tuple[str, str]]:
    return [(Path(p).name, p) for p in staged]


def build(service: JobService, settings: Settings, engine: gr.Dropdown, watching: gr.BrowserState,
          demo: gr.Blocks) -> None:
    """`watching` holds the id of the batch this browser follows."""
    mode = gr.Radio(
        [(both("一个音频 × 多个模板", "One audio × many templates"), actions.ONE_AUDIO),
         (both("多个音频 × 一个模板", "Many audios × one template"), actions.ONE_TEMPLATE)],
        value=actions.ONE_AUDIO, label=both("批量方式", "Batch mode"), elem_id="batch-mode")
    with gr.Row():
        with gr.Column():
            # One upload box per kind (not one relabelled box): each keeps its own accepted file types.
            one_audio = gr.File(label=both("音频", "Audio") + AUDIOS, file_types=list(uploads.AUDIO_TYPES),
                                elem_id="batch-one-audio")
            one_template = gr.File(label=both("模板视频", "Template video") + VIDEOS,
                                   file_types=list(uploads.VIDEO_TYPES), visible=False, elem_id="batch-one-template")
            one_info = gr.HTML(elem_id="batch-one-info")
            subtitles = gr.Dropdown(actions.subtitle_choices(), value="none", label=both("字幕", "Subtitles"),
                                    elem_id="batch-subtitles")
            script = gr.Textbox(label=both("音频文稿（可选）", "Script of the audio (optional)"), lines=3,
                                visible=False, elem_id="batch-script")
        with gr.Column():
            add_templates = gr.File(label=both("添加模板视频（可多选）", "Add templates (several at once)") + VIDEOS,
                                    file_count="multiple", file_types=list(uploads.VIDEO_TYPES),
                                    elem_id="batch-add-templates")
            add_audios = gr.File(label=both("添加音频（可多选）", "Add audios (several at once)") + AUDIOS,
                                 file_count="multiple", file_types=list(uploads.AUDIO_TYPES), visible=False,
                                 elem_id="batch-add-audios")
            listing = gr.CheckboxGroup([], label=both("列表（勾选以移除）", "List (tick to remove)"),
                                       elem_id="batch-list")
            with gr.Row():
                remove = gr.Button(both("移除所选", "Remove selected"), size="sm", elem_id="batch-remove")
                clear = gr.Button(both("清空", "Clear"), size="sm", elem_id="batch-clear")
            list_note = gr.HTML(elem_id="batch-list-note")
    backdrop = controls("batch")
    align, other_voice = voice_controls("batch")
    start = gr.Button(both("开始批量生成", "Start batch"), variant="primary", elem_id="batch-start")
    message = gr.HTML(elem_id="batch-message")
    progress = gr.HTML(elem_id="batch-progress")
    with gr.Row():
        zip_button = gr.Button(both("打包下载本批", "Download this batch (zip)"), elem_id="batch-zip")
        zip_file = gr.File(label="ZIP", interactive=False, visible=False, elem_id="batch-zip-file")
    staged = gr.State([])
    timer = gr.Timer(1.0, active=False)

    def named(job):
        return actions.named_output(settings, job)

    def on_mode(choice):
        audio_first = choice == actions.ONE_AUDIO
        # The list holds the other kind of file now, so it starts empty.
        return (gr.update(visible=audio_first, value=None), gr.update(visible=not audio_first, value=None), "",
                gr.update(visible=audio_first), gr.update(visible=not audio_first), [],
                gr.update(choices=[], value=[]), "")

    def on_one(path, kind):
        return preview(path, kind, settings)

    def on_add(files, current, kind):
        new, refused = actions.add_to_list(current, files or [], kind, settings)
        note = "".join(panels.error(r) for r in refused)
        return new, gr.update(choices=_choices(new), value=[]), None, note

    def on_remove(current, selected):
        new = actions.remove_from_list(current, selected or [])
        return new, gr.update(choices=_choices(new), value=[])

    def on_start(choice, audio_path, template_path, current, engine_name, subtitle_mode, script_text,
                 bg, bg_colour, bg_image, align_template, other_speaker):
        one = audio_path if choice == actions.ONE_AUDIO else template_path
        try:
            jobs = actions.submit_batch(service, settings, choice, one, current, engine_name, subtitle_mode,
                                        script_text if choice == actions.ONE_AUDIO else None,
                                        actions.background_value(bg, bg_colour, bg_image), align_template,
                                        other_speaker)
        except HeyGemError as exc:
            return gr.skip(), panels.error(str(exc)), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return (jobs[0].batch_id, "", panels.jobs_progress(jobs), gr.Timer(active=True), [],
                gr.update(choices=[], value=[]))

    def watch(batch_id):
        """Progress, with a download link per finished video (results appear as they finish)."""
        jobs = actions.batch_jobs(service, batch_id)
        html = panels.jobs_progress(jobs, named) if jobs else ""
        return html, gr.Timer(active=any(not j.done for j in jobs))

    def on_zip(batch_id):
        try:
            ids = [job.id for job in actions.batch_jobs(service, batch_id)]
            return gr.update(value=str(actions.zip_jobs(service, settings, ids)), visible=True), ""
        except HeyGemError as exc:
            return gr.update(value=None, visible=False), panels.error(str(exc))

    mode.change(on_mode, mode, [one_audio, one_template, one_info, add_templates, add_audios, staged, listing,
                                list_note])
    one_audio.change(lambda p: on_one(p, "audio"), one_audio, one_info)
    one_template.change(lambda p: on_one(p, "video"), one_template, one_info)
    add_templates.upload(lambda f, c: on_add(f, c, "video"), [add_templates, staged],
                         [staged, listing, add_templates, list_note])
    add_audios.upload(lambda f, c: on_add(f, c, "audio"), [add_audios, staged],
                      [staged, listing, add_audios, list_note])
    remove.click(on_remove, [staged, listing], [staged, listing])
    clear.click(lambda: ([], gr.update(choices=[], value=[]), ""), None, [staged, listing, list_note])
    # One script fits one audio: offered in one-audio mode only.
    for control in (subtitles, mode):
        control.change(lambda sub, choice: gr.update(visible=sub != "none" and choice == actions.ONE_AUDIO),
                       [subtitles, mode], script)
    start.click(on_start,
                [mode, one_audio, one_template, staged, engine, subtitles, script, *backdrop, align, other_voice],
                [watching, message, progress, timer, staged, listing])
    zip_button.click(on_zip, watching, [zip_file, message])
    watch_io = dict(inputs=watching, outputs=[progress, timer], show_progress="hidden")
    timer.tick(watch, **watch_io)
    demo.load(watch, **watch_io)
