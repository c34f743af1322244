"""Bilingual labels: Chinese first, then English, side by side.

Both languages at once rather than a switch, because most users of such tools read Chinese and a
switch would have to re-render every label (a Gradio layout is fixed once built).
"""

from __future__ import annotations

from ..service import JobStatus


def both(zh: str, en: str) -> str:
    """"生成 Generate"."""
    return f"{zh} {en}"


STATUS = {
    JobStatus.QUEUED: both("排队中", "queued"),
    JobStatus.RUNNING: both("处理中", "running"),
    JobStatus.SUCCEEDED: both("完成", "done"),
    JobStatus.FAILED: both("失败", "failed"),
    JobStatus.CANCELED: both("已取消", "canceled"),
}
