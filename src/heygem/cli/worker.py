"""heygem worker: run jobs from the broker on this machine (distributed mode, HEYGEM_BROKER_URL)."""

from __future__ import annotations

import argparse
import logging

from ..config import Settings
from ..errors import HeyGemError

log = logging.getLogger("heygem.cli")


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run jobs from the broker on this machine (distributed mode)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="jobs at once (default: one per GPU; on a CPU machine $HEYGEM_CPU_JOBS, default 1)")
    p.add_argument("--queues", default=None,
                   help="queues to take jobs from: gpu,cpu (default on a GPU machine) or cpu (default without one)")
    p.add_argument("--device", default=None,
                   help="auto (every GPU, else the CPU) | cpu | cuda:N | cuda:0,cuda:1 (default auto or $HEYGEM_DEVICE)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..log import setup_logging

    if not settings.broker_url:
        raise HeyGemError("heygem worker takes jobs from a broker: set HEYGEM_BROKER_URL=redis://host:6379/0 "
                          "(and HEYGEM_DATABASE_URL=postgresql://... for several machines)")
    setup_logging(settings.log_file, "DEBUG" if args.verbose else settings.log_level, console_level="INFO")
    from ..distributed.worker import WorkerProcess

    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    if args.concurrency is not None and args.concurrency < 1:
        raise HeyGemError(f"--concurrency must be at least 1, got {args.concurrency}")
    process = WorkerProcess(settings, args.device, args.concurrency, queues)
    if not settings.database_url:
        log.warning(
            "jobs are in %s: fine for workers on this machine only; set HEYGEM_DATABASE_URL=postgresql://... "
            "for workers on several machines", settings.job_db)
    print(f"worker {process.name}: devices {','.join(process.devices)}, concurrency {process.concurrency}, "
          f"queues {','.join(process.queues)}", flush=True)
    return process.serve()
