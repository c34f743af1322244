"""`heygem ...`: one module per subcommand, each with add(subparsers) and run(args, settings).

Front end only: commands parse flags, call the library or the job service, and print.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .. import __version__
from ..config import Settings
from ..errors import HeyGemError

# Subcommand modules, in the order `heygem --help` lists them.
COMMANDS = ("generate", "voices", "analyze", "eval", "engines", "device", "batch", "jobs", "serve", "worker",
            "selftest")

log = logging.getLogger("heygem.cli")


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(prog="heygem", description="Self-hosted digital-human video generator.")
    parser.add_argument("--version", action="version", version=f"heygem {__version__}")
    parser.add_argument("--data-dir", help="data folder (default ./data or $HEYGEM_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name in COMMANDS:
        module = importlib.import_module(f"heygem.cli.{name}")
        module.add(sub)
        modules[name] = module
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    settings = Settings.from_env().with_overrides(data_dir=args.data_dir)
    from ..log import setup_logging

    # The terminal gets printed results and warnings; the log file gets everything.
    setup_logging(settings.log_file, "DEBUG" if args.verbose else settings.log_level,
                  console_level="DEBUG" if args.verbose else "WARNING")
    try:
        return int(modules[args.command].run(args, settings) or 0)
    except HeyGemError as exc:
        log.debug("command failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    sys.exit(main())
