"""End-to-end generation cost: wall time, seconds per output minute, real-time factor, peak memory
and a stage breakdown, at several template sizes and output lengths, on the CPU and (when there is
one) the GPU.

    python bench/bench_generate.py            # quick: 720p, 15 s and 60 s, 3 runs each (~6 min)
    python bench/bench_generate.py --full     # 480p/720p/1080p x 15/60/240 s (< 20 min on 2 cores)
    python bench/bench_generate.py --profile  # cProfile of one cached 720p run: where render time goes

Templates: a real clip (../shared/testmedia; generated media without it) scaled and padded to
854x480, 1280x720 and 1920x1080 with its soundtrack; the driving audio is the real speech files
one after another, repeated to the length asked for (the template loops forward and back).

Every case runs in its own process, so its peak RSS is its own and each run pays what a fresh
`heygem generate` pays. The first run per template size starts from an empty data folder (template
analysis and mouth bank "cold"); the others reuse it ("cached"). One extra case times the real
command line, `heygem generate`, from process start to exit (60 s of 720p, cached template).
On CUDA the render is also swept over batch sizes and the peak GPU memory is reported.
Prints tables; writes bench/results/generate-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import benchkit

STREAMED = ("decode", "to rgb", "render", "to yuv", "encode", "finish")
"""The stages that run at the same time, one thread each (decode | to rgb, render, to yuv | encode)."""
STAGES = ("probe", "template analysis", "audio analysis", "motion plan", "engine prepare", *STREAMED)
RENDER_TARGET_MS = 10.0
CLI_TARGET_S = 45.0


@dataclass(frozen=True)
class Case:
    height: int
    seconds: float
    device: str = "cpu"
    cache: str = "cached"  # "cold": fresh data folder; "cached": the template analysed before
    batch: int = 16
    cli: bool = False  # time `heygem generate` as a process instead of pipeline.run

    @property
    def label(self) -> str:
        kind = "heygem generate" if self.cli else "pipeline"
        return f"{kind} {self.height}p {self.seconds:g}s {self.device} b{self.batch} {self.cache}"


# --- the plan --------------------------------------------------------------------------------


def plan_cases(full: bool, devices: list[str], batches: list[int]) -> list[Case]:
    heights = (480, 720, 1080) if full else (720,)
    cases = []
    for device in devices:
        for height in heights:
            lengths = (15, 60, 240) if full else (15, 60)
            cases.append(Case(height, 15, device, cache="cold"))
            cases += [Case(height, s, device) for s in lengths]
        cases.append(Case(720, 60, device, cli=True))
        if device != "cpu":
            cases += [Case(720, 60, device, batch=b) for b in batches if b != 16]
    return cases


def available_devices(asked: list[str] | None) -> list[str]:
    from heygem import devices

    if asked:
        return [devices.resolve(d) for d in asked]
    found = devices.resolve("auto")
    return ["cpu"] if found == "cpu" else ["cpu", found]


# --- running one case ------------------------------------------------------------------------


def run_case(case: Case, template: Path, audio: Path, data: Path, folder: Path) -> dict:
    """Run the case in a child process; its measurements plus the parent's wall clock."""
    spec = {"case": asdict(case), "template": str(template), "audio": str(audio),
            "data": str(data), "output": str(folder / "out.mp4")}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    record, errors = benchkit.run_child(__file__, spec, case.label)
    process_s = time.perf_counter() - started
    record["warnings"] = [line for line in errors.splitlines() if line.startswith("heygem")]
    wall = process_s if case.cli else record["wall_s"]
    return {**asdict(case), "label": case.label, "load_before": load, "process_s": process_s,
            **record, "wall_s": wall}


