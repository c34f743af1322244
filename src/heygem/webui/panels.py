"""Jobs and system state as HTML, Markdown and table rows for the page (pure functions, no Gradio).

Every user-given text (file names, errors) goes through html.escape: a file name is not markup.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import quote

from ..service import Job, JobStatus, WorkerInfo
from ..units import GIB
from .actions import Page, Snapshot, named_subtitles
from .labels import STATUS, both

FILE_ROUTE = "gradio_api/file="
"""Where Gradio serves files; relative to the page, so links work wherever the UI is mounted."""
_COLOR = {
    JobStatus.QUEUED: "#9ca3af", JobStatus.RUNNING: "#3b82f6", JobStatus.SUCCEEDED: "#16a34a",
    JobStatus.FAILED: "#dc2626", JobStatus.CANCELED: "#6b7280",
}


def error(message: str) -> str:
    return f"<div class='heygem-error' style='color:#dc2626'>⚠ {escape(message)}</div>"


def note(message: str) -> str:
    return f"<div class='heygem-note'>{escape(message)}</div>"


def _bar(job: Job) -> str:
    percent = 100 if job.status is JobStatus.SUCCEEDED else int(round(job.progress * 100))
    return (
        f"<div style='background:#e5e7eb;border-radius:4px;height:10px;width:100%'>"
        f"<div class='heygem-bar' style='background:{_COLOR[job.status]};border-radius:4px;height:10px;"
        f"width:{percent}%'></div></div>"
    )


Named = Callable[[Job], "Path | None"]
"""job -> its finished video under a readable name (actions.named_output), for download links."""


def download_link(path: Path | None) -> str:
    """A link that downloads `path` (the browser saves it under the file's own name)."""
    if path is None:
        return ""
    name = escape(path.name)
    href = escape(FILE_ROUTE + quote(str(path)))
    return f"<a class='heygem-download' href='{href}' download='{name}'>⬇ {name}</a>"


def download_links(video: Path | None, job: Job) -> str:
    """The video's download link, and its subtitles' beside it when the job made them."""
    subtitles = named_subtitles(video, job)
    return download_link(video) + (" " + download_link(subtitles) if subtitles else "")


def _row(job: Job, index: int, total: int, named: Named | None) -> str:
    if job.status is JobStatus.SUCCEEDED:
        detail = download_links(named(job), job) if named else ""
    else:
        detail = escape(job.error if job.status is JobStatus.FAILED else job.stage or "")
    return (
        f"<div class='heygem-job' data-status='{job.status.value}' style='margin:6px 0'>"
        f"<div style='display:flex;justify-content:space-between;gap:8px'>"
        f"<span>({index}/{total}) {escape(job.name)}</span>"
        f"<span>{STATUS[job.status]} · {detail}</span></div>{_bar(job)}</div>"
    )


def jobs_progress(jobs: list[Job], named: Named | None = None) -> str:
    """Headline ("processing <name> (i/N)" or how many are done), one bar per job, and a download
    link per finished job when `named` is given."""
    if not jobs:
        return note(both("还没有任务", "no jobs yet"))
    total = len(jobs)
    done = sum(job.done for job in jobs)
    ok = sum(job.status is JobStatus.SUCCEEDED for job in jobs)
    running = [(i, job) for i, job in enumerate(jobs, 1) if job.status is JobStatus.RUNNING]
    if running:
        i, job = running[0]
        head = f"{both('正在处理', 'processing')} {escape(job.name)} ({i}/{total})"
    elif done == total:
        head = f"{both('全部结束', 'all finished')}: {ok}/{total} {both('成功', 'succeeded')}"
    else:
        head = f"{both('排队中', 'waiting in the queue')} ({done}/{total} {both('已结束', 'finished')})"
    rows = "".join(_row(job, i, total, named) for i, job in enumerate(jobs, 1))
    return f"<div class='heygem-progress'><b class='heygem-head'>{head}</b>{rows}</div>"


def _when(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else ""


def history_rows(page: Page) -> list[list[str]]:
    rows = []
    for job in page.jobs:
        # The stage says what a live job does; a finished one needs only its error, if any.
        detail = job.error if job.status is JobStatus.FAILED else "" if job.done else job.stage
        rows.append([_when(job.created_at), job.name, STATUS[job.status], f"{job.progress:.0%}",
                     job.device or "", detail or "", job.id[:12]])
    return rows


HISTORY_HEADERS = [both("时间", "Time"), both("名称", "Name"), both("状态", "Status"), both("进度", "Progress"),
                   both("设备", "Device"), both("信息", "Info"), "ID"]


def page_label(page: Page) -> str:
    n, of = page.index + 1, page.pages
    return f"共 {page.total} 个任务 {page.total} jobs · 第 {n}/{of} 页 page {n}/{of}"


def job_choice(job: Job) -> tuple[str, str]:
    """(label, id) for pick lists."""
    return f"{job.name} · {STATUS[job.status]} · {_when(job.created_at)} · {job.id[:8]}", job.id


def system_markdown(snap: Snapshot) -> str:
    info = snap.system
    lines = [f"**{both('设备', 'Device')}**: `{info.device}` — {info.device_message}"]
    if info.gpu_memory:
        free, total = info.gpu_memory
        lines.append(f"**{both('显存', 'GPU memory')}**: {free / GIB:.1f} / {total / GIB:.1f} GiB "
                     f"{both('空闲', 'free')}")
    lines.append(f"**{both('队列', 'Queue')}**: {info.queued} {both('个等待中', 'waiting')}")
    if info.running:
        running = "; ".join(f"{escape(job.name)} ({job.progress:.0%}, {job.stage}, {job.device})"
                            for job in info.running)
    else:
        running = both("无", "none")
    lines.append(f"**{both('正在运行', 'Running')}**: {running}")
    counts = ", ".join(f"{STATUS[JobStatus(k)]}: {v}" for k, v in info.counts.items())
    lines.append(f"**{both('任务统计', 'Jobs')}**: {counts}")
    lines.append(f"**{both('磁盘空间', 'Disk space')}** (`{snap.data_dir}`): "
                 f"{snap.disk_free / GIB:.1f} GiB {both('可用', 'free')} / {snap.disk_total / GIB:.1f} GiB")
    engines = ", ".join(name if ok else f"~~{name}~~ ({why})" for name, ok, why in snap.engines)
    lines.append(f"**{both('引擎', 'Engines')}**: {engines}")
    if info.distributed:
        lines.append(workers_markdown(info.workers, {job.id: job.name for job in info.running}))
    # Markdown needs a blank line (or two trailing spaces) between lines to keep them apart.
    return "\n\n".join(lines)


def workers_markdown(workers: Sequence[WorkerInfo], names: dict[str, str], now: float | None = None) -> str:
    """Distributed mode: one table row per `heygem worker` process (host, device, current job, heartbeat)."""
    from ..service.owners import STALE_AFTER_S

    now = time.time() if now is None else now
    title = f"**{both('工作进程', 'Workers')}**: {len(workers)}"
    if not workers:
        return title + " — " + both("没有工作进程在运行：在每台机器上运行 `heygem worker`",
                                    "none running: start `heygem worker` on each machine")
    rows = [title, "", f"| {both('进程', 'Worker')} | {both('主机', 'Host')} | {both('设备', 'Device')} | "
            f"{both('队列', 'Queues')} | {both('当前任务', 'Current job')} | {both('最后心跳', 'Last heartbeat')} |",
            "|---|---|---|---|---|---|"]
    for w in workers:
        jobs = ", ".join(escape(names.get(job_id, job_id[:8])) for job_id in w.jobs) or both("空闲", "idle")
        age = max(0.0, now - w.heartbeat_at)
        beat = f"{age:.0f} s {both('前', 'ago')}"
        if age > STALE_AFTER_S:
            beat += " ⚠ " + both("失联", "lost")
        rows.append(f"| {escape(w.name)} | {escape(w.host)} | `{escape(w.device)}` | {','.join(w.queues)} "
                    f"({w.concurrency}) | {jobs} | {beat} |")
    return "\n".join(rows)
