"""HeyGem against the encoder's own speed: 60 s of output from a cached template, next to the ffmpeg
command line decoding the same template and encoding the same number of frames with the same x264
settings (veryfast, CRF 18, yuv420p, AAC 192 kb/s), measured in one run, with the ratio.

    python bench/bench_speed.py                      # 480p, 720p, 1080p; 3 runs each
    python bench/bench_speed.py --heights 720 --runs 5
    python bench/bench_speed.py --compare-src OTHER/src   # also time another checkout's heygem

The floor is `ffmpeg` from PATH (decode + encode, no HeyGem work: what the machine needs at least
to re-encode a minute of that video). Without ffmpeg the floor is the same decode + encode done
with PyAV in a child process, and the table says so. Every case runs as its own process, cases
alternate within a run (so a busy machine slows all of them alike; with --compare-src the two
versions take turns right after the floor, where a case runs slower), and the table gives medians:
wall time of the whole process (imports included, as a user waits for `heygem generate`), CPU
seconds, peak RSS and heygem/floor in wall time and in CPU seconds (on a machine shared with other
work, the CPU ratio is the steadier one, and the best the wall ratio can reach when both use every
core). The template is analysed once before timing (cached). HeyGem picks its device as
`heygem generate` does (an NVIDIA GPU where there is one, else the CPU), and the probe is timed too.
Writes bench/results/speed-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchkit

SECONDS = 60.0
TARGET_RATIO = 1.5
X264 = {"preset": "veryfast", "crf": "18"}  # EncodeOptions' defaults


def ffmpeg_command(template: Path, speech: Path, out: Path, seconds: float) -> list[str]:
    """The template looped to `seconds`, re-encoded with the speech as its soundtrack."""
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(template),
            "-i", str(speech), "-map", "0:v", "-map", "1:a", "-t", f"{seconds:g}",
            "-c:v", "libx264", "-preset", X264["preset"], "-crf", X264["crf"], "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", str(out)]


def heygem_command(template: Path, speech: Path, out: Path, data: Path) -> list[str]:
    return [sys.executable, __file__, "--child", json.dumps(
        {"template": str(template), "audio": str(speech), "output": str(out), "data": str(data)})]


def pyav_command(template: Path, out: Path, seconds: float) -> list[str]:
    return [sys.executable, __file__, "--floor", json.dumps(
        {"template": str(template), "output": str(out), "seconds": seconds})]


def timed(command: list[str], pythonpath: str | None = None) -> dict:
    """Run one process; its wall time, CPU seconds and (for heygem) what it reported."""
    env = benchkit.child_env(pythonpath)
    os.sync()  # the previous case's output written out first, not while this one runs
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    record = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    cpu = after.children_user + after.children_system - before.children_user - before.children_system
    return {"wall_s": wall, "cpu_s": cpu, "load": os.getloadavg()[0], **record}


def child(spec: dict) -> None:
    """One pipeline.run in this process, then a JSON line with its own measurements."""
    from heygem import pipeline
    from heygem.config import Settings
    from heygem.options import GenerateOptions

    # The device chosen as `heygem generate` chooses it (the probe is part of what a user waits for).
    result = pipeline.run(spec["template"], spec["audio"], spec["output"], GenerateOptions(),
                          Settings(data_dir=Path(spec["data"])))
    print(json.dumps({"run_s": result.seconds, "frames": result.frames, "peak_rss_mb": benchkit.peak_rss_mb(),
                      "stage_seconds": result.stage_seconds}))


def floor(spec: dict) -> None:
    """Decode + encode with PyAV and nothing else (the floor when there is no ffmpeg command)."""
    import av

    with av.open(spec["template"]) as source, av.open(spec["output"], "w") as out:
        video = source.streams.video[0]
        video.thread_type = "AUTO"
        stream = out.add_stream("libx264", rate=video.average_rate)
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        stream.options = dict(X264)
        stream.codec_context.thread_type = "FRAME"
        total = round(spec["seconds"] * float(video.average_rate))
        written = 0
        while written < total:
            source.seek(0)
            for frame in source.decode(video):
                frame.pts, frame.time_base, frame.pict_type = written, 1 / video.average_rate, 0
                out.mux(stream.encode(frame))
                written += 1
                if written == total:
                    break
        out.mux(stream.encode(None))


def run(heights: list[int], runs: int, compare_src: str | None, folder: Path) -> list[dict]:
    video, speech = benchkit.source_media(folder)
    audio = benchkit.long_speech(speech, SECONDS, folder / "speech_60s.wav")
    use_ffmpeg = shutil.which("ffmpeg") is not None
    floor_name = "ffmpeg CLI" if use_ffmpeg else "PyAV decode+encode"
    variants = {"heygem": None}
    if compare_src:
        variants["heygem (compare)"] = str(Path(compare_src).resolve())
    rows = []
    for height in heights:
        width, _ = benchkit.RESOLUTIONS[height]
        template = benchkit.resized_template(video, width, height, folder)
        data = folder / f"data{height}"
        for src in variants.values():  # analyse once (and build the mouth bank) before timing
            timed(heygem_command(template, speech[0], folder / "warm.mp4", data), src)
        samples: dict[str, list[dict]] = {floor_name: [], **{name: [] for name in variants}}
        floor_command = (ffmpeg_command(template, audio, folder / "floor.mp4", SECONDS) if use_ffmpeg
                         else pyav_command(template, folder / "floor.mp4", SECONDS))
        versions = list(variants.items())
        for k in range(runs):
            samples[floor_name].append(timed(floor_command))
            # The case right after the floor runs slower (5-15% at 1080p, the same code either
            # way), so the versions take turns there.
            for name, src in versions if k % 2 == 0 else versions[::-1]:
                samples[name].append(timed(heygem_command(template, audio, folder / "out.mp4", data), src))
        base = statistics.median(s["wall_s"] for s in samples[floor_name])
        base_cpu = statistics.median(s["cpu_s"] for s in samples[floor_name])
        for name, runs_of in samples.items():
            wall = statistics.median(s["wall_s"] for s in runs_of)
            cpu = statistics.median(s["cpu_s"] for s in runs_of)
            rows.append({
                "size": f"{width}x{height}",
                "what": name,
                "wall s": wall,
                "pipeline s": _median(runs_of, "run_s"),
                "CPU s": cpu,
                "peak RSS MB": _median(runs_of, "peak_rss_mb"),
                f"x {floor_name}": wall / base,
                "CPU x": cpu / base_cpu,
                "load": statistics.median(s["load"] for s in runs_of),
                "runs": runs_of,
            })
    return rows


def _median(samples: list[dict], key: str) -> float | None:
    values = [s[key] for s in samples if key in s]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heights", type=int, nargs="+", default=[480, 720, 1080], choices=sorted(benchkit.RESOLUTIONS))
    parser.add_argument("--runs", type=int, default=3, help="timed runs per case (medians are reported)")
    parser.add_argument("--compare-src", help="another checkout's src folder: time its heygem too, alternating")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if args.floor:
        return floor(json.loads(args.floor))
    with tempfile.TemporaryDirectory(prefix="heygem-bench-speed-") as tmp:
        rows = run(args.heights, args.runs, args.compare_src, Path(tmp))
    table = [{k: v for k, v in row.items() if k != "runs"} for row in rows]
    benchkit.print_table(f"{SECONDS:g} s of output, cached template (medians of {args.runs} runs; "
                         f"target: heygem <= {TARGET_RATIO}x the floor)", table)
    path = benchkit.save_record("speed", {"seconds": SECONDS, "rows": rows})
    print(f"record: {path.relative_to(benchkit.REPO)}")


if __name__ == "__main__":
    main()