def child(spec: dict) -> None:
    """In the child process: one generation, then one JSON line of measurements on stdout."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")  # stderr, shown on failure
    case = Case(**spec["case"])
    cpu_before = _cpu_seconds()
    if case.device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()
    if case.cli:
        out = {"wall_s": None, **_run_cli(case, spec)}
    else:
        out = _run_pipeline(case, spec)
    out["cpu_s"] = _cpu_seconds() - cpu_before
    out["peak_rss_mb"] = _vm_hwm_mb()
    if case.device.startswith("cuda"):
        import torch

        out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))


def _run_pipeline(case: Case, spec: dict) -> dict:
    from heygem import pipeline
    from heygem.config import Settings
    from heygem.options import GenerateOptions

    options = GenerateOptions(device=case.device, batch_size=case.batch)
    result = pipeline.run(spec["template"], spec["audio"], spec["output"], options,
                          Settings(data_dir=Path(spec["data"])))
    stages = dict(result.stage_seconds)
    # imports, model loads, set-up between stages; decode, render and encode overlap (they run at
    # the same time), so their sum can exceed the wall time and "other" is then left at 0
    stages["other"] = max(0.0, result.seconds - sum(stages.values()))
    return {"wall_s": result.seconds, "frames": result.frames, "fps": float(result.fps),
            "engine": result.engine, "stage_seconds": stages}


def _run_cli(case: Case, spec: dict) -> dict:
    """The command line in this process (its wall time is taken by the parent, from exec to exit)."""
    from heygem.cli import main
    from heygem.media.decode import probe_video

    argv = ["--data-dir", spec["data"], "generate", "--video", spec["template"], "--audio", spec["audio"],
            "-o", spec["output"], "--device", case.device, "--batch-size", str(case.batch)]
    code = main(argv)
    if code != 0:
        raise SystemExit(code)
    info = probe_video(spec["output"])
    return {"frames": info.frame_count, "fps": float(info.fps), "stage_seconds": {}}


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _vm_hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM; ru_maxrss would also count the parent at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return benchkit.peak_rss_mb()


# --- tables ----------------------------------------------------------------------------------


def summary_rows(results: list[dict]) -> list[dict]:
    rows = []
    for r in results:
        out_s = r["frames"] / r["fps"]
        rows.append({
            "case": "cli" if r["cli"] else r["cache"], "device": r["device"], "batch": r["batch"],
            "template": f"{r['height']}p", "output s": round(out_s, 1), "frames": r["frames"],
            "wall s": r["wall_s"], "s per out min": r["wall_s"] / out_s * 60, "RTF": r["wall_s"] / out_s,
            "fps": r["frames"] / r["wall_s"], "cpu s": r["cpu_s"], "peak RSS MB": r["peak_rss_mb"],
            "peak GPU MB": r.get("peak_gpu_mb"), "load": r["load_before"],
        })
    return rows


def stage_rows(results: list[dict]) -> list[dict]:
    """Per case: each stage in ms per output frame and its share of the wall time."""
    rows = []
    for r in results:
        if r["cli"]:
            continue
        stages = r["stage_seconds"]
        row = {"case": f"{r['height']}p {r['seconds']:g}s {r['device']} b{r['batch']} {r['cache']}"}
        for name in (*STAGES, "other"):
            seconds = stages.get(name, 0.0)
            row[name] = f"{seconds / r['frames'] * 1e3:.2f} {seconds / r['wall_s']:4.0%}"
        rows.append(row)
    return rows


def analysis_rows(results: list[dict]) -> list[dict]:
    """Template analysis and mouth-bank build (engine prepare): first run vs cached."""
    rows = []
    for cold in (r for r in results if r["cache"] == "cold"):
        hit = next((r for r in results if _same_template(r, cold) and r["cache"] == "cached" and not r["cli"]), None)
        if hit is None:
            continue
        rows.append({
            "template": f"{cold['height']}p", "device": cold["device"],
            "analysis cold s": cold["stage_seconds"].get("template analysis", 0.0),
            "analysis cached ms": hit["stage_seconds"].get("template analysis", 0.0) * 1e3,
            "prepare cold s": cold["stage_seconds"].get("engine prepare", 0.0),
            "prepare cached ms": hit["stage_seconds"].get("engine prepare", 0.0) * 1e3,
        })
    return rows


def _same_template(a: dict, b: dict) -> bool:
    return a["height"] == b["height"] and a["device"] == b["device"]


def scaling_rows(results: list[dict]) -> list[dict]:
    """Cached runs of one template at several lengths: per-frame cost and peak memory by length,
    and a straight-line fit of wall time on frames (fixed cost + per-frame cost, R squared)."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        if r["cache"] == "cached" and not r["cli"] and r["batch"] == 16:
            groups.setdefault((r["height"], r["device"]), []).append(r)
    rows = []
    for (height, device), runs in groups.items():
        if len({r["frames"] for r in runs}) < 2:
            continue
        fixed, per_frame, r2 = _line_fit([r["frames"] for r in runs], [r["wall_s"] for r in runs])
        for r in runs:
            stages = r["stage_seconds"]
            rows.append({
                "template": f"{height}p", "device": device, "output s": r["seconds"], "wall s": r["wall_s"],
                "ms/frame": r["wall_s"] / r["frames"] * 1e3,
                "decode..finish ms/frame": sum(stages.get(s, 0.0) for s in STREAMED) / r["frames"] * 1e3,
                "peak RSS MB": r["peak_rss_mb"],
                "fit": f"{fixed:.1f} s + {per_frame * 1e3:.1f} ms/frame, R2 {r2:.3f}" if r is runs[0] else "",
            })
    return rows


