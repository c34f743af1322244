"""Background replacement at 720p: what the person matte costs (once per template, cached), what
the per-frame background step costs for each kind of background, what the encoders with alpha cost,
and how steady the matte's edge is.

Edge flicker is the mean distance (frame pixels) the matte's 0.5 boundary moves between
consecutive frames: |changed pixels| / boundary length. "still person" is one real frame repeated
with fresh sensor-like noise (sigma 2 grey levels) per frame and H.264-encoded, so every movement
of the edge is flicker; the real clip adds the person's own small motion. Both are shown for the
raw model output and for the stored, time-smoothed matte.

    python bench/bench_background.py [--clip woman_blue_en.mp4] [--frames 60]
    (clips from $HEYGEM_TESTMEDIA or ../shared/testmedia)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
from benchkit import TESTMEDIA, print_table, resized_template, save_record

from heygem.analysis.matte import PersonMatte, load_or_compute, segment, smooth_in_time
from heygem.analysis.template import load_or_analyze
from heygem.config import Settings
from heygem.media.decode import VideoSource
from heygem.media.encode import VideoWriter
from heygem.render import background

MEDIA = Path(os.environ.get("HEYGEM_TESTMEDIA") or TESTMEDIA)


def still_person(template: Path, count: int, folder: Path) -> Path:
    """`count` frames of the template's first frame, each with new noise, as an H.264 video."""
    with VideoSource(template) as source:
        first = next(source.read())
        fps = source.info.fps
    rng = np.random.default_rng(0)
    out = folder / "still.mp4"
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for i in range(count):
            noisy = np.clip(first + rng.normal(0, 2, first.shape), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(noisy, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out


def edge_motion(alpha_small: np.ndarray, width: int, height: int) -> list[float]:
    """Per consecutive pair: pixels whose side of the 0.5 boundary changed / boundary length."""
    step = background.BackgroundStep(background.Background("transparent"), PersonMatte(alpha_small, width, height))
    masks = [(step.alpha(i) > 0.5).astype(np.uint8) for i in range(len(alpha_small))]
    moves = []
    for a, b in zip(masks, masks[1:]):
        contours, _ = cv2.findContours(a, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        length = sum(cv2.arcLength(c, True) for c in contours)
        moves.append(float(np.count_nonzero(a != b)) / max(length, 1.0))
    return moves


def matte_rows(name: str, video: Path) -> list[dict]:
    rows = []
    with VideoSource(video) as source:
        start = time.perf_counter()
        raw = segment(source, lambda f, m: None)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        count = sum(1 for _ in source.read())
        decode = time.perf_counter() - start
        info = source.info
    for label, alpha in (("raw", raw), ("stored (time-smoothed)", smooth_in_time(raw))):
        moves = edge_motion(alpha, info.width, info.height)
        rows.append({"video": name, "matte": label, "frames": count,
                     "matte ms/f": (seconds - decode) / count * 1e3,
                     "edge move px median": statistics.median(moves),
                     "edge move px p95": float(np.percentile(moves, 95))})
    return rows


def step_rows(template: Path, folder: Path, frames: int) -> list[dict]:
    settings = Settings(data_dir=folder / "data")
    with VideoSource(template) as source:
        analysis = load_or_analyze(source, settings)
        start = time.perf_counter()
        matte = load_or_compute(source, settings, sha256=analysis.sha256)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        load_or_compute(source, settings, sha256=analysis.sha256)
        hit = time.perf_counter() - start
        pictures = [f for _, f in zip(range(frames), source.read())]
    image = folder / "backdrop.jpg"
    cv2.imwrite(str(image), cv2.resize(cv2.imread(str(MEDIA / "image" / "woman_square.jpg")), (640, 640))
                if (MEDIA / "image").is_dir() else np.full((480, 640, 3), 200, np.uint8))
    print(f"matte: {cold / matte.frame_count * 1e3:.1f} ms/frame cold (decode + model), cache hit {hit * 1e3:.0f} ms "
          f"for {matte.frame_count} frames; stored {(folder / 'data' / 'templates' / analysis.sha256 / 'matte.npz').stat().st_size / matte.frame_count / 1024:.1f} KiB/frame")
    rows = []
    for value in ("green", str(image), "blur", "transparent"):
        step = background.BackgroundStep(background.parse(value), matte, analysis)
        times = []
        for i, frame in enumerate(pictures):
            start = time.perf_counter()
            step.apply_one(frame, i)
            times.append(time.perf_counter() - start)
        rows.append({"background": "image" if value == str(image) else value,
                     "step ms/f median": statistics.median(times) * 1e3,
                     "matte ms/f (alpha only)": _alpha_ms(step, len(pictures))})
    return rows, pictures, matte, analysis


def _alpha_ms(step, count: int) -> float:
    times = []
    for i in range(count):
        start = time.perf_counter()
        step.alpha(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def encode_rows(pictures, matte, analysis, folder: Path) -> list[dict]:
    rows = []
    transparent = background.BackgroundStep(background.parse("transparent"), matte, analysis)
    rgba = [transparent.apply_one(f, i) for i, f in enumerate(pictures)]
    h, w = pictures[0].shape[:2]
    for label, name, frames, alpha in (("H.264 mp4", "o.mp4", pictures, False),
                                       ("VP9+alpha webm", "o.webm", rgba, True),
                                       ("ProRes 4444 mov", "o.mov", rgba, True)):
        start = time.perf_counter()
        with VideoWriter(folder / name, w, h, 25, None, alpha=alpha) as writer:
            for frame in frames:
                writer.write(frame)
        seconds = time.perf_counter() - start
        rows.append({"encoder": label, "ms/f": seconds / len(frames) * 1e3,
                     "KiB/f": (folder / name).stat().st_size / len(frames) / 1024})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default="woman_blue_en.mp4")
    parser.add_argument("--frames", type=int, default=60, help="frames timed per background kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="heygem-bench-bg-") as tmp:
        folder = Path(tmp)
        template = resized_template(MEDIA / "video" / args.clip, 1280, 720, folder)
        steps, pictures, matte, analysis = step_rows(template, folder, args.frames)
        print_table("background step per 720p frame (after the lip-sync render, before encoding)", steps)
        encoders = encode_rows(pictures, matte, analysis, folder)
        print_table("encoding per 720p frame", encoders)
        flicker = matte_rows("still person", still_person(template, args.frames, folder))
        flicker += matte_rows(args.clip, template)
        print_table("person matte at 720p: cost (model only, decode excluded) and edge flicker", flicker)
        print("record:", save_record("background", {"clip": args.clip, "steps": steps, "encoders": encoders,
                                                    "flicker": flicker}))


if __name__ == "__main__":
    main()
