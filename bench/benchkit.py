"""Shared helpers of the benchmark scripts: test media, resized templates, long speech, peak
memory, tables and JSON records. Not a benchmark itself.

Media come from the real clips beside the repo (../shared/testmedia, or $HEYGEM_TESTMEDIA) when present; otherwise a
template and a sentence are made with heygem's self-test media (a portrait photo and built-in TTS).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

CALLER_ENV = dict(os.environ)
"""The environment the benchmark was started with, for the processes it measures: importing heygem
below sets this process up as heygem's own (heygem/__init__), which an older version it compares
must not inherit."""

import heygem  # noqa: E402,F401  before numpy, so a benchmark's process is set up as heygem's own
import av  # noqa: E402
import cv2
import numpy as np

from heygem.media.decode import VideoSource, load_audio
from heygem.tts import Speech, write_wav

from heygem.cli.eval import default_media

REPO = Path(__file__).resolve().parents[1]
TESTMEDIA = default_media(REPO)  # $HEYGEM_TESTMEDIA, else ../shared/testmedia beside this checkout
RESULTS = REPO / "bench" / "results"
DEFAULT_CLIP = "man_map_en.mp4"
RESOLUTIONS = {480: (854, 480), 720: (1280, 720), 1080: (1920, 1080)}
OUTPUT_RATE = 48000
"""Sample rate of the long speech files the benchmarks write (the output track's rate)."""


# --- media -----------------------------------------------------------------------------------


def source_media(folder: Path, clip: str = DEFAULT_CLIP) -> tuple[Path, list[Path]]:
    """(a talking-head clip with its soundtrack, speech files): real test media or generated."""
    video = TESTMEDIA / "video" / clip
    speech = sorted((TESTMEDIA / "audio").glob("*.wav"))
    if video.is_file() and speech:
        return video, speech
    from heygem.selftest import make_media

    print(f"note: {video} not found; using generated media (portrait photo + built-in TTS)", file=sys.stderr)
    video, audio = make_media(folder)
    return video, [audio]


def fit_frame(frame: np.ndarray, width: int, height: int, fill: int = 90) -> np.ndarray:
    """The frame scaled to `height` (aspect kept) and centred on a width x height canvas."""
    w = min(width, round(frame.shape[1] * height / frame.shape[0]) // 2 * 2)
    h = min(height, round(frame.shape[0] * w / frame.shape[1]) // 2 * 2)
    shrink = w < frame.shape[1]
    scaled = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    canvas = np.full((height, width, 3), fill, np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    canvas[top:top + h, left:left + w] = scaled
    return canvas


def resized_template(video: Path, width: int, height: int, folder: Path) -> Path:
    """A copy of `video` at width x height (scaled, padded at the sides) keeping its soundtrack,
    which the default engine learns the person's mouth motion from."""
    out = folder / f"{video.stem}_{height}p.mp4"
    if out.exists():
        return out
    with VideoSource(video) as source, av.open(str(video)) as original, av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=source.info.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        audio_in = original.streams.audio[0] if original.streams.audio else None
        audio_out = container.add_stream_from_template(audio_in) if audio_in else None
        for i, frame in enumerate(source.read()):
            packet = av.VideoFrame.from_ndarray(fit_frame(frame, width, height), format="rgb24")
            packet.pts = i
            container.mux(stream.encode(packet))
        container.mux(stream.encode(None))
        if audio_in is not None:
            for packet in original.demux(audio_in):
                if packet.dts is not None:
                    packet.stream = audio_out
                    container.mux(packet)
    return out


def long_speech(files: list[Path], seconds: float, path: Path, gap: float = 0.3) -> Path:
    """A mono 16-bit wav of exactly `seconds`: the speech files one after another with short
    pauses, repeated as often as needed."""
    pause = np.zeros(int(gap * OUTPUT_RATE), np.float32)
    pieces = [np.concatenate([load_audio(f, OUTPUT_RATE), pause]) for f in files]
    one_pass = np.concatenate(pieces)
    total = round(seconds * OUTPUT_RATE)
    samples = np.tile(one_pass, total // len(one_pass) + 1)[:total]
    return write_wav(Speech(samples, OUTPUT_RATE), path)


# --- measuring -------------------------------------------------------------------------------


def child_env(pythonpath: str | None = None) -> dict[str, str]:
    """The environment of a measured process: CALLER_ENV, importing heygem from `pythonpath` when given."""
    return {**CALLER_ENV, "PYTHONPATH": pythonpath} if pythonpath else dict(CALLER_ENV)


def run_child(script: str, spec: dict, what: str = "child", pythonpath: str | None = None) -> tuple[object, str]:
    """Run `script --child SPEC` (a benchmark's measuring process, so each case pays for itself and
    its peak memory is its own), importing heygem from `pythonpath` when given: (the JSON of its
    last output line, its stderr). A failing child ends the benchmark with its error."""
    done = subprocess.run([sys.executable, script, "--child", json.dumps(spec)], capture_output=True, text=True,
                          env=child_env(pythonpath), check=False)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fn, runs: int) -> float:
    """Median wall time of fn() in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def machine() -> dict:
    """What the numbers were measured on."""
    import os

    import torch

    info = {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "pyav": av.__version__,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- reporting -------------------------------------------------------------------------------


def print_table(title: str, rows: list[dict]) -> None:
    """Rows of equal keys as an aligned text table (floats with one decimal unless small)."""
    if not rows:
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def save_record(name: str, record: dict) -> Path:
    """Write bench/results/<name>-<UTC time>.json (git-ignored) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    record = {"benchmark": name, "utc": stamp, "machine": machine(), **record}
    path.write_text(json.dumps(record, indent=2, default=str))
    return path
