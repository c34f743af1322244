"""heygem selftest: generate a short video from built-in media to prove the install works."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Settings


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("selftest", help="check the installation end to end on built-in media")
    p.add_argument("-o", "--output", default=None, help="keep the generated video here")
    p.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .. import selftest

    result = selftest.run(settings, Path(args.output) if args.output else None, args.device or settings.device)
    print(f"self-test passed: {result.frames} frames in {result.seconds:.1f} s on {result.device} "
          f"with the {result.engine} engine")
    print("Make a video:  .venv/bin/heygem generate --video template.mp4 --audio speech.wav -o out.mp4")
    print("From text:     .venv/bin/heygem generate --video template.mp4 --text \"Hello\" -o out.mp4")
    return 0
