"""Single tab: one template with one audio (or typed text) -> one video, with input previews."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ...config import Settings
from ...errors import HeyGemError
from ...service import JobService, JobStatus
from .. import actions, panels, uploads
from ..labels import both
from .background import controls
from .timing import voice_controls

AUDIO, TEXT = "audio", "text"


def preview(path: str | None, kind: str, settings: Settings) -> str:
    """The file's duration/size/fps line, or why it cannot be used."""
    if not path:
        return ""
    try:
        return panels.note(uploads.describe(path, kind, settings))
    except HeyGemError as exc:
        return panels.error(str(exc))


def build(service: JobService, settings: Settings, engine: gr.Dropdown, watching: gr.BrowserState,
          demo: gr.Blocks) -> None:
    """`watching` holds the id of the job this browser follows."""
    voices = actions.voice_choices()
    with gr.Row():
        with gr.Column():
            template = gr.File(label=both("模板视频", "Template video") + " (mp4 mov avi mkv webm flv)",
                               file_types=list(uploads.VIDEO_TYPES), elem_id="single-template")
            template_info = gr.HTML(elem_id="single-template-info")
            template_player = gr.Video(label=both("模板预览", "Template preview"), interactive=False, visible=False,
                                       height=240)
        with gr.Column():
            # Text to speech is offered only when a voice is installed (the TTS package imports and
            # one voice has its engine).
            source = gr.Radio([(both("音频文件", "Audio file"), AUDIO), (both("输入文字", "Type text"), TEXT)],
                              value=AUDIO, label=both("语音来源", "Speech from"), visible=voices is not None)
            audio = gr.File(label=both("音频", "Audio") + " (wav mp3 m4a aac flac ogg)",
                            file_types=list(uploads.AUDIO_TYPES), elem_id="single-audio")
            audio_info = gr.HTML(elem_id="single-audio-info")
            text = gr.Textbox(label=both("要说的文字", "Text to speak"), lines=4, visible=False)
            voice = gr.Dropdown(voices or [], value="auto" if voices else None, label=both("声音", "Voice"),
                                visible=False)
            subtitles = gr.Dropdown(actions.subtitle_choices(), value="none", label=both("字幕", "Subtitles"),
                                    elem_id="single-subtitles")
            script = gr.Textbox(label=both("音频文稿（可选：按文稿对齐字幕；非英语音频必填）",
                                           "Script of the audio (optional: subtitles follow it; needed for "
                                           "speech that is not English)"), lines=3, visible=False,
                                elem_id="single-script")
    backdrop = controls("single")
    align, other_voice = voice_controls("single")
    generate = gr.Button(both("生成", "Generate"), variant="primary", elem_id="single-generate")
    status = gr.HTML(elem_id="single-status")
    result = gr.Video(label=both("结果", "Result"), interactive=False, height=400, elem_id="single-result")
    shown = gr.State(None)
    timer = gr.Timer(1.0, active=False)

    def on_template(path):
        playable = bool(path) and Path(path).suffix.lower() in uploads.BROWSER_VIDEO
        return preview(path, "video", settings), gr.update(value=path if playable else None, visible=playable)

    def on_source(choice):  # the other-voice box is for audio: typed text is always another voice
        return (gr.update(visible=choice == AUDIO), gr.update(visible=choice == AUDIO),
                gr.update(visible=choice == TEXT), gr.update(visible=choice == TEXT),
                gr.update(visible=choice == AUDIO))

    def on_generate(template_path, choice, audio_path, words, voice_name, engine_name, subtitle_mode, script_text,
                    bg, bg_colour, bg_image, align_template, other_speaker):
        try:
            job = actions.submit_single(service, settings, template_path,
                                        audio_path if choice == AUDIO else None,
                                        words if choice == TEXT else None, voice_name, engine_name,
                                        subtitle_mode, script_text if choice == AUDIO else None,
                                        actions.background_value(bg, bg_colour, bg_image), align_template,
                                        other_speaker)
        except HeyGemError as exc:
            return gr.skip(), panels.error(str(exc)), gr.skip()
        return job.id, panels.jobs_progress([job]), gr.Timer(active=True)

    def watch(job_id, shown_id):
        """Progress (with a download link once done) and the result in the player."""
        job = actions.get_job(service, job_id)
        if job is None:
            return "", None, None, gr.Timer(active=False)
        html = panels.jobs_progress([job], lambda j: actions.named_output(settings, j))
        timer_state = gr.Timer(active=not job.done)
        if job.status is JobStatus.SUCCEEDED and job.output is not None:
            if shown_id == job.id:  # already on screen: leave the player alone (it would restart)
                return html, gr.skip(), shown_id, timer_state
            return html, str(job.output), job.id, timer_state
        return html, None, None, timer_state

    template.change(on_template, template, [template_info, template_player])
    audio.change(lambda p: preview(p, "audio", settings), audio, audio_info)
    source.change(on_source, source, [audio, audio_info, text, voice, other_voice])
    # The script box is for audio jobs with subtitles (text jobs time them from the synthesis).
    for control in (subtitles, source):
        control.change(lambda mode, choice: gr.update(visible=mode != "none" and choice == AUDIO),
                       [subtitles, source], script)
    generate.click(on_generate,
                   [template, source, audio, text, voice, engine, subtitles, script, *backdrop, align, other_voice],
                   [watching, status, timer])
    watch_io = dict(inputs=[watching, shown], outputs=[status, result, shown, timer],
                    show_progress="hidden")
    timer.tick(watch, **watch_io)
    demo.load(watch, **watch_io)
