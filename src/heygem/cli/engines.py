"""heygem engines: list lip-sync engines and whether they can run here."""

from __future__ import annotations

import argparse

from ..config import Settings


def add(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("engines", help="list lip-sync engines and their availability")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..engines import registry

    for status in registry.status(settings):
        default = " (default)" if status.name == registry.DEFAULT_ENGINE else ""
        state = "available" if status.available else f"unavailable: {status.reason}"
        print(f"{status.name}{default}: {status.description} [{state}]")
    return 0
