"""Jobs one after another in one long-running process, as `heygem serve` runs them: wall and CPU per
job, with the phone decoders and decoding workers kept between jobs ("kept", what heygem does) and
made anew for every job ("new", as before they were kept).

    python bench/bench_service_jobs.py [--jobs 5] [--seconds 8 30]

A 480p template (cached before timing) driven by real speech of each length. Each mode runs in a
process of its own, the two alternating; CPU seconds count the process and its decoding workers.
Medians over the jobs after the first (the first job of a process pays for loading everything).
Prints a table; writes bench/results/service-jobs-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import benchkit


def cpu_seconds(pids: list[int]) -> float:
    """CPU of this process, its reaped children and the live processes `pids`."""
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (OSError, IndexError):
            pass
    return total


def child(spec: dict) -> None:
    """Run the jobs; print a JSON line of per-job wall and CPU seconds."""
    from heygem import pipeline
    from heygem.analysis import phone_decoder
    from heygem.config import Settings
    from heygem.options import GenerateOptions

    def live_workers() -> list[int]:
        return [worker._process.pid for worker in phone_decoder._idle_workers]

    jobs = []
    for k in range(spec["jobs"]):
        if spec["mode"] == "new":  # what every job paid before decoders and workers were kept
            phone_decoder.close_workers()
            phone_decoder._idle_decoders.clear()
        cpu, started = cpu_seconds(live_workers()), time.perf_counter()
        pipeline.run(spec["template"], spec["audio"], Path(spec["folder"]) / f"out{k}.mp4",
                     GenerateOptions(device="cpu"), Settings(data_dir=Path(spec["data"])))
        jobs.append({"wall_s": time.perf_counter() - started, "cpu_s": cpu_seconds(live_workers()) - cpu})
    print(json.dumps(jobs))


def run_mode(spec: dict) -> list[dict]:
    return benchkit.run_child(__file__, spec, spec["mode"])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5, help="jobs per process (the first is not counted)")
    parser.add_argument("--seconds", type=float, nargs="+", default=[8.0, 30.0], help="speech length of each job")
    parser.add_argument("--rounds", type=int, default=2, help="processes per mode, alternating")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    rows = []
    with tempfile.TemporaryDirectory(prefix="heygem-bench-service-") as tmp:
        folder = Path(tmp)
        video, speech = benchkit.source_media(folder)
        template = benchkit.resized_template(video, *benchkit.RESOLUTIONS[480], folder)
        for seconds in args.seconds:
            audio = benchkit.long_speech(speech, seconds, folder / f"speech_{seconds:g}s.wav")
            spec = {"template": str(template), "audio": str(audio), "folder": tmp, "data": str(folder / "data"),
                    "jobs": 1, "mode": "kept"}
            run_mode(spec)  # analyse the template once, before timing
            samples: dict[str, list[dict]] = {"new": [], "kept": []}
            for _ in range(args.rounds):
                for mode in samples:
                    samples[mode] += run_mode({**spec, "jobs": args.jobs, "mode": mode})[1:]
            for mode, jobs in samples.items():
                rows.append({"speech s": seconds, "decoders and workers": mode, "jobs": len(jobs),
                             "wall s per job": statistics.median(j["wall_s"] for j in jobs),
                             "CPU s per job": statistics.median(j["cpu_s"] for j in jobs)})
    benchkit.print_table("480p jobs in one process, after its first (medians)", rows)
    print(f"record: {benchkit.save_record('service-jobs', {'rows': rows})}")


if __name__ == "__main__":
    main()
