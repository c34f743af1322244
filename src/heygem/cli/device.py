"""heygem device: which device `auto` picks here, and why (also written to the log)."""

from __future__ import annotations

import argparse
import logging

from ..config import Settings


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("device", help="show the compute device HeyGem will use")
    p.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N (default auto)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .. import devices

    report = devices.report(args.device or settings.device)
    logging.getLogger("heygem.devices").info(report.message)
    print(report.message)
    return 0
