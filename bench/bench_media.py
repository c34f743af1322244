"""Media I/O foundation numbers: decode and encode ms per frame (medians) at 480p, 720p and 1080p,
and the peak memory of streaming a long 720p output.

    python bench/bench_media.py [--minutes 10] [--runs 3] [--engine loop]

Templates are a real clip (../shared/testmedia, generated media without it) scaled and padded to
each size, with its soundtrack. Decode = VideoSource.read() to RGB arrays (what the pipeline does);
encode = VideoWriter (x264 veryfast, CRF 18, yuv420p), flush included. The long output runs
`pipeline.run` with the loop engine (template passthrough, so only media I/O is measured) in a
child process, so its peak RSS is its own; the target is < 1.5 GB for 10 minutes of 720p.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import benchkit

from heygem.media.decode import VideoSource
from heygem.media.encode import VideoWriter
from heygem.options import EncodeOptions

RSS_TARGET_MB = 1536


def decode_ms(template: Path, runs: int) -> float:
    """Median over runs of one full decode pass, per frame."""
    with VideoSource(template) as source:
        count = source.info.frame_count

    def one_pass() -> None:
        with VideoSource(template) as source:
            for _ in source.read():
                pass

    return benchkit.median_ms(one_pass, runs) / count


def encode_ms(template: Path, runs: int, frames: int, folder: Path) -> float:
    """Median over runs of encoding `frames` frames (the template's, cycled), per frame."""
    with VideoSource(template) as source:
        pictures = list(islice(source.read(), 50))
        info = source.info
    out = folder / f"encode_{info.height}p.mp4"

    def one_pass() -> None:
        with VideoWriter(out, info.width, info.height, info.fps, None, EncodeOptions()) as writer:
            for picture in islice(cycle(pictures), frames):
                writer.write(picture)

    return benchkit.median_ms(one_pass, runs) / frames


def io_rows(video: Path, folder: Path, runs: int) -> list[dict]:
    rows = []
    for height, (width, _) in benchkit.RESOLUTIONS.items():
        template = benchkit.resized_template(video, width, height, folder)
        dec = decode_ms(template, runs)
        enc = encode_ms(template, runs, 250, folder)
        rows.append({
            "size": f"{width}x{height}",
            "decode ms/frame": dec,
            "encode ms/frame": enc,
            "decode+encode fps": 1e3 / (dec + enc),
        })
    return rows


def long_output(video: Path, speech: list[Path], minutes: float, engine: str, folder: Path) -> dict:
    """Run the long output in a child process and return its measurements."""
    width, height = benchkit.RESOLUTIONS[720]
    template = benchkit.resized_template(video, width, height, folder)
    audio = benchkit.long_speech(speech, minutes * 60, folder / f"speech_{minutes:g}min.wav")
    case = {"template": str(template), "audio": str(audio), "engine": engine,
            "output": str(folder / "long.mp4"), "data": str(folder / "data")}
    return benchkit.run_child(__file__, case, "long output")[0]


def child(case: dict) -> None:
    """In the child process: one pipeline run, RSS sampled at each progress report."""
    from heygem import pipeline
    from heygem.config import Settings
    from heygem.options import GenerateOptions

    samples: list[tuple[float, float]] = []

    def progress(fraction: float, message: str) -> None:
        if not samples or fraction - samples[-1][0] >= 0.05:
            samples.append((fraction, current_rss_mb()))

    result = pipeline.run(case["template"], case["audio"], case["output"],
                          GenerateOptions(engine=case["engine"], device="cpu"),
                          Settings(data_dir=Path(case["data"])), progress)
    print(json.dumps({
        "frames": result.frames,
        "output_seconds": result.frames / float(result.fps),
        "wall_s": result.seconds,
        "peak_rss_mb": benchkit.peak_rss_mb(),
        "rss_mb_by_progress": samples,
        "stage_seconds": result.stage_seconds,
    }))


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def long_rows(long: dict) -> list[dict]:
    """Resident memory at quarters of the run (flat = streaming works) and the peak."""
    rows = []
    for quarter in (0.25, 0.5, 0.75, 1.0):
        fraction, rss = min(long["rss_mb_by_progress"], key=lambda s: abs(s[0] - quarter))
        rows.append({"progress": f"{fraction:.0%}", "RSS MB": rss})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long output (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="timed passes per decode/encode cell")
    parser.add_argument("--engine", default="loop", help="engine for the long output (default loop)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))

    with tempfile.TemporaryDirectory(prefix="heygem-bench-media-") as tmp:
        folder = Path(tmp)
        video, speech = benchkit.source_media(folder)
        rows = io_rows(video, folder, args.runs)
        benchkit.print_table(f"Media I/O, ms per frame (median of {args.runs}; x264 veryfast CRF 18)", rows)
        started = time.perf_counter()
        long = long_output(video, speech, args.minutes, args.engine, folder)
    peak = long["peak_rss_mb"]
    benchkit.print_table(
        f"Long output: {args.minutes:g} min of 1280x720 ({long['frames']} frames, engine {args.engine}), "
        f"{long['wall_s']:.0f} s wall", long_rows(long))
    verdict = "met" if peak < RSS_TARGET_MB else "MISSED"
    print(f"peak RSS {peak:.0f} MB (target < {RSS_TARGET_MB} MB: {verdict}); "
          f"ran {time.perf_counter() - started:.0f} s")
    path = benchkit.save_record("media", {"source": str(video.name), "io": rows, "long": long,
                                          "minutes": args.minutes, "engine": args.engine})
    print(f"record: {path.relative_to(benchkit.REPO)}")


if __name__ == "__main__":
    main()
