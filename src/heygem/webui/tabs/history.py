"""History tab: every job, newest first, 10 a page; preview, download (one or zip), delete with confirmation."""

from __future__ import annotations

import gradio as gr

from ...config import Settings
from ...errors import HeyGemError
from ...service import JobService, JobStatus
from .. import actions, panels
from ..labels import STATUS, both


def build(service: JobService, settings: Settings, demo: gr.Blocks, tab: gr.Tab) -> None:
    page_index = gr.State(0)
    head = gr.Markdown(elem_id="history-head")
    table = gr.Dataframe(headers=panels.HISTORY_HEADERS, value=[], interactive=False, wrap=True,
                         elem_id="history-table")
    with gr.Row():
        prev_button = gr.Button("◀ " + both("上一页", "Previous"), size="sm", elem_id="history-prev")
        next_button = gr.Button(both("下一页", "Next") + " ▶", size="sm", elem_id="history-next")
        refresh = gr.Button("⟳ " + both("刷新", "Refresh"), size="sm", elem_id="history-refresh")
    selected = gr.CheckboxGroup([], label=both("选择（本页）", "Select (this page)"), elem_id="history-select")
    with gr.Row():
        with gr.Column():
            pick = gr.Dropdown([], label=both("预览", "Preview"), elem_id="history-pick")
            player = gr.Video(label=both("播放", "Player"), interactive=False, height=320, elem_id="history-player")
        with gr.Column():
            one_link = gr.HTML(elem_id="history-one-link")
            with gr.Row():
                zip_selected = gr.Button(both("下载所选 (zip)", "Download selected (zip)"),
                                         elem_id="history-zip-selected")
                zip_all = gr.Button(both("下载全部 (zip)", "Download all (zip)"), elem_id="history-zip-all")
            zip_file = gr.File(label="ZIP", interactive=False, visible=False, elem_id="history-zip-file")
            with gr.Row():
                delete_one = gr.Button(both("删除预览的任务", "Delete previewed"), variant="stop", size="sm",
                                       elem_id="history-delete-one")
                delete_selected = gr.Button(both("删除所选", "Delete selected"), variant="stop", size="sm",
                                            elem_id="history-delete-selected")
                delete_all = gr.Button(both("全部删除", "Delete all"), variant="stop", size="sm",
                                       elem_id="history-delete-all")
    # Deleting is two clicks: the first says what would go, the second (Confirm) does it.
    with gr.Row(visible=False, elem_id="history-confirm-row") as confirm_row:
        confirm_text = gr.Markdown(elem_id="history-confirm-text")
        confirm = gr.Button(both("确认删除", "Confirm delete"), variant="stop", elem_id="history-confirm")
        cancel = gr.Button(both("取消", "Cancel"), elem_id="history-cancel")
    message = gr.HTML(elem_id="history-message")
    pending = gr.State([])

    def show(index, keep_selected=()):
        page = actions.history_page(service, index)
        choices = [panels.job_choice(job) for job in page.jobs]
        ids = {job.id for job in page.jobs}
        return (page.index, panels.page_label(page), panels.history_rows(page),
                gr.update(choices=choices, value=[i for i in keep_selected if i in ids]),
                gr.update(choices=choices, value=None))

    page_outputs = [page_index, head, table, selected, pick]

    def on_pick(job_id):
        job = actions.get_job(service, job_id)
        if job is None or job.status is not JobStatus.SUCCEEDED or job.output is None:
            why = "" if job is None else f"{job.name}: {STATUS[job.status]}"
            return None, panels.note(why) if why else ""
        return str(job.output), panels.download_links(actions.named_output(settings, job), job)

    def ask(ids):
        ids = [i for i in ids if i]
        if not ids:
            return [], gr.update(visible=False), "", panels.note(both("请先选择任务", "select jobs first"))
        text = f"**确认删除 {len(ids)} 个任务？ Delete {len(ids)} job(s)?** " + both(
            "结果视频也会删除，无法恢复。", "Their videos are removed too; this cannot be undone.")
        return ids, gr.update(visible=True), text, ""

    def on_confirm(ids, index):
        deleted = actions.delete_jobs(service, settings, ids)
        return ([], gr.update(visible=False), panels.note(f"已删除 {deleted} 个任务 Deleted {deleted} job(s)"),
                None, None, *show(index))

    def on_zip(ids):
        try:
            return gr.update(value=str(actions.zip_jobs(service, settings, ids)), visible=True), ""
        except HeyGemError as exc:
            return gr.update(value=None, visible=False), panels.error(str(exc))

    for event, step in ((refresh.click, 0), (prev_button.click, -1), (next_button.click, 1)):
        event(lambda i, s, step=step: show(i + step, s), [page_index, selected], page_outputs)
    tab.select(lambda i, s: show(i, s), [page_index, selected], page_outputs)
    demo.load(lambda: show(0), None, page_outputs)
    pick.change(on_pick, pick, [player, one_link])
    zip_selected.click(on_zip, selected, [zip_file, message])
    zip_all.click(lambda: on_zip(actions.all_job_ids(service)), None, [zip_file, message])
    ask_outputs = [pending, confirm_row, confirm_text, message]
    delete_one.click(lambda i: ask([i]), pick, ask_outputs)
    delete_selected.click(lambda s: ask(s or []), selected, ask_outputs)
    delete_all.click(lambda: ask(actions.all_job_ids(service)), None, ask_outputs)
    confirm.click(on_confirm, [pending, page_index], [pending, confirm_row, message, player, one_link, *page_outputs])
    cancel.click(lambda: ([], gr.update(visible=False), ""), None, [pending, confirm_row, message])
