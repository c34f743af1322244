"""Template face analysis speed: ms per frame cold (decode + landmarks + smoothing + descriptors, no
cache) and the time of a cache hit, per clip, each the median of several runs.

Clips: the real test media beside the repo (../shared/testmedia/video, or $HEYGEM_TESTMEDIA) or the files given, each also
re-encoded at 1280x720 (scaled to 720 px high, padded at the sides), since the target is per 720p
frame. Decode alone is timed too, to show what the analysis adds to reading the video; "cpu ms/f"
is the process's CPU time (all threads), which a busy machine inflates less than wall time.

    python bench/bench_analysis.py [CLIP ...] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

from heygem.analysis.template import load_or_analyze
from heygem.config import Settings
from heygem.media.decode import VideoSource

from benchkit import TESTMEDIA

CLIPS = TESTMEDIA / "video"


def as_720p(path: Path, folder: Path) -> Path:
    out = folder / f"{path.stem}_720p.mp4"
    with VideoSource(path) as source, av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=source.info.fps)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for i, frame in enumerate(source.read()):
            width = round(frame.shape[1] * 720 / frame.shape[0]) // 2 * 2
            canvas = np.full((720, 1280, 3), 90, np.uint8)
            left = (1280 - width) // 2
            canvas[:, left:left + width] = cv2.resize(frame, (width, 720), interpolation=cv2.INTER_AREA)
            packet = av.VideoFrame.from_ndarray(canvas, format="rgb24")
            packet.pts = i
            container.mux(stream.encode(packet))
        container.mux(stream.encode(None))
    return out


def decode_ms(path: Path) -> float:
    start = time.perf_counter()
    with VideoSource(path) as source:
        count = sum(1 for _ in source.read())
    return (time.perf_counter() - start) / count * 1e3


def measure(path: Path, runs: int, folder: Path) -> dict:
    cold, cpu, hits = [], [], []
    for run in range(runs):
        settings = Settings(data_dir=folder / f"data-{path.stem}-{run}")
        start, start_cpu = time.perf_counter(), time.process_time()
        analysis = load_or_analyze(path, settings)
        cold.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        start = time.perf_counter()
        load_or_analyze(path, settings)
        hits.append(time.perf_counter() - start)
    info = analysis.video
    return {
        "clip": path.name,
        "size": f"{info.width}x{info.height}",
        "frames": analysis.frame_count,
        "face %": 100 * analysis.has_face.mean(),
        "decode ms/f": statistics.median(decode_ms(path) for _ in range(runs)),
        "cold ms/f": statistics.median(cold) / analysis.frame_count * 1e3,
        "cpu ms/f": statistics.median(cpu) / analysis.frame_count * 1e3,
        "hit ms": statistics.median(hits) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    clips = args.clips or sorted(CLIPS.glob("*.mp4"))
    if not clips:
        raise SystemExit(f"no clips given and none in {CLIPS}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_or_analyze(clips[0], Settings(data_dir=folder / "warm-up"))  # model load, first-run costs
        rows = []
        for clip in clips:
            rows.append(measure(clip, args.runs, folder))
            rows.append(measure(as_720p(clip, folder), args.runs, folder))
    columns = list(rows[0])
    widths = [max(len(c), *(len(_cell(r[c])) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(_cell(row[c]).ljust(w) for c, w in zip(columns, widths)))


def _cell(value) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
