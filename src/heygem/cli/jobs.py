"""heygem jobs [list | show ID | cancel ID | retry ID | delete ID | run]

Works on the job store of the data dir, also while the web app runs jobs from it. IDs may be
shortened to any unique prefix.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from ..config import Settings


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("jobs", help="list and manage queued and finished jobs")
    p.set_defaults(status=None, batch=None, page=1, per_page=20, device=None)  # bare `heygem jobs` lists
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("list", help="jobs, newest first (the default action)")
    ls.add_argument("--status", choices=["queued", "running", "succeeded", "failed", "canceled"])
    ls.add_argument("--batch", help="only this batch id")
    ls.add_argument("--page", type=int, default=1, help="page number (default 1)")
    ls.add_argument("--per-page", type=int, default=20, help="jobs per page (default 20)")
    for name, text in (("show", "all about one job"), ("cancel", "cancel a queued or running job"),
                       ("retry", "queue a failed or canceled job again"), ("delete", "forget a job and delete its video")):
        actions.add_parser(name, help=text).add_argument("id", help="job id (or a unique start of it)")
    work = actions.add_parser("run", help="run queued jobs in this terminal until the queue is empty")
    work.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N (default auto)")
    work.add_argument("--keep-running", action="store_true", help="wait for new jobs instead of exiting")


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..service import JobService

    action = args.action or "list"
    # Only `run` executes jobs; the others need no device probe (which would import torch).
    service = JobService(settings, device=args.device if action == "run" else "cpu")
    try:
        if action == "list":
            return _list(service, args)
        if action == "run":
            return _work(service, args.keep_running)
        job = service.find(args.id)
        if action == "show":
            _show(job)
        elif action == "cancel":
            job = service.cancel(job.id)
            print(f"{job.id}: {'cancel requested; it stops at its next frame batch' if not job.done else job.status.value}")
        elif action == "retry":
            job = service.retry(job.id)
            print(f"{job.id}: queued again (runs while the app, `heygem batch` or `heygem jobs run` is running)")
        elif action == "delete":
            service.delete(job.id)
            print(f"{job.id}: deleted")
        return 0
    finally:
        service.close()


def _list(service, args: argparse.Namespace) -> int:
    per_page = max(1, args.per_page)
    jobs, total = service.list(args.status, args.batch, (max(1, args.page) - 1) * per_page, per_page)
    if not jobs:
        print("no jobs" if total == 0 else f"page {args.page} is empty ({total} jobs)")
        return 0
    print(f"{'ID':<12} {'STATUS':<10} {'PROGRESS':>8}  {'CREATED':<19}  NAME")
    for job in jobs:
        print(f"{job.id[:12]:<12} {job.status.value:<10} {job.progress * 100:7.0f}%  {_when(job.created_at):<19}  {job.name}")
    pages = (total + per_page - 1) // per_page
    print(f"page {args.page}/{pages}, {total} job(s)")
    return 0


def _show(job) -> None:
    rows = [
        ("id", job.id), ("name", job.name), ("batch", job.batch_id or "-"), ("status", job.status.value),
        ("progress", f"{job.progress * 100:.0f}% {job.stage}"), ("video", f"{job.inputs.video_name} ({job.inputs.video})"),
        ("audio", f"{job.inputs.audio_name} ({job.inputs.audio})" if job.inputs.audio else "-"),
        ("text", job.inputs.text or "-"), ("engine", job.options.engine), ("device", job.device or "-"),
        ("attempts", str(job.attempts)), ("created", _when(job.created_at)), ("started", _when(job.started_at)),
        ("finished", _when(job.finished_at)), ("output", str(job.output) if job.output else "-"),
        ("error", job.error or "-"),
    ]
    for key, value in rows:
        print(f"{key + ':':<10} {value}")


def _work(service, keep_running: bool) -> int:
    from ..service import JobStatus

    print(service.device_message)
    service.start()
    try:
        while True:
            busy = service.list([JobStatus.QUEUED, JobStatus.RUNNING], limit=1)[1]
            if not busy and not keep_running:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping: running jobs go back to the queue")
    counts = service.store.counts()
    print(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    return 0
