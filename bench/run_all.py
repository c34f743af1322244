"""Run every benchmark script in bench/ one after another and print all their tables.

    python bench/run_all.py            # short settings (about 15 min on a 2-core CPU)
    python bench/run_all.py --full     # each script's full settings (10-min output, full grid)
    python bench/run_all.py --only media generate

Each script runs in its own process with the same Python; a failing script is reported and the
rest still run. The exit status is non-zero when any script failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

QUICK_ARGS = {
    "media": ["--minutes", "1"],
    "generate": ["--quick"],
    "analysis": ["--runs", "1"],
    "tts": ["--runs", "3"],
    "api": ["--sizes", "10", "50"],
    "service_jobs": ["--jobs", "3", "--seconds", "8", "--rounds", "1"],
}
"""Arguments of the short run; a script not listed runs with its defaults."""
FULL_ARGS = {"generate": ["--full"]}
"""Arguments of the full run; a script not listed runs with its defaults."""


def scripts() -> dict[str, Path]:
    """bench_<name>.py files by name, in a fixed order: foundation first, then by name."""
    found = {p.stem.removeprefix("bench_"): p for p in sorted(BENCH.glob("bench_*.py"))}
    first = [n for n in ("media", "generate") if n in found]
    return {n: found[n] for n in first + [n for n in found if n not in first]}


def run(name: str, path: Path, args: list[str]) -> tuple[int, float]:
    print(f"\n{'=' * 100}\n{name}: python bench/{path.name} {' '.join(args)}\n{'=' * 100}", flush=True)
    started = time.perf_counter()
    code = subprocess.run([sys.executable, str(path), *args], cwd=BENCH.parent, check=False).returncode
    return code, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each script's full settings")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="e.g. media generate tts")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[])
    args = parser.parse_args()
    available = scripts()
    names = [n for n in (args.only or available) if n not in args.skip]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(available)}")
    extra = FULL_ARGS if args.full else QUICK_ARGS
    outcomes = {name: run(name, available[name], extra.get(name, [])) for name in names}
    print(f"\n{'=' * 100}\nsummary")
    for name, (code, seconds) in outcomes.items():
        print(f"  {name:<10} {'ok' if code == 0 else f'FAILED (exit {code})':<16} {seconds / 60:5.1f} min")
    sys.exit(1 if any(code for code, _ in outcomes.values()) else 0)


if __name__ == "__main__":
    main()