def _line_fit(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """(intercept, slope, R squared) of a least-squares line."""
    slope, intercept = statistics.linear_regression(x, y)
    mean = statistics.fmean(y)
    total = sum((v - mean) ** 2 for v in y)
    residual = sum((v - intercept - slope * u) ** 2 for u, v in zip(x, y))
    return intercept, slope, 1 - residual / total if total else 1.0


def batch_rows(results: list[dict]) -> list[dict]:
    rows = []
    for r in results:
        if r["device"] != "cpu" and r["height"] == 720 and r["seconds"] == 60 and not r["cli"] and r["cache"] == "cached":
            rows.append({"device": r["device"], "batch": r["batch"],
                         "render ms/frame": r["stage_seconds"]["render"] / r["frames"] * 1e3,
                         "wall s": r["wall_s"], "peak GPU MB": r.get("peak_gpu_mb")})
    return sorted(rows, key=lambda row: (row["device"], row["batch"]))


def target_rows(results: list[dict]) -> list[dict]:
    rows = []
    for r in results:
        if r["height"] != 720 or r["cache"] != "cached" or r["batch"] != 16:
            continue
        if r["cli"] and r["seconds"] == 60:
            rows.append(_target("heygem generate 60 s of 720p, cached template: wall s", r, r["wall_s"], CLI_TARGET_S))
        elif not r["cli"] and r["seconds"] == 60:
            render = r["stage_seconds"]["render"] / r["frames"] * 1e3
            rows.append(_target("render ms per 720p frame", r, render, RENDER_TARGET_MS))
    return rows


def _target(name: str, r: dict, value: float, limit: float) -> dict:
    return {"target": name, "device": r["device"], "measured": value, "limit": limit,
            "verdict": "met" if value <= limit else "MISSED"}


def print_all(results: list[dict], repeat: int) -> None:
    each = f"median of {repeat} runs" if repeat > 1 else "one run"
    benchkit.print_table(f"Generate (mouthbank engine, {each}): RTF = wall / output length, load = 1-min load average",
                         summary_rows(results))
    benchkit.print_table("Stages: ms per output frame and share of wall time", stage_rows(results))
    benchkit.print_table("Template analysis and mouth bank: first run vs cached", analysis_rows(results))
    benchkit.print_table("Scaling with output length (cached template): time should be linear, memory flat",
                         scaling_rows(results))
    benchkit.print_table("Render batch size on the GPU (720p, 60 s)", batch_rows(results))
    benchkit.print_table("Targets", target_rows(results))


# --- main ------------------------------------------------------------------------------------


def prepare_media(cases: list[Case], folder: Path, clip: str) -> tuple[dict, dict]:
    video, speech = benchkit.source_media(folder, clip)
    templates = {h: benchkit.resized_template(video, *benchkit.RESOLUTIONS[h], folder)
                 for h in sorted({c.height for c in cases})}
    audios = {s: benchkit.long_speech(speech, s, folder / f"speech_{s:g}s.wav")
              for s in sorted({c.seconds for c in cases})}
    return templates, audios


def run_all(cases: list[Case], folder: Path, clip: str, repeat: int) -> list[dict]:
    """Every case `repeat` times (each round with its own data folders, so "cold" is cold)."""
    templates, audios = prepare_media(cases, folder, clip)
    results = []
    for round_ in range(repeat):
        for i, case in enumerate(cases, 1):
            data = folder / f"data-r{round_}-{case.device.replace(':', '')}-{case.height}p"
            print(f"[{round_ + 1}.{i}/{repeat}.{len(cases)}] {case.label} ...", end=" ", flush=True, file=sys.stderr)
            results.append(run_case(case, templates[case.height], audios[case.seconds], data, folder))
            print(f"{results[-1]['wall_s']:.1f} s", file=sys.stderr)
    return results


def medians(results: list[dict]) -> list[dict]:
    """One record per case: the median of every number (and of every stage) over its repeats."""
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(r["label"], []).append(r)
    out = []
    for runs in groups.values():
        merged = dict(runs[0], repeats=len(runs))
        for key, value in runs[0].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in ("height", "batch"):
                merged[key] = statistics.median(r[key] for r in runs)
        merged["stage_seconds"] = {name: statistics.median(r["stage_seconds"].get(name, 0.0) for r in runs)
                                   for name in runs[0]["stage_seconds"]}
        out.append(merged)
    return out


def profile(folder: Path, clip: str, top: int) -> None:
    """cProfile of one cached 720p, 15 s generation (after a cold run that fills the cache)."""
    import cProfile
    import pstats

    from heygem import pipeline
    from heygem.config import Settings
    from heygem.options import GenerateOptions

    case = Case(720, 15)
    templates, audios = prepare_media([case], folder, clip)
    settings = Settings(data_dir=folder / "data")
    args = (templates[720], audios[15], folder / "out.mp4", GenerateOptions(device="cpu"), settings)
    pipeline.run(*args)
    profiler = cProfile.Profile()
    profiler.runcall(pipeline.run, *args)
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="720p, 15 s and 60 s (the default)")
    size.add_argument("--full", action="store_true", help="480p/720p/1080p, 15/60/240 s")
    parser.add_argument("--devices", nargs="+", help="default: cpu, and cuda when available")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16, 64], help="GPU batch sweep")
    parser.add_argument("--repeat", type=int, help="runs per case, medians reported (default 3 quick, 1 full)")
    parser.add_argument("--clip", default=benchkit.DEFAULT_CLIP, help="test clip the templates are made from")
    parser.add_argument("--profile", action="store_true", help="profile one cached 720p run instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    with tempfile.TemporaryDirectory(prefix="heygem-bench-generate-") as tmp:
        if args.profile:
            return profile(Path(tmp), args.clip, 30)
        cases = plan_cases(args.full, available_devices(args.devices), args.batches)
        repeat = args.repeat or (1 if args.full else 3)
        started = time.perf_counter()
        runs = run_all(cases, Path(tmp), args.clip, repeat)
    results = medians(runs)
    print_all(results, repeat)
    took = time.perf_counter() - started
    path = benchkit.save_record("generate", {"mode": "full" if args.full else "quick", "clip": args.clip,
                                             "repeat": repeat, "total_s": took, "cases": results, "runs": runs})
    print(f"\n{len(runs)} runs in {took / 60:.1f} min; record: {path.relative_to(benchkit.REPO)}")


if __name__ == "__main__":
    main()
